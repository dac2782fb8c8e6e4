// Shared building blocks for the object schemas: ObjectMeta and Kubernetes name rules.
// Every kind's schema is a strict zod object, so an unknown field is an error with its path,
// the way the Kubernetes API server treats `fieldValidation=Strict`.
import { z } from "zod";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Label keys: optional DNS-1123 subdomain prefix + "/" + a name of up to 63 characters.
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

export function isLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}

export const dns1123Label = z
  .string()
  .refine(isDns1123Label, "must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)");

export const dns1123Subdomain = z
  .string()
  .refine(isDns1123Subdomain, "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.', at most 253 characters)");

export const labelMap = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) ctx.addIssue({ code: "custom", path: [key], message: `invalid label key "${key}"` });
    if (!isLabelValue(value))
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `invalid label value "${value}": at most 63 characters, alphanumeric, '-', '_' or '.', starting and ending alphanumeric`,
      });
  }
});

export const stringMap = z.record(z.string(), z.string());

const ownerReference = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

// Server-populated fields (uid, resourceVersion, ...) are accepted so a `get -o yaml | apply` round trip works;
// the store overwrites them with its own values.
export const objectMeta = z.strictObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  labels: labelMap.optional(),
  annotations: stringMap.optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(ownerReference).optional(),
  managedFields: z.array(z.unknown()).optional(),
});

/** A custom resource: apiVersion, kind, metadata, a strict `spec`, and a `status` the server owns. */
export function customResource<S extends z.ZodType>(spec: S) {
  return z.strictObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMeta,
    spec,
    status: z.unknown().optional(),
  });
}
