import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type Int8Response,
  int8RequestSchema,
  int8ResponseSchema,
  int8WeightKey,
} from "@studio/contracts/inference/int8";
import type { InferenceEnv } from "../env";
import { HttpError } from "../http/errors";
import { checkInt8File } from "../int8/run";
import { Limiter } from "../limiter";
import { openWeightFile, WeightUnusableError } from "../models";
import type { AcquiredFile, NodeFiles } from "../node-files";
import type { RouteModule } from "../server";

type Config = Pick<InferenceEnv, "INT8_TIMEOUT_MS" | "INT8_MAX_MEMORY_MB" | "ORT_INTRA_OP_THREADS">;

/**
 * POST /v1/weights/int8: quantises a kept weight (weights/<sha256>.onnx, or an official model of
 * this node) to INT8 in an isolated child process and measures it against FP32 with the
 * product's gate. When INT8 is offered, the quantised model is stored as
 * weights/<sha256>.int8.onnx (written to this node's DATA_DIR/tmp, then handed to the store
 * whole); tasks and previews with `precision: "int8"` load it from there. The caller (the API)
 * records the report on the weight.
 */
export function int8Routes(deps: { config: Config; files: NodeFiles }): RouteModule {
  const { config, files } = deps;
  // One at a time: two checks side by side would each time the other's load, not the model.
  const limiter = new Limiter(1, 4);
  return (app) => {
    app.post("/v1/weights/int8", async (request, reply): Promise<Int8Response> => {
      const body = int8RequestSchema.parse(request.body);
      const release = await limiter.tryAcquire();
      if (!release) {
        throw new HttpError(429, "too_many_requests", "too many INT8 checks waiting", undefined, {
          "retry-after": "30",
        });
      }
      const gone = new AbortController();
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      let weight: AcquiredFile | undefined;
      try {
        if (gone.signal.aborted)
          throw new HttpError(499, "canceled", "the client closed the request");
        try {
          weight = await openWeightFile(files, body.weightSha256);
        } catch (error) {
          if (error instanceof WeightUnusableError) {
            request.log.warn({ sha256: body.weightSha256, detail: error.detail }, error.message);
            throw new HttpError(404, "not_found", error.message);
          }
          throw error;
        }
        const outputDir = path.join(files.dataDir, "tmp");
        await mkdir(outputDir, { recursive: true });
        const checked = await checkInt8File(
          {
            file: weight.path,
            spec: body.spec,
            taskKind: body.taskKind,
            threads: config.ORT_INTRA_OP_THREADS,
          },
          outputDir,
          { timeoutMs: config.INT8_TIMEOUT_MS, maxMemoryMb: config.INT8_MAX_MEMORY_MB },
          gone.signal,
        );
        let stored = false;
        if (checked.output) {
          // Content-addressed by the FP32 weight: every row of that weight shares the INT8 file.
          await files.storeFile(int8WeightKey(body.weightSha256), checked.output);
          stored = true;
        }
        request.log.info(
          {
            sha256: body.weightSha256,
            taskKind: body.taskKind,
            state: checked.report.state,
            psnrDb: checked.report.psnrDb,
            maskAgreement: checked.report.maskAgreement,
            speedup: checked.report.speedup,
            stored,
            ms: checked.totalMs,
            peakRssMb: checked.peakRssMb,
            ...(checked.detail ? { detail: checked.detail } : {}),
          },
          "weight checked for INT8",
        );
        return int8ResponseSchema.parse({ report: checked.report, stored });
      } finally {
        weight?.release();
        release();
      }
    });
  };
}
