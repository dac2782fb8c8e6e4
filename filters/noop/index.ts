// No-op filter: built like router and authz from lib/, overriding nothing, so it exports only
// the hooks every filter has (no response-header or stream-delete callback: it has no work there,
// the same rule that leaves them out of authz). Benchmark baseline.
export * from "../lib/exports";
import { Filter, registerFilter } from "../lib/filter";

class Noop extends Filter {}

registerFilter(new Noop());
