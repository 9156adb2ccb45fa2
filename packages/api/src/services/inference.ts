import { parameterSignature } from "@studio/core/signature";
import type { TaskKind } from "@studio/core/spec";
import type { Db } from "../db";
import { badRequest, conflict, inferenceError, notFound } from "../errors";
import type { InferenceClient } from "../inference";
import { assertPrecisionOffered } from "./int8";
import { validateParams } from "./tasks";
import { usableWeightWhere } from "./weights";

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
export async function preview(
  db: Db,
  inference: InferenceClient,
  args: PreviewArgs,
  /** Aborted when the caller went away: the service then stops computing the crop. */
  signal?: AbortSignal,
) {
  const weight = await db.weight.findFirst({
    where: { id: args.weightId, ...usableWeightWhere(args.teamId) },
    select: { id: true, taskKind: true, status: true, sha256: true, spec: true, int8: true },
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
    throw badRequest(`The crop exceeds the image (${image.width}x${image.height}).`);
  }
  const kind = weight.taskKind as TaskKind;
  const params = validateParams(kind, args.params, weight.spec);
  assertPrecisionOffered(kind, params, weight.int8);
  const expected = parameterSignature({ kind, params, weightSha256: weight.sha256 });
  try {
    const result = await inference.preview(
      { weightId: weight.id, imageId: image.id, crop, params },
      signal,
    );
    return { ...result, expectedSignature: expected };
  } catch (error) {
    throw inferenceError(error);
  }
}
