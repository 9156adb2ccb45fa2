import { createRequire } from "node:module";

// onnx-proto is CommonJS with `module.exports = $root`; Node's ESM named-export detection cannot
// see `onnx` on it, so load it through require to get the same object under tsx and vitest.
const require = createRequire(import.meta.url);
const loaded = require("onnx-proto") as typeof import("onnx-proto");

export const onnx = loaded.onnx;
export type { onnx as OnnxTypes } from "onnx-proto";

/** protobufjs decodes int64 as Long (from the `long` package) or number; normalise to number. */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value && typeof value === "object" && "toNumber" in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(value ?? 0);
}
