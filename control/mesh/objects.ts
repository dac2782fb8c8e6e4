// Small object helpers for the compiler's hot paths, where `Object.keys(o).length` would build
// an array per call (tens of thousands of calls per compile of a large mesh).

/** Does the object have at least one own enumerable key? */
export function hasKeys(obj: object | undefined): boolean {
  for (const _ in obj) return true;
  return false;
}
