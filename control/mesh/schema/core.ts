// PLACEHOLDER: being written (core/v1 and apps/v1 schemas).
import { z } from "zod";
import { objectMeta } from "./meta.ts";
const open = z.object({ apiVersion: z.string(), kind: z.string(), metadata: objectMeta }).passthrough();
export const namespaceSchema = open;
export const serviceSchema = open;
export const serviceAccountSchema = open;
export const configMapSchema = open;
export const deploymentSchema = open;
