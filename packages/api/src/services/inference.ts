import { parameterSignature } from "@studio/core/signature";
import type { TaskKind } from "@studio/core/spec";
import { TRPCError } from "@trpc/server";
import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import {
  InferenceBusyError,
  type InferenceClient,
  InferenceRequestError,
  InferenceUnavailableError,
} from "../inference-client";
import { validateParams } from "./tasks";
import { usableWeightWhere } from "./weights";

/** Turns the service's failures into tRPC errors with its (clean) message. */
export function inferenceError(error: unknown): unknown {
  if (error instanceof InferenceUnavailableError) {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "The inference service is unavailable.",
      cause: error,
    });
  }
  if (error instanceof InferenceBusyError) {
    return new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `Too many previews are running; try again in ${error.retryAfterSeconds} s.`,
    });
  }
  if (error instanceof InferenceRequestError) {
    const code =
      error.status === 404
        ? "NOT_FOUND"
        : error.status === 400
          ? "BAD_REQUEST"
          : error.status === 413
            ? "PAYLOAD_TOO_LARGE"
            : error.status === 422
              ? "UNPROCESSABLE_CONTENT"
              : error.status === 504
                ? "GATEWAY_TIMEOUT"
                : "BAD_GATEWAY";
    // The service's messages are meant to be clean, but a path that slips into one (a
    // missing file) must not reach the browser; the cause keeps the original for the log.
    return new TRPCError({ code, message: withoutServerPaths(error.message), cause: error });
  }
  return error;
}

// Absolute POSIX or Windows paths of at least two segments. Segments exclude the
// separator, so the pattern cannot backtrack badly on long input.
const ABSOLUTE_PATH = /(?:[A-Za-z]:)?[\\/](?:[^\s'"`,;()<>\\/]+[\\/])+[^\s'"`,;()<>\\/]*/g;

/** Replaces server paths in a message with "<path>"; "missing" files get a plain sentence. */
export function withoutServerPaths(message: string): string {
  if (/\bENOENT\b/.test(message)) return "A file the service needs is missing.";
  return message.replace(ABSOLUTE_PATH, "<path>");
}

export interface PreviewArgs {
  teamId: string;
  weightId: string;
  imageId: string;
  crop: { x: number; y: number; width: number; height: number };
  params: unknown;
}

/**
 * Checks that the weight and image belong to the team, validates the parameters for the
 * weight's kind, and forwards the crop to the service. The returned signature is the one
 * `tasks.create` computes for the same settings, so the final run can be checked against it.
 */
export async function preview(db: Db, inference: InferenceClient, args: PreviewArgs) {
  const weight = await db.weight.findFirst({
    where: { id: args.weightId, ...usableWeightWhere(args.teamId) },
    select: { id: true, taskKind: true, status: true, sha256: true, spec: true },
  });
  if (!weight) throw notFound("Weight not found.");
  if (weight.status !== "ready")
    throw conflict(`The weight is ${weight.status}; only validated weights can run.`);
  const image = await db.image.findFirst({
    where: { id: args.imageId, teamId: args.teamId },
    select: { id: true, width: true, height: true },
  });
  if (!image) throw notFound("Image not found.");
  const { crop } = args;
  if (crop.x + crop.width > image.width || crop.y + crop.height > image.height) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The crop exceeds the image (${image.width}x${image.height}).`,
    });
  }
  const kind = weight.taskKind as TaskKind;
  const params = validateParams(kind, args.params, weight.spec);
  const expected = parameterSignature({ kind, params, weightSha256: weight.sha256 });
  try {
    const result = await inference.preview({
      weightId: weight.id,
      imageId: image.id,
      crop,
      params,
    });
    return { ...result, expectedSignature: expected };
  } catch (error) {
    throw inferenceError(error);
  }
}
