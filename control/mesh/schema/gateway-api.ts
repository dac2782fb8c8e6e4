// PLACEHOLDER: being written (gateway.networking.k8s.io/v1 schemas).
import { z } from "zod";
import { customResource } from "./meta.ts";
const open = customResource(z.record(z.string(), z.unknown()));
export const gatewayClassSchema = open;
export const k8sGatewaySchema = open;
export const httpRouteSchema = open;
