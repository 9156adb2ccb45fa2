import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { convertNcnnToOnnx, NcnnFormatError, NcnnUnsupportedError } from "@studio/core/ncnn";
import { env } from "../env";
import {
  type ReceivedFile,
  randomName,
  removeQuietly,
  resolveDataPath,
  UploadError,
} from "./storage";
import { extractEntry, readZipDirectory } from "./zip-reader";

/**
 * An NCNN model arrives as a zip holding one `.param` and one `.bin`; it is converted to ONNX
 * with the core importer and continues as an ONNX upload. Conversion errors name the layer.
 */
export async function convertNcnnZip(archive: ReceivedFile): Promise<ReceivedFile> {
  const max = env().MAX_WEIGHT_BYTES;
  const entries = (
    await readZipDirectory(archive.tmpPath, archive.size, {
      maxEntries: 16,
      maxTotalBytes: max * 2,
      maxEntryBytes: max,
    })
  ).filter((e) => !e.isDirectory && !e.name.startsWith("__MACOSX/"));
  const params = entries.filter((e) => e.name.toLowerCase().endsWith(".param"));
  const bins = entries.filter((e) => e.name.toLowerCase().endsWith(".bin"));
  if (params.length !== 1 || bins.length !== 1) {
    throw new UploadError(
      400,
      "bad_ncnn_archive",
      `An NCNN upload is a zip with exactly one .param and one .bin (found ${params.length} and ${bins.length}).`,
    );
  }
  const dir = resolveDataPath(`tmp/${randomName()}`);
  await mkdir(dir, { recursive: true });
  try {
    const paramPath = path.join(dir, "model.param");
    const binPath = path.join(dir, "model.bin");
    await extractEntry(archive.tmpPath, params[0] as (typeof params)[number], paramPath);
    await extractEntry(archive.tmpPath, bins[0] as (typeof bins)[number], binPath);
    let bytes: Uint8Array;
    try {
      bytes = convertNcnnToOnnx(
        await readFile(paramPath, "utf8"),
        new Uint8Array(await readFile(binPath)),
      ).bytes;
    } catch (error) {
      if (error instanceof NcnnUnsupportedError)
        throw new UploadError(422, "ncnn_unsupported", error.message);
      if (error instanceof NcnnFormatError)
        throw new UploadError(422, "ncnn_format", error.message);
      throw error;
    }
    const tmpPath = resolveDataPath(`tmp/${randomName()}.onnx.part`);
    await writeFile(tmpPath, bytes);
    return {
      tmpPath,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      head: Buffer.from(bytes.subarray(0, 64)),
    };
  } finally {
    await removeQuietly(dir, archive.tmpPath);
  }
}
