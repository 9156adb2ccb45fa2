// One task item: decode the stored image, run the task kind's pipeline, write the outputs,
// each carrying its provenance (what made it) inside the file.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isBlobError } from "@studio/blob/errors";
import {
  encodeResult,
  PROVENANCE_SCHEMA,
  type ResultProvenance,
  readSourceMetadata,
  resultExtension,
  withProvenance,
} from "@studio/core/image";
import {
  type PreparedModel,
  runClassification,
  runSegmentation,
  runSuperResolution,
} from "@studio/core/pipeline";
import { PIPELINE_VERSION } from "@studio/core/signature";
import type {
  ClassificationSpec,
  SegmentationSpec,
  SuperResolutionSpec,
  TaskKind,
} from "@studio/core/spec";
import { deviceLabel, modelForParams, type StoredModel } from "../models";
import type { AcquiredFile, NodeFiles } from "../node-files";
import { SERVICE_VERSION } from "../version";
import { removeResultFiles, resultName, type WrittenFile, writeResultFile } from "./results";
import {
  type ItemReference,
  scoreClassification,
  scoreSafely,
  scoreSegmentation,
  scoreSuperResolution,
} from "./scores";

export interface ItemJob {
  files: NodeFiles;
  taskId: string;
  taskKind: TaskKind;
  attempt: number;
  position: number;
  /** The input image's key in the store (Image.storagePath). */
  storagePath: string;
  params: unknown;
  /**
   * The weight's session as the worker loaded it; params with another precision (`"int8"`) run
   * the same weight's model at that precision instead (modelForParams).
   */
  model: PreparedModel & Partial<Pick<StoredModel, "precision" | "withPrecision">>;
  /** The weight's row as the task was run (for the provenance; the model has its sha256). */
  weight?: { name: string; family: string; version: string } | null;
  maxPixels: number;
  /** Whether results may carry the GPS position of the input's EXIF (a team setting; off). */
  keepGps?: boolean;
  /** The image's label or ground truth in the task's dataset: quality scores are computed against it. */
  reference?: ItemReference | null;
  signal: AbortSignal;
  /** Fraction 0..1 of this item done (tiles). */
  onProgress: (fraction: number) => void;
}

export interface ItemOutput {
  main: WrittenFile;
  /** Every file written (main first), so a refused result can be removed. */
  files: WrittenFile[];
  meta: Record<string, unknown>;
  device: string;
  signature: string;
  timings: Record<string, number>;
}

function roundTimings(t: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(t).map(([k, v]) => [k, Math.round((v as number) * 10) / 10]),
  );
}

/** Thrown for an unreadable input; `message` is stored on the item, so it holds no path. */
export class InputImageError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "InputImageError";
  }
}

/**
 * The input image's bytes, through the store (in place locally, this process's cache
 * otherwise). A store that cannot be reached is not the image's fault: that BlobError passes
 * through, and the worker retries the task instead of failing the item.
 */
