import {
  type ValidateRequest,
  type ValidateResponse,
  validateRequestSchema,
} from "@studio/contracts/inference/validate";
import type { Db } from "@studio/db/client";
import type { FastifyRequest } from "fastify";
import type { InferenceEnv } from "../env";
import { HttpError } from "../http/errors";
import { Limiter } from "../limiter";
import type { Metrics } from "../metrics";
import type { NodeFiles } from "../node-files";
import type { RouteModule } from "../server";
import { validateWeightFile } from "../validate/run";

type Config = Pick<
  InferenceEnv,
  | "VALIDATE_TIMEOUT_MS"
  | "VALIDATE_MAX_MEMORY_MB"
  | "VALIDATE_MAX_RUN_MS"
  | "VALIDATE_MAX_CONCURRENT"
  | "INFERENCE_TEST_HOLD_DIR"
>;

/** What is stored on the Weight row: the I/O summary and the full report. */
async function recordOutcome(db: Db, weightId: string, report: ValidateResponse): Promise<void> {
  await db.weight.update({
    where: { id: weightId },
    data: {
      status: report.ok ? "ready" : "invalid",
      validationError: report.ok ? null : `${report.code}: ${report.reason}`,
      ioMetadata: JSON.stringify({
        inputs: report.inputs,
        outputs: report.outputs,
        opsets: report.opsets,
        opset: report.opset ?? null,
        parameterCount: report.parameterCount ?? null,
        derivedScale: report.derivedScale ?? null,
      }),
      validationReport: JSON.stringify(report),
    },
    select: { id: true },
  });
}

/**
 * POST /v1/weights/validate: isolated inspection and trial run of an ONNX file named by its key
 * (a staged upload under incoming/, a kept weight, or an official model of this node). The
 * object is read through this node's files (in place locally, a download otherwise) and never
 * deleted here.
 */
export function validateRoutes(deps: {
  config: Config;
  db: Db;
  files: NodeFiles;
  metrics?: Metrics;
}): RouteModule {
  // Each validation is a child process with its own memory allowance; a few may wait.
  const limiter = new Limiter(deps.config.VALIDATE_MAX_CONCURRENT, 8);
  return (app) => {
    app.post("/v1/weights/validate", async (request) => {
      return validate(request, validateRequestSchema.parse(request.body));
    });
  };

  async function validate(
    request: FastifyRequest,
    body: ValidateRequest,
  ): Promise<ValidateResponse> {
    if (body.weightId) {
      const weight = await deps.db.weight.findUnique({
        where: { id: body.weightId },
        select: { id: true },
      });
      if (!weight) throw new HttpError(404, "not_found", `no weight ${body.weightId}`);
    }
    const release = await limiter.tryAcquire();
    if (!release) {
      throw new HttpError(
        429,
        "too_many_requests",
        "too many weight validations waiting",
        undefined,
        {
          "retry-after": "10",
        },
      );
    }
    let validated: Awaited<ReturnType<typeof validateWeightFile>>;
    // The file is fetched once this request has its slot: from S3 that is a download, which a
    // refused or waiting request must not make (nor hold a temp copy of).
    let file: Awaited<ReturnType<typeof deps.files.acquire>> | undefined;
    try {
      file = await deps.files.acquire(body.key);
      validated = await validateWeightFile(
        { file: file.path, taskKind: body.taskKind, spec: body.spec },
        {
          timeoutMs: deps.config.VALIDATE_TIMEOUT_MS,
          maxMemoryMb: deps.config.VALIDATE_MAX_MEMORY_MB,
          maxRunMs: deps.config.VALIDATE_MAX_RUN_MS,
        },
        deps.config.INFERENCE_TEST_HOLD_DIR,
      );
    } finally {
      file?.release();
      release();
    }
    const { report, detail } = validated;
    deps.metrics?.validations.inc({ outcome: report.ok ? "ok" : (report.code ?? "rejected") });
    request.log.info(
      {
        key: body.key,
        taskKind: body.taskKind,
        weightId: body.weightId,
        ok: report.ok,
        code: report.code,
        ms: report.timings.totalMs,
        ...(detail === undefined ? {} : { detail }),
      },
      "weight validated",
    );
    if (body.weightId) await recordOutcome(deps.db, body.weightId, report);
    return report;
  }
}
