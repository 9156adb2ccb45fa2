import { mkdir } from "node:fs/promises";
import path from "node:path";
import { env } from "../env";
import { AppError } from "../errors";
import type { InferenceClient } from "../inference";
import { deleteBlobsQuietly, type StoredFile, stageFile } from "../storage/blobs";
import { type ReceivedFile, randomName, removeQuietly, resolveDataPath } from "../storage/files";
import { openArchive } from "../storage/zip-reader";
import { convertInService } from "./convert-weight";

/**
 * An NCNN model arrives as a zip holding one `.param` and one `.bin`. The archive is checked and
 * the pair extracted here (streamed, bounded) and staged in the store under incoming/; the
 * inference service converts it to ONNX in an isolated process, stores that under incoming/ and
 * it continues as an ONNX upload. Conversion errors name the layer. The received archive, the
 * extracted pair and the staged pair are always removed.
 */
export async function convertNcnnZip(
  archive: ReceivedFile,
  inference: InferenceClient,
): Promise<StoredFile> {
  const max = env().MAX_WEIGHT_BYTES;
  const limits = { maxEntries: 16, maxTotalBytes: max * 2, maxEntryBytes: max };
  const dir = resolveDataPath(`tmp/${randomName()}`);
  let zip: Awaited<ReturnType<typeof openArchive>> | undefined;
  const staged: string[] = [];
  try {
    zip = await openArchive(archive.tmpPath, limits);
    const entries = zip.entries.filter((e) => !e.isDirectory && !e.name.startsWith("__MACOSX/"));
    const params = entries.filter((e) => e.name.toLowerCase().endsWith(".param"));
    const bins = entries.filter((e) => e.name.toLowerCase().endsWith(".bin"));
    if (params.length !== 1 || bins.length !== 1) {
      throw new AppError(
        "bad_ncnn_archive",
        `An NCNN upload is a zip with exactly one .param and one .bin (found ${params.length} and ${bins.length}).`,
      );
    }
    await mkdir(dir, { recursive: true });
    const paramPath = path.join(dir, "model.param");
    const binPath = path.join(dir, "model.bin");
    await zip.extractTo(params[0] as (typeof params)[number], paramPath);
    await zip.extractTo(bins[0] as (typeof bins)[number], binPath);
    zip.close();
    const param = await stageFile({ tmpPath: paramPath }, ".param");
    staged.push(param.key);
    const bin = await stageFile({ tmpPath: binPath }, ".bin");
    staged.push(bin.key);
    const { file } = await convertInService(inference, {
      kind: "ncnn",
      param: param.key,
      bin: bin.key,
      limits: { maxBytes: limits.maxTotalBytes },
    });
    return file;
  } finally {
    zip?.close();
    await Promise.all([removeQuietly(dir, archive.tmpPath), deleteBlobsQuietly(...staged)]);
  }
}
