import { isBlobError } from "@studio/blob/errors";
import { type PreviewResponse, previewRequestSchema } from "@studio/contracts/inference/preview";
import { taskKindSchema } from "@studio/contracts/task";
import { ImageError } from "@studio/core/image";
import type { Db } from "@studio/db/client";
import type { InferenceEnv } from "../env";
import { HttpError } from "../http/errors";
import type { Limiter } from "../limiter";
import type { Metrics } from "../metrics";
import { openWeightFile, WeightUnusableError } from "../models";
import type { NodeFiles } from "../node-files";
import type { PreviewPool } from "../preview/pool";
import type { RouteModule } from "../server";

type Config = Pick<InferenceEnv, "PREVIEW_MAX_SIDE" | "PREVIEW_MAX_PIXELS" | "PREVIEW_TIMEOUT_MS">;

/**
 * POST /v1/preview: the task's pipeline on a crop of a stored image, computed exactly as the
 * full run computes that region. Bounded crop, time limit, and a fixed number at once. The
 * store and the blob store are read here (the image, and the weight for a process that does
 * not hold its session, as local files handed to the process); the model runs in the preview
 * pool's processes, off this event loop. A blob store that cannot be reached answers 503.
 */
export function previewRoutes(deps: {
  config: Config;
  db: Db;
  files: NodeFiles;
  pool: PreviewPool;
  limiter: Limiter;
  metrics?: Metrics;
}): RouteModule {
  const { config, db, files, pool, limiter, metrics } = deps;
  return (app) => {
    app.post("/v1/preview", async (request, reply) => {
      const body = previewRequestSchema.parse(request.body);
      const { crop } = body;
      if (
        crop.width > config.PREVIEW_MAX_SIDE ||
        crop.height > config.PREVIEW_MAX_SIDE ||
        crop.width * crop.height > config.PREVIEW_MAX_PIXELS
      ) {
        throw new HttpError(
          400,
          "bad_request",
          `crop ${crop.width}x${crop.height} is too large for a preview (at most ${config.PREVIEW_MAX_SIDE} px a side and ${config.PREVIEW_MAX_PIXELS} pixels)`,
        );
      }
      const release = await limiter.tryAcquire();
      if (!release) {
        metrics?.previews.inc({ outcome: "busy" });
        throw new HttpError(
          429,
          "too_many_requests",
          `${limiter.limit} previews are already running; try again shortly`,
          undefined,
          {
            "retry-after": "1",
          },
        );
      }
      const timeout = AbortSignal.timeout(config.PREVIEW_TIMEOUT_MS);
      const gone = new AbortController();
      // The response closes before it was sent only when the client went away.
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const started = performance.now();
      // At the deadline the preview's process is killed; the answer goes out once it is gone,
      // so the slot is already free when the client hears 504 and may try again.
      const work = async (): Promise<PreviewResponse> => {
        const [weight, image] = await Promise.all([
          db.weight.findUnique({
            where: { id: body.weightId },
            select: { sha256: true, spec: true, taskKind: true, status: true },
          }),
          db.image.findUnique({
            where: { id: body.imageId },
            select: { storagePath: true, width: true, height: true, sha256: true },
          }),
        ]);
        if (!weight) throw new HttpError(404, "not_found", `no weight ${body.weightId}`);
        if (!image) throw new HttpError(404, "not_found", `no image ${body.imageId}`);
        if (weight.status !== "ready")
          throw new HttpError(
            422,
            "unprocessable",
            `weight ${body.weightId} is ${weight.status}, not ready`,
          );
        if (crop.x + crop.width > image.width || crop.y + crop.height > image.height) {
          throw new HttpError(
            400,
            "bad_request",
            `crop ${crop.width}x${crop.height}+${crop.x}+${crop.y} is outside the ${image.width}x${image.height} image`,
          );
        }
        const kind = taskKindSchema.parse(weight.taskKind);
        const imageFile = await files.acquire(image.storagePath).catch((error: unknown) => {
          if (isBlobError(error, "not_found")) {
            throw new HttpError(404, "not_found", "the image file is missing");
          }
          throw error;
        });
        let response: PreviewResponse;
        try {
          response = await pool.run(
            {
              taskKind: kind,
              weightSha256: weight.sha256,
              spec: weight.spec,
              imageSha256: image.sha256,
              imageFile: imageFile.path,
              crop,
              params: body.params,
            },
            { cancel: gone.signal, kill: timeout },
            (sha256) => openWeightFile(files, sha256),
          );
        } finally {
          imageFile.release();
        }
        const seconds = (performance.now() - started) / 1000;
        metrics?.previews.inc({ outcome: "ok" });
        metrics?.previewDuration.observe({ kind }, seconds);
        request.log.info(
          {
            weightId: body.weightId,
            weightSha256: weight.sha256,
            imageId: body.imageId,
            crop,
            device: response.device,
            timings: response.timings,
          },
          "preview",
        );
        return response;
      };
      try {
        // Sent as bytes: Node writes a long string answer (1.6 MB of JSON, most of it the PNG's
        // base64, for a 1024 px preview) about 10 ms slower than the same JSON as one Buffer.
        const body = Buffer.from(JSON.stringify(await work()));
        return reply.type("application/json; charset=utf-8").send(body);
      } catch (error) {
        if (timeout.aborted) {
          metrics?.previews.inc({ outcome: "timeout" });
          throw new HttpError(
            504,
            "timeout",
            `preview did not finish within ${config.PREVIEW_TIMEOUT_MS} ms`,
          );
        }
        if (gone.signal.aborted) {
          // Nobody reads this answer; it keeps a client's abandoned preview out of the error log.
          metrics?.previews.inc({ outcome: "canceled" });
          throw new HttpError(499, "canceled", "the client closed the request");
        }
        metrics?.previews.inc({ outcome: "error" });
        if (error instanceof ImageError)
          throw new HttpError(422, "unprocessable", error.message, { code: error.code });
        if (error instanceof WeightUnusableError)
          throw new HttpError(422, "unprocessable", error.message);
        throw error;
      } finally {
        release();
      }
    });
  };
}
