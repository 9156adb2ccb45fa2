import { createHash } from "node:crypto";
import { PARAM_SCHEMAS, type TaskKind } from "../spec/index";

/** Bump whenever a change in pre/post-processing, tiling or tuning can change output pixels. */
export const PIPELINE_VERSION = "core-3";

/** JSON with sorted keys and no undefined, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError("canonicalJson: non-finite number");
    }
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export interface SignatureInput {
  kind: TaskKind;
  /** Raw or parsed params: they are parsed here so omitted defaults hash like explicit ones. */
  params: unknown;
  weightSha256: string;
  pipelineVersion?: string;
}

/** sha256 hex of canonical {kind, params (defaults filled), weight sha256, pipeline version}. */
export function parameterSignature(input: SignatureInput): string {
  const params = PARAM_SCHEMAS[input.kind].parse(input.params ?? {});
  const text = canonicalJson({
    kind: input.kind,
    params,
    pipeline: input.pipelineVersion ?? PIPELINE_VERSION,
    weight: input.weightSha256.toLowerCase(),
  });
  return createHash("sha256").update(text).digest("hex");
}
