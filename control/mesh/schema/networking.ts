// PLACEHOLDER: being written (Istio networking.istio.io schemas).
import { z } from "zod";
import { customResource } from "./meta.ts";
const open = customResource(z.record(z.string(), z.unknown()));
export const virtualServiceSchema = open;
export const destinationRuleSchema = open;
export const gatewaySchema = open;
export const serviceEntrySchema = open;
export const workloadEntrySchema = open;
export const sidecarSchema = open;
