// The pipeline part of a preview, run inside a preview process (child.ts): the task's pipeline
// on a crop of the image, computed exactly as the full run computes that region.
import { readFile } from "node:fs/promises";
import type { PreviewResponse } from "@studio/contracts/inference/preview";
import { decodeImage, encodePng, roundTrip, toBase64 } from "@studio/core/image";
import {
  cropImage,
  type ModelOutputCache,
  type PreparedModel,
  runClassification,
  runSegmentation,
  runSuperResolution,
} from "@studio/core/pipeline";
import type { ClassificationSpec, SegmentationSpec, SuperResolutionSpec } from "@studio/core/spec";
import type { WorkerMetrics } from "../metrics";
import { deviceLabel, type ModelStore, precisionOf } from "../models";
import type { PreviewJob } from "./messages";

const round = (t: object) =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round((v as number) * 10) / 10]));

export async function computePreview(
  job: PreviewJob,
  deps: {
    models: ModelStore;
    maxImagePixels: number;
    signal: AbortSignal;
    outputCache?: ModelOutputCache;
    metrics?: Pick<WorkerMetrics, "previewModelOutput">;
  },
): Promise<PreviewResponse> {
  const { crop, params, taskKind: kind } = job;
  const { signal } = deps;
  const decode = { maxPixels: deps.maxImagePixels };
  const { weightFile } = job;
  // The service sends the weight's file only when this process had no session of it: for
  // `precision: "int8"` the file of its INT8 model (the pool goes by the session key).
  const model = await deps.models.get(
    job.weightSha256,
    job.spec,
    weightFile ? async () => ({ key: weightFile, path: weightFile, release() {} }) : undefined,
    precisionOf(params),
  );
  const bytes = await readFile(job.imageFile);
  signal.throwIfAborted();
  const base = { taskKind: kind, weightSha256: job.weightSha256 };
  const runFacts = (r: {
    signature: string;
    device: PreviewResponse["device"];
    timings: object;
  }) => ({
    paramSignature: r.signature,
    device: deviceLabel(r.device, params),
    timings: round(r.timings),
  });
  const request = { input: bytes, params, region: crop, decode, signal };
  if (kind === "super_resolution") {
    const r = await runSuperResolution({
      ...request,
      model: model as PreparedModel<SuperResolutionSpec>,
      ...(deps.outputCache
        ? { modelOutputCache: { cache: deps.outputCache, imageKey: job.imageSha256 } }
        : {}),
    });
    if (deps.outputCache)
      deps.metrics?.previewModelOutput.inc({ result: r.modelRan ? "miss" : "hit" });
    // A lossy format's effect is shown: the crop encoded with the task's settings, decoded.
    const shown = await roundTrip(r.image, r.params.output);
    return {
      ...base,
      pngBase64: toBase64(shown === r.image ? r.png : await encodePng(shown)),
      width: r.image.width,
      height: r.image.height,
      ...runFacts(r),
    };
  }
  if (kind === "segmentation") {
    const r = await runSegmentation({
      ...request,
      model: model as PreparedModel<SegmentationSpec>,
    });
    const mask = r.png.mask ?? (await encodePng(r.mask));
    const probability = r.png.probability ?? (await encodePng(r.probability));
    return {
      ...base,
      pngBase64: toBase64(mask),
      probabilityPngBase64: toBase64(probability),
      width: r.width,
      height: r.height,
      ...runFacts(r),
    };
  }
  const decoded = await decodeImage(bytes, decode);
  const cropped = cropImage(decoded, crop);
  const r = await runClassification({
    model: model as PreparedModel<ClassificationSpec>,
    input: cropped,
    params,
    signal,
  });
  return {
    ...base,
    pngBase64: toBase64(await encodePng(cropped)),
    width: cropped.width,
    height: cropped.height,
    labels: r.top,
    ...runFacts(r),
  };
}
