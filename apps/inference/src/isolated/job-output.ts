// What jobs run in an isolated child process (isolated/spawn.ts) share with their parent.

/** The child writes here first and renames, so `output` never names a half-written file. */
export const writingPathOf = (output: string) => `${output}.writing`;

/**
 * A type's named fields, without its index signature: for compile-time checks that a wire
 * schema (which lets fields added later pass) describes every field of what a child reports.
 */
export type NamedFields<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
