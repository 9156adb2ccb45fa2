import {
  openZipFile,
  type ZipEntryInfo,
  ZipError,
  type ZipLimits,
  type ZipReader,
} from "@studio/core/zip/read";
import { AppError } from "../errors";

export type { ZipEntryInfo, ZipLimits };

/**
 * Opens an uploaded archive with the shared zip reader (every entry checked from the directory
 * before any is extracted; sizes and CRCs enforced while unpacking); its refusals become 422s.
 */
export async function openArchive(file: string, limits: ZipLimits): Promise<ZipReader> {
  const reader = await asUploadError(() => openZipFile(file, limits));
  return {
    ...reader,
    extractTo: (entry, target) => asUploadError(() => reader.extractTo(entry, target)),
    read: (entry) => asUploadError(() => reader.read(entry)),
  };
}

async function asUploadError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ZipError) throw new AppError("bad_archive", error.message);
    throw error;
  }
}