async function readInput(files: NodeFiles, key: string): Promise<Buffer> {
  let file: AcquiredFile | undefined;
  try {
    file = await files.acquire(key);
    return await readFile(file.path);
  } catch (error) {
    if (isBlobError(error, "unavailable")) throw error;
    const missing =
      isBlobError(error, "not_found") || (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new InputImageError(
      missing ? "the input image is missing" : "the input image could not be read",
      { cause: error },
    );
  } finally {
    file?.release();
  }
}

/**
 * Runs one item and stores its outputs. All or nothing: when anything fails after a first
 * output was stored, the outputs stored so far are removed (best effort) before the error goes on.
 */
export async function runItem(job: ItemJob): Promise<ItemOutput> {
  const files: WrittenFile[] = [];
  try {
    return await runItemStoring(job, files);
  } catch (error) {
    await removeResultFiles(job.files, files);
    throw error;
  }
}

async function runItemStoring(job: ItemJob, files: WrittenFile[]): Promise<ItemOutput> {
  const model = await modelForParams(job.model, job.params);
  const bytes = await readInput(job.files, job.storagePath);
  const decode = { maxPixels: job.maxPixels };
  const progress = (p: { done: number; total: number }) =>
    job.onProgress(p.total > 0 ? p.done / p.total : 0);
  const name = (ext: string, part?: string) =>
    resultName(job.taskId, job.position, job.attempt, ext, part);
  const write = async (key: string, data: Uint8Array) => {
    const file = await writeResultFile(job.files, key, data);
    files.push(file);
    return file;
  };

  const request = { input: bytes, params: job.params, decode, signal: job.signal };
  const runFacts = (r: { device: string; signature: string; timings: object }) => ({
    device: deviceLabel(r.device, job.params),
    signature: r.signature,
    timings: roundTimings(r.timings),
  });
  // Of the bytes that ran, whatever the row says.
  const inputSha256 = createHash("sha256").update(bytes).digest("hex");
  const provenance = (
    r: { params: unknown; signature: string; device: string; tiling?: unknown },
    output: string,
  ): ResultProvenance => ({
    schema: PROVENANCE_SCHEMA,
    product: { name: "Vision Studio", version: SERVICE_VERSION },
    pipeline: PIPELINE_VERSION,
    taskKind: job.taskKind,
    output,
    weight: {
      name: job.weight?.name ?? null,
      ...(job.weight ? { family: job.weight.family, version: job.weight.version } : {}),
      sha256: model.weightSha256,
    },
    signature: r.signature,
    params: r.params,
    tiling: r.tiling ?? null,
    device: deviceLabel(r.device, job.params),
    input: { sha256: inputSha256 },
  });

  if (job.taskKind === "super_resolution") {
    const { format } = (job.params as { output?: { format?: string } } | null)?.output ?? {};
    const r = await runSuperResolution({
      ...request,
      model: model as PreparedModel<SuperResolutionSpec>,
      onProgress: progress,
      // The pipeline streams a PNG while it tunes; other formats are encoded from the pixels.
      encode: format === undefined || format === "png",
    });
    job.signal.throwIfAborted();
    const { exif } = await readSourceMetadata(bytes, { gps: job.keepGps ?? false });
    const { output } = r.params;
    const file = await encodeResult(
      r.image,
      output,
      { icc: r.icc ?? null, exif, provenance: provenance(r, "result") },
      r.png,
    );
    const main = await write(name(resultExtension(output.format).slice(1)), file);
    const scored = await scoreSafely(job.signal, () =>
      scoreSuperResolution({
        files: job.files,
        ref: job.reference ?? null,
        input: bytes,
        result: r,
        model: model as PreparedModel<SuperResolutionSpec>,
        params: job.params,
        maxPixels: job.maxPixels,
        signal: job.signal,
      }),
    );
    return {
      main,
      files,
      meta: {
        width: r.image.width,
        height: r.image.height,
        // The written scale (x2 from an x4 model, a fraction for a width): the file name says it.
        scale: r.output.scale,
        modelScale: r.scale,
        format: output.format,
        tiling: r.tiling,
        ...scored,
      },
      ...runFacts(r),
    };
  }

  if (job.taskKind === "segmentation") {
    const r = await runSegmentation({
      ...request,
      model: model as PreparedModel<SegmentationSpec>,
      onProgress: progress,
    });
    job.signal.throwIfAborted();
    const parts: Record<string, string> = {};
    let main: WrittenFile | undefined;
    const tagged = (png: Buffer, output: string) => withProvenance(png, provenance(r, output));
    if (r.png.mask) main = await write(name("png"), tagged(r.png.mask, "mask"));
    if (r.png.probability) {
      const f = await write(name("png", "probability"), tagged(r.png.probability, "probability"));
      parts.probabilityPath = f.path;
      main ??= f;
    }
    if (r.png.overlay) {
      const f = await write(name("png", "overlay"), tagged(r.png.overlay, "overlay"));
      parts.overlayPath = f.path;
      main ??= f;
    }
    if (!main) throw new Error("segmentation produced no output image (all outputs switched off)");
    const scored = await scoreSafely(job.signal, () =>
      scoreSegmentation(job.files, job.reference ?? null, r),
    );
    return {
      main,
      files,
      meta: {
        ...parts,
        width: r.width,
        height: r.height,
        threshold: r.threshold,
        foregroundFraction: r.foregroundFraction,
        probabilityBitDepth: r.probability.depth,
        ...(r.tiling ? { tiling: r.tiling } : {}),
        ...scored,
      },
      ...runFacts(r),
    };
  }

  const r = await runClassification({
    ...request,
    model: model as PreparedModel<ClassificationSpec>,
  });
  job.onProgress(1);
  const report = {
    top: r.top,
    scores: r.scores,
    scoreKind: r.scoreKind,
    provenance: provenance(r, "scores"),
  };
  const main = await write(name("json"), new TextEncoder().encode(`${JSON.stringify(report)}\n`));
  return {
    main,
    files,
    meta: {
      top: r.top,
      scoreKind: r.scoreKind,
      ...(await scoreSafely(job.signal, async () => scoreClassification(job.reference ?? null, r))),
    },
    ...runFacts(r),
  };
}
