import type { z } from "zod";

/** A stored object as the API sees it: always carries apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** A column of `kubectl get` output, as in a CRD's additionalPrinterColumns. */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  description: string;
  /** 0 = always shown, 1 = only with `-o wide`. */
  priority: 0 | 1;
  /** Reads the cell from the object; undefined renders as an empty cell. */
  cell: (obj: KubeObject) => string | number | boolean | undefined;
}

/** One thing wrong with an object, named by its field path. */
export interface FieldError {
  /** Dotted path with list indices: `spec.http[0].route[1].weight`. */
  field: string;
  reason:
    | "FieldValueInvalid"
    | "FieldValueTypeInvalid"
    | "FieldValueRequired"
    | "FieldValueNotSupported"
    | "FieldValueDuplicate"
    | "FieldValueUnknown";
  message: string;
}

/** Everything the API needs to serve one kind. */
export interface KindSpec {
  group: string; // "" for the core group
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** The version objects are stored and returned in. */
  storageVersion: string;
  /** Every version accepted on write; all convert to storageVersion by relabelling apiVersion
   *  (Istio's and Gateway API's served versions share one schema). */
  versions: string[];
  /** The kind's own columns, shown between NAME and AGE. */
  columns: PrinterColumn[];
  /** Strict schema of the whole object (structure, then semantic rules as refinements). */
  schema: z.ZodType;
  /** Top-level fields whose change bumps metadata.generation. */
  generationFields: string[];
  /** What is stored of a written object, where that differs from what was sent (a Secret's
   *  write-only stringData merges into data, as the Kubernetes API does). */
  storedForm?: (obj: KubeObject) => KubeObject;
  /** Its values are secret: read tokens may not read them, and history views show them redacted. */
  sensitive?: boolean;
  /** Set for kinds the mesh derives instead of storing (pods from proxy registrations...): clients
   *  only get and list them, and a write is refused with this reason. */
  readOnly?: string;
  /** Field selectors served beyond metadata.name and metadata.namespace (dotted paths into the object). */
  fieldSelectors?: string[];
}
