// The fast CPU mode (INT8) of a weight: the check that quantises and measures it (in the
// inference service), the report kept on the weight, and the gate that lets a task or preview
// ask for `precision: "int8"` only when that report offered it.
import {
  INT8_TASK_KINDS,
  type Int8ReportWire,
  int8ReportSchema,
} from "@studio/contracts/inference/int8";
import type { TaskKind } from "@studio/core/spec";
import type { Db } from "../db";
import { badRequest, conflict, inferenceError } from "../errors";
import type { InferenceClient } from "../inference";
import { parseJson } from "./json";
import { weightForChange } from "./weights";

/** The report stored on a weight (JSON text), or null: never checked, or a damaged value. */
export function parseInt8Report(text: string | null | undefined): Int8ReportWire | null {
  const parsed = int8ReportSchema.safeParse(parseJson<unknown>(text, null));
  return parsed.success ? parsed.data : null;
}

const hasInt8Mode = (kind: string): kind is (typeof INT8_TASK_KINDS)[number] =>
  (INT8_TASK_KINDS as readonly string[]).includes(kind);

export interface Int8Actor {
  /** The team the request is made in (its own weights and the official ones are visible). */
  teamId: string;
  isTeamAdmin: boolean;
  isSiteAdmin: boolean;
}

/**
 * Quantises the weight to INT8 and measures it against FP32 in the inference service (an
 * isolated process there), then records the report on the weight. Team weights are checked by
 * the team's admins, official ones by site admins. The report says whether INT8 is offered and
 * why not, with the measured figures; a model the quantiser cannot handle is a report
 * ("unsupported"), not an error.
 */
export async function checkWeightInt8(
  db: Db,
  inference: InferenceClient,
  actor: Int8Actor,
  weightId: string,
  signal?: AbortSignal,
): Promise<Int8ReportWire> {
  const weight = await weightForChange(db, actor, weightId);
  if (weight.status !== "ready") {
    throw conflict(`The weight is ${weight.status}; only validated weights can run.`);
  }
  if (!hasInt8Mode(weight.taskKind)) {
    throw badRequest(
      "The fast CPU mode (INT8) is for super-resolution and segmentation weights only.",
    );
  }
  let answer: Awaited<ReturnType<InferenceClient["checkInt8"]>>;
  try {
    answer = await inference.checkInt8(
      {
        weightSha256: weight.sha256,
        spec: parseJson<unknown>(weight.spec, null),
        taskKind: weight.taskKind,
      },
      signal,
    );
  } catch (error) {
    throw inferenceError(error);
  }
  // "offered" is recorded only with the INT8 model in the store: tasks load it from there.
  const report: Int8ReportWire =
    answer.report.state === "offered" && !answer.stored
      ? { ...answer.report, state: "unsupported", reason: "The INT8 model could not be stored." }
      : answer.report;
  await db.weight.update({
    where: { id: weight.id },
    data: { int8: JSON.stringify(report) },
    select: { id: true },
  });
  return report;
}

/**
 * Refuses params that ask for `precision: "int8"` on a weight whose INT8 check did not offer
 * it (never checked, quality below the gate, not faster here, nothing to quantise), with the
 * check's own reason and figures.
 */
export function assertPrecisionOffered(
  kind: TaskKind,
  params: Record<string, unknown>,
  int8: string | null,
): void {
  if (params.precision !== "int8") return;
  if (!hasInt8Mode(kind)) {
    throw badRequest(
      "The fast CPU mode (INT8) is for super-resolution and segmentation weights only.",
    );
  }
  const report = parseInt8Report(int8);
  if (report?.state === "offered") return;
  const reason = report?.reason.trim() || "it has not been checked for INT8 yet.";
  throw conflict(`This weight has no fast CPU mode (INT8): ${reason}`);
}
