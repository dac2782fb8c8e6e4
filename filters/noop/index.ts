// No-op filter: the ABI exports and nothing else; every hook continues. Benchmark baseline.
export * from "../lib/exports";
export * from "../lib/stream-exports";
import { Filter, registerFilter } from "../lib/filter";

class Noop extends Filter {}

registerFilter(new Noop());
