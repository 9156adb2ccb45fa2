// What the service and a preview process (child.ts) say to each other over the IPC channel.
// Errors cross as data and are rebuilt on the service's side as the same classes, so the
// preview route maps them to the same HTTP answers as when the pipeline ran in-process.

import type { Crop, PreviewResponse } from "@studio/contracts/inference/preview";
import type { TaskKind } from "@studio/contracts/task";
import { ImageError, type ImageErrorCode } from "@studio/core/image";
import { ZodError } from "zod";
import type { MetricMessage } from "../metrics";
import { type ModelSettings, WeightUnusableError } from "../models";

/** Fixed for the life of a preview process; passed on its command line. */
export interface PreviewProcessSettings extends ModelSettings {
  maxImagePixels: number;
  /** Bound of the process's model output cache (0 = none). */
  outputCacheBytes: number;
  /** Bound of the process's decoded image cache (0 = none). */
  imageCacheBytes: number;
}

/** One preview, already checked against the store by the route. */
export interface PreviewJob {
  taskKind: TaskKind;
  weightSha256: string;
  /** The weight's model spec as stored (JSON text). */
  spec: string;
  /** sha256 of the image's bytes: with the crop, what the model output cache is keyed by. */
  imageSha256: string;
  /** A local file with the image's bytes (the service holds it until the answer). */
  imageFile: string;
  /**
   * A local file with the weight, given when the process does not hold its session (the
   * service opens it through its own store access and holds it until the answer).
   */
  weightFile?: string;
  crop: Crop;
  params: Record<string, unknown>;
}

/**
 * A preview's answer as the process sends it: its PNGs as bytes. The channel uses structured
 * clone ("advanced" serialization), which carries bytes as they are: a 1.2 MB PNG (a 1024 px
 * crop) took 2-12 ms to cross on a busy 2-core machine, where as base64 in a JSON message it took
 * 90-170 ms, more than the tuning. The pool turns this into the HTTP answer (PreviewResponse).
 */
export type PreviewAnswer = Omit<PreviewResponse, "pngBase64" | "probabilityPngBase64"> & {
  png: Uint8Array;
  probabilityPng?: Uint8Array;
};

export type WireError =
  | { kind: "image"; code: ImageErrorCode; message: string }
  | { kind: "weight"; message: string; detail?: string }
  | { kind: "params"; issues: ZodError["issues"] }
  | { kind: "internal"; name: string; message: string; stack?: string };

export type ToPreviewProcess =
  | { type: "run"; id: number; job: PreviewJob }
  /** Stop at the next tile: the client went away. */
  | { type: "cancel"; id: number }
  /** Idle for a while: release the sessions (the pool has forgotten them already). */
  | { type: "release" };

export type FromPreviewProcess =
  | { type: "ready" }
  | MetricMessage
  | { type: "result"; id: number; answer: PreviewAnswer; cached: string[] }
  | { type: "error"; id: number; error: WireError; cached: string[] };

export function toWireError(error: unknown): WireError {
  if (error instanceof ImageError)
    return { kind: "image", code: error.code, message: error.message };
  if (error instanceof WeightUnusableError) {
    return {
      kind: "weight",
      message: error.message,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
    };
  }
  // Parameter errors come from core's schemas; matched by shape in case core's zod is a
  // different copy from this package's.
  if (error instanceof Error && error.name === "ZodError" && "issues" in error) {
    return { kind: "params", issues: (error as ZodError).issues };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    kind: "internal",
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
  };
}

export function fromWireError(wire: WireError): Error {
  switch (wire.kind) {
    case "image":
      return new ImageError(wire.code, wire.message);
    case "weight":
      return new WeightUnusableError(wire.message, wire.detail);
    case "params":
      return new ZodError(wire.issues);
    case "internal": {
      const error = new Error(wire.message);
      error.name = wire.name;
      if (wire.stack) error.stack = wire.stack;
      return error;
    }
  }
}
