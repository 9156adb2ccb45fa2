import { rm } from "node:fs/promises";
import path from "node:path";
import {
  type ConvertResponse,
  convertRequestSchema,
  convertResponseSchema,
} from "@studio/contracts/inference/convert";
import { ARCHITECTURE_IDS } from "@studio/core/architectures";
import { DEFAULT_MAX_BYTES } from "@studio/core/importers";
import { canceledError, convertWeightFile } from "../convert/run";
import { resolveDataPath, resolveTmpPath } from "../data-path";
import type { InferenceEnv } from "../env";
import { HttpError } from "../http/errors";
import { Limiter } from "../limiter";
import type { Metrics } from "../metrics";
import type { RouteModule } from "../server";

type Config = Pick<
  InferenceEnv,
  | "DATA_DIR"
  | "CONVERT_TIMEOUT_MS"
  | "CONVERT_MAX_MEMORY_MB"
  | "CONVERT_MAX_CONCURRENT"
  | "INFERENCE_TEST_HOLD_DIR"
>;

const tighter = (requested: number | undefined, own: number) =>
  requested === undefined ? own : Math.min(requested, own);

/**
 * POST /v1/weights/convert: a state_dict or NCNN upload the web app has received into
 * DATA_DIR/tmp becomes DATA_DIR/tmp/<random>.onnx.part, built in an isolated child process so
 * neither this event loop nor the web app's waits for it. The caller owns both files: it
 * removes its upload, and moves or removes the ONNX file.
 */
export function convertRoutes(deps: { config: Config; metrics?: Metrics }): RouteModule {
  const { config, metrics } = deps;
  // Each conversion is a process holding up to CONVERT_MAX_MEMORY_MB; a few may wait.
  const limiter = new Limiter(config.CONVERT_MAX_CONCURRENT, 8);
  return (app) => {
    app.post("/v1/weights/convert", async (request, reply): Promise<ConvertResponse> => {
      const body = convertRequestSchema.parse(request.body);
      if (body.kind === "state_dict" && !ARCHITECTURE_IDS.includes(body.architecture)) {
        throw new HttpError(
          400,
          "unknown_architecture",
          `Unknown architecture "${body.architecture}"; known: ${ARCHITECTURE_IDS.join(", ")}.`,
        );
      }
      const source =
        body.kind === "state_dict"
          ? {
              kind: body.kind,
              file: await resolveTmpPath(config.DATA_DIR, body.path),
              architecture: body.architecture,
              fileName: body.fileName,
            }
          : {
              kind: body.kind,
              param: await resolveTmpPath(config.DATA_DIR, body.param),
              bin: await resolveTmpPath(config.DATA_DIR, body.bin),
            };
      const limits = {
        timeoutMs: tighter(body.limits.timeoutMs, config.CONVERT_TIMEOUT_MS),
        maxMemoryMb: tighter(body.limits.maxMemoryMb, config.CONVERT_MAX_MEMORY_MB),
        // The importer's own cap unless the caller sets a lower one (its upload limit).
        maxBytes: tighter(body.limits.maxBytes, DEFAULT_MAX_BYTES),
      };
      // Beside the inputs (which exist, so tmp/ does): the caller renames the result into
      // weights/ on the same file system.
      const outputDir = await resolveDataPath(config.DATA_DIR, "tmp");

      const release = await limiter.tryAcquire();
      if (!release) {
        throw new HttpError(
          429,
          "too_many_requests",
          "too many weight conversions waiting",
          undefined,
          { "retry-after": "10" },
        );
      }
      const gone = new AbortController();
      /** The finished ONNX file until the answer naming it has gone out. */
      let output: string | undefined;
      // The response closes before it was sent only when the client went away; its conversion
      // (or its place in the queue) is then given up and nothing is left behind.
      reply.raw.once("close", () => {
        if (reply.raw.writableFinished) return;
        gone.abort();
        // Converted, but the answer never reached the caller: nobody would ever claim the file.
        if (output) void rm(output, { force: true });
      });
      try {
        // A request that waited for its turn may have been abandoned meanwhile.
        if (gone.signal.aborted) throw canceledError();
        const converted = await convertWeightFile(
          source,
          outputDir,
          limits,
          gone.signal,
          config.INFERENCE_TEST_HOLD_DIR,
        );
        output = converted.output;
        if (gone.signal.aborted) throw canceledError();
        metrics?.conversions.inc({ kind: body.kind, outcome: "ok" });
        request.log.info(
          {
            kind: body.kind,
            sha256: converted.sha256,
            size: converted.size,
            ms: converted.totalMs,
            peakRssMb: converted.peakRssMb,
          },
          "weight converted",
        );
        return convertResponseSchema.parse({
          kind: converted.kind,
          path: path.posix.join("tmp", path.basename(converted.output)),
          size: converted.size,
          sha256: converted.sha256,
          report: converted.report,
          timings: { totalMs: converted.totalMs },
          peakRssMb: converted.peakRssMb,
        });
      } catch (error) {
        if (output) await rm(output, { force: true });
        const code = error instanceof HttpError ? error.code : "internal";
        metrics?.conversions.inc({ kind: body.kind, outcome: code });
        throw error;
      } finally {
        release();
      }
    });
  };
}
