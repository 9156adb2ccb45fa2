// The shape check every tRPC input passes before superjson reads it. superjson trusts its
// `meta` annotations: a string where a tree belongs (`"values": "garbage"`) sends it into
// unbounded recursion ("Maximum call stack size exceeded" after seconds of CPU), and a deeply
// nested input overflows the stack further on (zod, JSON.stringify). This walk is iterative,
// bounded in depth and size, and names what is wrong.
import { TRPC_MAX_INPUT_DEPTH, TRPC_MAX_META_NODES } from "./limits";

export class MalformedInputError extends Error {
  constructor(detail: string) {
    super(`Malformed request input: ${detail}.`);
    this.name = "MalformedInputError";
  }
}

/** Annotation names superjson 2 writes (see its transformer.ts). */
const SIMPLE_ANNOTATIONS = new Set([
  "undefined",
  "bigint",
  "Date",
  "regexp",
  "set",
  "map",
  "Error",
  "URL",
  "number",
]);
const COMPOSITE_ANNOTATIONS = new Set(["class", "symbol", "custom", "typed-array"]);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype;

/** Segments a superjson path key adds (an upper bound: escaped dots count too). */
const pathSegments = (key: string) => key.split(".").length;

/**
 * Throws MalformedInputError unless `value` is `{ json?, meta? }` as superjson's serialize
 * writes it: `json` nested at most TRPC_MAX_INPUT_DEPTH deep, `meta` holding only value
 * annotation trees and referential-equality path lists, within TRPC_MAX_META_NODES entries.
 */
export function checkInputEnvelope(value: unknown): void {
  if (!isPlainObject(value)) {
    throw new MalformedInputError('each input must be an object of the form { "json": ... }');
  }
  for (const key of Object.keys(value)) {
    if (key !== "json" && key !== "meta") {
      throw new MalformedInputError(
        `unexpected field "${key}" (only "json" and "meta" are accepted)`,
      );
    }
  }
  checkDepth(value.json);
  if (value.meta !== undefined) checkMeta(value.meta);
}

function checkDepth(root: unknown): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (depth > TRPC_MAX_INPUT_DEPTH) {
      throw new MalformedInputError(`it is nested deeper than ${TRPC_MAX_INPUT_DEPTH} levels`);
    }
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}

function checkMeta(meta: unknown): void {
  if (!isPlainObject(meta)) throw new MalformedInputError('"meta" must be an object');
  for (const key of Object.keys(meta)) {
    if (key !== "values" && key !== "referentialEqualities" && key !== "v") {
      throw new MalformedInputError(`unexpected field "meta.${key}"`);
    }
  }
  if (meta.v !== undefined && !(Number.isInteger(meta.v) && (meta.v as number) >= 0)) {
    throw new MalformedInputError('"meta.v" must be a version number');
  }
  const budget = { nodes: 0 };
  if (meta.values !== undefined) checkValueAnnotations(meta.values, budget);
  if (meta.referentialEqualities !== undefined) {
    checkReferentialEqualities(meta.referentialEqualities, budget);
  }
}

function spend(budget: { nodes: number }, n = 1) {
  budget.nodes += n;
  if (budget.nodes > TRPC_MAX_META_NODES) {
    throw new MalformedInputError(`"meta" holds more than ${TRPC_MAX_META_NODES} annotations`);
  }
}

function checkAnnotation(annotation: unknown): void {
  if (typeof annotation === "string" && SIMPLE_ANNOTATIONS.has(annotation)) return;
  if (
    Array.isArray(annotation) &&
    annotation.length === 2 &&
    typeof annotation[0] === "string" &&
    COMPOSITE_ANNOTATIONS.has(annotation[0]) &&
    typeof annotation[1] === "string"
  ) {
    return;
  }
  throw new MalformedInputError('"meta.values" holds an unknown type annotation');
}

/**
 * `values` is a tree `[annotation]` / `[annotation, { path: tree }]`, or at the top level
 * `{ path: tree }`. Depth counts path segments, since each one is a level superjson walks.
 */
function checkValueAnnotations(values: unknown, budget: { nodes: number }): void {
  const bad = () => new MalformedInputError('"meta.values" is not a superjson annotation tree');
  const stack: Array<[unknown, number]> = [];
  const pushChildren = (children: unknown, depth: number) => {
    if (!isPlainObject(children)) throw bad();
    for (const [key, child] of Object.entries(children)) {
      spend(budget);
      stack.push([child, depth + pathSegments(key)]);
    }
  };
  if (isPlainObject(values)) pushChildren(values, 0);
  else stack.push([values, 0]);
  while (stack.length > 0) {
    const [tree, depth] = stack.pop() as [unknown, number];
    if (depth > TRPC_MAX_INPUT_DEPTH) {
      throw new MalformedInputError(
        `"meta.values" is nested deeper than ${TRPC_MAX_INPUT_DEPTH} levels`,
      );
    }
    if (!Array.isArray(tree) || tree.length < 1 || tree.length > 2) throw bad();
    checkAnnotation(tree[0]);
    if (tree.length === 2) pushChildren(tree[1], depth);
  }
}

/** `{ path: [paths] }`, `[[paths]]` or `[[paths], { path: [paths] }]`. */
function checkReferentialEqualities(value: unknown, budget: { nodes: number }): void {
  const bad = () =>
    new MalformedInputError('"meta.referentialEqualities" is not a list of superjson paths');
  const checkPaths = (paths: unknown) => {
    if (!Array.isArray(paths)) throw bad();
    spend(budget, paths.length);
    for (const path of paths) {
      if (typeof path !== "string") throw bad();
      if (pathSegments(path) > TRPC_MAX_INPUT_DEPTH) {
        throw new MalformedInputError(
          `"meta.referentialEqualities" is nested deeper than ${TRPC_MAX_INPUT_DEPTH} levels`,
        );
      }
    }
  };
  const checkRecord = (record: unknown) => {
    if (!isPlainObject(record)) throw bad();
    for (const [key, paths] of Object.entries(record)) {
      if (pathSegments(key) > TRPC_MAX_INPUT_DEPTH) throw bad();
      checkPaths(paths);
    }
  };
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > 2) throw bad();
    checkPaths(value[0]);
    if (value.length === 2) checkRecord(value[1]);
  } else {
    checkRecord(value);
  }
}
