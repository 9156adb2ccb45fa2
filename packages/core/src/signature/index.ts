import { createHash } from "node:crypto";
import { OUTPUT_FORMAT_FILES } from "@studio/contracts/task";
import { PARAM_SCHEMAS, type SuperResolutionParams, type TaskKind } from "../spec/index";

/**
 * Bump whenever a change in pre/post-processing, tiling or tuning can change output pixels.
 * core-4: an input's ICC profile is kept (pixels stay in its colour space) unless sRGB is asked.
 */
export const PIPELINE_VERSION = "core-4";

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

/**
 * The part of parsed params the signature covers: what decides the result's pixels. A
 * super-resolution result's container is left out where it does not change them, so a preview
 * vouches for a PNG, TIFF or WebP-lossless task alike: lossless formats are named only by the
 * depth they lose (WebP has no 16-bit), a lossy one by its codec and quality, the background only
 * for a format without alpha. Left at their defaults (PNG at the model's scale, profile kept),
 * the output settings add nothing, so signatures of tasks made before they existed still match.
 */
export function signatureParams(kind: TaskKind, params: unknown): unknown {
  const signed = withoutDefaultPrecision(params);
  if (kind !== "super_resolution") return signed;
  // Scoring against the downscaled input measures the result; it never changes its pixels.
  const { output, compareDownscaled: _scoring, ...rest } = signed as SuperResolutionParams;
  const pixels: Record<string, unknown> = {};
  if (output.size.mode !== "model") pixels.size = output.size;
  if (output.color !== "keep") pixels.color = output.color;
  const file = OUTPUT_FORMAT_FILES[output.format];
  if (file.lossy) {
    pixels.codec = output.format;
    pixels.quality = output.quality;
  } else if (!file.depth16) {
    pixels.depth = 8;
  }
  if (!file.alpha) pixels.background = output.background.toLowerCase();
  return Object.keys(pixels).length > 0 ? { ...rest, output: pixels } : rest;
}

/**
 * `precision` defaults to "fp32", which is left out, so the signatures of tasks made before the
 * INT8 mode existed (and of every FP32 run) stay as they were; "int8" is signed, since its
 * pixels differ from FP32 ones.
 */
function withoutDefaultPrecision(params: unknown): unknown {
  if (params === null || typeof params !== "object" || !("precision" in params)) return params;
  const { precision, ...rest } = params as { precision?: unknown };
  return precision === "fp32" ? rest : params;
}

/** sha256 hex of canonical {kind, params (defaults filled), weight sha256, pipeline version}. */
export function parameterSignature(input: SignatureInput): string {
  const params = signatureParams(input.kind, PARAM_SCHEMAS[input.kind].parse(input.params ?? {}));
  const text = canonicalJson({
    kind: input.kind,
    params,
    pipeline: input.pipelineVersion ?? PIPELINE_VERSION,
    weight: input.weightSha256.toLowerCase(),
  });
  return createHash("sha256").update(text).digest("hex");
}
