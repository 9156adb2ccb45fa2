import { readFile } from "node:fs/promises";
import path from "node:path";
import { decodeImage, encodePng, ImageError, type RawImage } from "@studio/core/image";
import {
  type PreparedModel,
  runClassification,
  runSegmentation,
  runSuperResolution,
} from "@studio/core/pipeline";
import type { ClassificationSpec, SegmentationSpec, SuperResolutionSpec } from "@studio/core/spec";
import type { Db } from "@studio/db/client";
import type { InferenceEnv } from "../env";
import { HttpError } from "../http/errors";
import type { Limiter } from "../limiter";
import type { Metrics } from "../metrics";
import { type ModelStore, WeightUnusableError } from "../models";
import { type Crop, type PreviewResponse, previewRequestSchema, taskKindSchema } from "../protocol";
import type { RouteModule } from "../server";

type Config = Pick<
  InferenceEnv,
  "DATA_DIR" | "PREVIEW_MAX_SIDE" | "PREVIEW_MAX_PIXELS" | "PREVIEW_TIMEOUT_MS" | "MAX_IMAGE_PIXELS"
>;

function cropRaw(img: RawImage, crop: Crop): RawImage {
  const c = img.channels;
  const data =
    img.depth === 16
      ? new Uint16Array(crop.width * crop.height * c)
      : new Uint8Array(crop.width * crop.height * c);
  for (let y = 0; y < crop.height; y++) {
    const from = ((crop.y + y) * img.width + crop.x) * c;
    data.set(img.data.subarray(from, from + crop.width * c), y * crop.width * c);
  }
  return { width: crop.width, height: crop.height, channels: img.channels, depth: img.depth, data };
}

const b64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const round = (t: object) =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round((v as number) * 10) / 10]));

/**
 * POST /v1/preview: the task's pipeline on a crop of a stored image, computed exactly as the
 * full run computes that region. Bounded crop, time limit, and a fixed number at once.
 */
export function previewRoutes(deps: {
  config: Config;
  db: Db;
  models: ModelStore;
  limiter: Limiter;
  metrics?: Metrics;
}): RouteModule {
  const { config, db, models, limiter, metrics } = deps;
  return (app) => {
    app.post("/v1/preview", async (request) => {
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
      request.raw.once("close", () => {
        if (!request.raw.complete) gone.abort();
      });
      const signal = AbortSignal.any([timeout, gone.signal]);
      const started = performance.now();
      // The answer goes out at the deadline even if a tile is still running; the slot is
      // given back only when the computation has really stopped, so the limit stays true.
      const deadline = new Promise<never>((_, reject) => {
        timeout.addEventListener("abort", () => reject(timeout.reason), { once: true });
      });
      const work = (async (): Promise<PreviewResponse> => {
        const [weight, image] = await Promise.all([
          db.weight.findUnique({
            where: { id: body.weightId },
            select: { sha256: true, spec: true, taskKind: true, status: true },
          }),
          db.image.findUnique({
            where: { id: body.imageId },
            select: { storagePath: true, width: true, height: true },
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
        const model = await models.get(weight.sha256, weight.spec);
        const bytes = await readFile(path.join(config.DATA_DIR, image.storagePath));
        signal.throwIfAborted();
        const base = { taskKind: kind, weightSha256: weight.sha256 };
        let response: PreviewResponse;
        if (kind === "super_resolution") {
          const r = await runSuperResolution({
            model: model as PreparedModel<SuperResolutionSpec>,
            input: bytes,
            params: body.params,
            region: crop,
            decode: { maxPixels: config.MAX_IMAGE_PIXELS },
            signal,
          });
          response = {
            ...base,
            pngBase64: b64(r.png),
            width: r.image.width,
            height: r.image.height,
            paramSignature: r.signature,
            device: r.device,
            timings: round(r.timings),
          };
        } else if (kind === "segmentation") {
          const r = await runSegmentation({
            model: model as PreparedModel<SegmentationSpec>,
            input: bytes,
            params: body.params,
            region: crop,
            decode: { maxPixels: config.MAX_IMAGE_PIXELS },
            signal,
          });
          const mask = r.png.mask ?? (await encodePng(r.mask));
          const probability = r.png.probability ?? (await encodePng(r.probability));
          response = {
            ...base,
            pngBase64: b64(mask),
            probabilityPngBase64: b64(probability),
            width: r.width,
            height: r.height,
            paramSignature: r.signature,
            device: r.device,
            timings: round(r.timings),
          };
        } else {
          const decoded = await decodeImage(bytes, { maxPixels: config.MAX_IMAGE_PIXELS });
          const cropped = cropRaw(decoded, crop);
          const r = await runClassification({
            model: model as PreparedModel<ClassificationSpec>,
            input: cropped,
            params: body.params,
            signal,
          });
          response = {
            ...base,
            pngBase64: b64(await encodePng(cropped)),
            width: cropped.width,
            height: cropped.height,
            labels: r.top,
            paramSignature: r.signature,
            device: r.device,
            timings: round(r.timings),
          };
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
      })();
      work.then(release, release);
      deadline.catch(() => {});
      try {
        return await Promise.race([work, deadline]);
      } catch (error) {
        if (timeout.aborted) {
          metrics?.previews.inc({ outcome: "timeout" });
          throw new HttpError(
            504,
            "timeout",
            `preview did not finish within ${config.PREVIEW_TIMEOUT_MS} ms`,
          );
        }
        metrics?.previews.inc({ outcome: "error" });
        if (error instanceof ImageError)
          throw new HttpError(422, "unprocessable", error.message, { code: error.code });
        if (error instanceof WeightUnusableError)
          throw new HttpError(422, "unprocessable", error.message);
        throw error;
      }
    });
  };
}
