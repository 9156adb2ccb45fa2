// The pipeline part of a preview, run inside a preview process (child.ts): the task's pipeline
// on a crop of the image, computed exactly as the full run computes that region.
import { readFile } from "node:fs/promises";
import { decodeImage, encodePng, keepsPixels, type RawImage, roundTrip } from "@studio/core/image";
import {
  cropImage,
  type ModelOutputCache,
  type PreparedModel,
  runClassification,
  runSegmentation,
  runSuperResolution,
} from "@studio/core/pipeline";
import {
  type ClassificationSpec,
  type SegmentationSpec,
  SuperResolutionParams,
  type SuperResolutionSpec,
} from "@studio/core/spec";
import type { WorkerMetrics } from "../metrics";
import { deviceLabel, type ModelStore, precisionOf } from "../models";
import type { DecodedImageCache } from "./image-cache";
import type { PreviewAnswer, PreviewJob } from "./messages";

const round = (t: object) =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round((v as number) * 10) / 10]));

export async function computePreview(
  job: PreviewJob,
  deps: {
    models: ModelStore;
    maxImagePixels: number;
    signal: AbortSignal;
    outputCache?: ModelOutputCache;
    /** Decoded images by sha256: a preview of an image seen before skips reading and decoding. */
    imageCache?: DecodedImageCache;
    metrics?: Pick<WorkerMetrics, "previewModelOutput">;
  },
): Promise<PreviewAnswer> {
  const { crop, params, taskKind: kind } = job;
  const { signal } = deps;
  const { weightFile } = job;
  // The service sends the weight's file only when this process had no session of it: for
  // `precision: "int8"` the file of its INT8 model (the pool goes by the session key).
  const model = await deps.models.get(
    job.weightSha256,
    job.spec,
    weightFile ? async () => ({ key: weightFile, path: weightFile, release() {} }) : undefined,
    precisionOf(params),
  );
  // The pixels, decoded here rather than by the pipeline so that they can be kept: with an ICC
  // profile, "keep the profile" and "convert to sRGB" are different pixels of the same bytes.
  let decodeMs = 0;
  const image = async (keepProfile: boolean): Promise<RawImage> => {
    const started = performance.now();
    const decode = async () =>
      decodeImage(await readFile(job.imageFile), {
        maxPixels: deps.maxImagePixels,
        keepProfile,
      });
    const key = `${job.imageSha256}${keepProfile ? ":own-profile" : ""}`;
    const pixels = await (deps.imageCache ? deps.imageCache.get(key, decode) : decode());
    decodeMs = performance.now() - started;
    signal.throwIfAborted();
    return pixels;
  };
  const base = { taskKind: kind, weightSha256: job.weightSha256 };
  const runFacts = (r: {
    signature: string;
    device: PreviewAnswer["device"];
    timings: { decodeMs: number; totalMs: number };
  }) => ({
    paramSignature: r.signature,
    device: deviceLabel(r.device, params),
    timings: round({ ...r.timings, decodeMs, totalMs: r.timings.totalMs + decodeMs }),
  });
  // PNGs at the default level (1, run-length deflate), the fastest that compresses: stored
  // blocks (level 0) took 8 instead of ~45 ms for a 1024 px crop here, but made the answer 2.6x
  // larger (3.1 MB), which the service, the web app and the browser then carry as base64.
  const request = { params, region: crop, signal };
  if (kind === "super_resolution") {
    const { output } = SuperResolutionParams.parse(params);
    const input = await image(output.color === "keep");
    // The pipeline's PNG is the crop as tuned, its strips compressed while the next ones are
    // tuned; a lossy format's preview is the round-tripped pixels, encoded below.
    const asTuned = keepsPixels(output, input.depth);
    const r = await runSuperResolution({
      ...request,
      input,
      model: model as PreparedModel<SuperResolutionSpec>,
      encode: asTuned,
      ...(deps.outputCache
        ? { modelOutputCache: { cache: deps.outputCache, imageKey: job.imageSha256 } }
        : {}),
    });
    if (deps.outputCache)
      deps.metrics?.previewModelOutput.inc({ result: r.modelRan ? "miss" : "hit" });
    let png = r.png;
    if (!asTuned) {
      // A lossy format's effect is shown: the crop encoded with the task's settings, decoded.
      const shown = await roundTrip(r.image, r.params.output);
      const encodeStarted = performance.now();
      png = await encodePng(shown);
      const encodeMs = performance.now() - encodeStarted;
      r.timings.encodeMs += encodeMs;
      r.timings.totalMs += encodeMs;
    }
    return {
      ...base,
      png,
      width: r.image.width,
      height: r.image.height,
      ...runFacts(r),
    };
  }
  if (kind === "segmentation") {
    const r = await runSegmentation({
      ...request,
      input: await image(false),
      model: model as PreparedModel<SegmentationSpec>,
    });
    return {
      ...base,
      png: r.png.mask ?? (await encodePng(r.mask)),
      probabilityPng: r.png.probability ?? (await encodePng(r.probability)),
      width: r.width,
      height: r.height,
      ...runFacts(r),
    };
  }
  const cropped = cropImage(await image(false), crop);
  const r = await runClassification({
    model: model as PreparedModel<ClassificationSpec>,
    input: cropped,
    params,
    signal,
  });
  return {
    ...base,
    png: await encodePng(cropped),
    width: cropped.width,
    height: cropped.height,
    labels: r.top,
    ...runFacts(r),
  };
}
