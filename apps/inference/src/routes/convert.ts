import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type ConvertResponse,
  convertRequestSchema,
  convertResponseSchema,
} from "@studio/contracts/inference/convert";
import { INCOMING_PREFIX } from "@studio/contracts/inference/store-key";
import {
  ARCHITECTURE_FAMILIES,
  ARCHITECTURE_IDS,
  isArchitectureId,
} from "@studio/core/architectures";
import { DEFAULT_MAX_BYTES } from "@studio/core/importers";
import { canceledError, convertWeightFile } from "../convert/run";
import type { InferenceEnv } from "../env";
import { HttpError } from "../http/errors";
import { Limiter } from "../limiter";
import type { Metrics } from "../metrics";
import type { AcquiredFile, NodeFiles } from "../node-files";
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
 * POST /v1/weights/convert: a state_dict or NCNN upload the web app has staged in the blob store
 * (incoming/) becomes an ONNX file, built in an isolated child process (into this node's
 * DATA_DIR/tmp) so neither this event loop nor the web app's waits for it, then stored as
 * incoming/<random>.onnx. The caller owns both: it removes its upload, and moves or removes the
 * ONNX object; this side removes the object only when the answer naming it never went out.
 */
export function convertRoutes(deps: {
  config: Config;
  files: NodeFiles;
  metrics?: Metrics;
}): RouteModule {
  const { config, files, metrics } = deps;
  // Each conversion is a process holding up to CONVERT_MAX_MEMORY_MB; a few may wait.
  const limiter = new Limiter(config.CONVERT_MAX_CONCURRENT, 8);
  return (app) => {
    app.post("/v1/weights/convert", async (request, reply): Promise<ConvertResponse> => {
      const body = convertRequestSchema.parse(request.body);
      const named = body.kind === "state_dict" ? body.architecture : undefined;
      if (named && !isArchitectureId(named) && !Object.hasOwn(ARCHITECTURE_FAMILIES, named)) {
        throw new HttpError(
          400,
          "unknown_architecture",
          `Unknown architecture "${named}"; leave it out to detect it, or name a family (${Object.keys(ARCHITECTURE_FAMILIES).join(", ")}) or one of ${ARCHITECTURE_IDS.join(", ")}.`,
        );
      }
      const limits = {
        timeoutMs: tighter(body.limits.timeoutMs, config.CONVERT_TIMEOUT_MS),
        maxMemoryMb: tighter(body.limits.maxMemoryMb, config.CONVERT_MAX_MEMORY_MB),
        // The importer's own cap unless the caller sets a lower one (its upload limit).
        maxBytes: tighter(body.limits.maxBytes, DEFAULT_MAX_BYTES),
      };
      // The child writes into this node's temp folder; the finished file is then stored.
      const outputDir = path.join(files.dataDir, "tmp");
      await mkdir(outputDir, { recursive: true });

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
      /** The stored ONNX object until the answer naming it has gone out. */
      let output: string | undefined;
      // The response closes before it was sent only when the client went away; its conversion
      // (or its place in the queue) is then given up and nothing is left behind.
      reply.raw.once("close", () => {
        if (reply.raw.writableFinished) return;
        gone.abort();
        // Converted, but the answer never reached the caller: nobody would ever claim it.
        if (output) void files.delete(output).catch(() => {});
      });
      const inputs: AcquiredFile[] = [];
      const input = async (key: string) => {
        const file = await files.acquire(key);
        inputs.push(file);
        return file.path;
      };
      try {
        // A request that waited for its turn may have been abandoned meanwhile.
        if (gone.signal.aborted) throw canceledError();
        const source =
          body.kind === "state_dict"
            ? {
                kind: body.kind,
                file: await input(body.key),
                architecture: body.architecture,
                fileName: body.fileName,
              }
            : { kind: body.kind, param: await input(body.param), bin: await input(body.bin) };
        const converted = await convertWeightFile(
          source,
          outputDir,
          limits,
          gone.signal,
          config.INFERENCE_TEST_HOLD_DIR,
        );
        const key = `${INCOMING_PREFIX}${randomBytes(16).toString("hex")}.onnx`;
        // The stored bytes must be those the converter described.
        await files.storeFile(key, converted.output, {
          size: converted.size,
          sha256: converted.sha256,
        });
        output = key;
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
          key,
          size: converted.size,
          sha256: converted.sha256,
          report: converted.report,
          timings: { totalMs: converted.totalMs },
          peakRssMb: converted.peakRssMb,
        });
      } catch (error) {
        if (output) await files.delete(output).catch(() => {});
        const code = error instanceof HttpError ? error.code : "internal";
        metrics?.conversions.inc({ kind: body.kind, outcome: code });
        throw error;
      } finally {
        for (const file of inputs) file.release();
        release();
      }
    });
  };
}
