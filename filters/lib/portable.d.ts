// AssemblyScript's basic types as TypeScript sees them, for the few filters/lib files that are
// also compiled as TypeScript (by the control plane, to validate config with the filters' own
// code): `/// <reference path="./portable.d.ts" />` at their top. AssemblyScript has these
// built in and reads the reference as a comment.
type i32 = number;
type u8 = number;
type bool = boolean;
