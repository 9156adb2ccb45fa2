import { openZipBytes, type ZipEntryInfo, ZipError } from "../zip/read";
import { ImportError, type ImportErrorCode } from "./errors";

const MAX_ENTRIES = 100_000;

export interface ZipArchive {
  /** The archive's files by normalised name (directory entries left out). */
  entries: Map<string, ZipEntryInfo>;
  /** The entry's bytes (a view into the archive when stored), size- and CRC-checked. */
  read(entry: ZipEntryInfo): Promise<Uint8Array>;
  close(): void;
}

export interface ZipOptions {
  /** Cap on the sum of the entries' uncompressed sizes. */
  maxUncompressedBytes: number;
}

/**
 * Opens the archive torch.save writes (stored entries, zip64 end records) through the shared
 * zip reader, whose refusals (names, sizes, encryption, truncation, CRC) become ImportErrors.
 */
export async function readZip(bytes: Uint8Array, options: ZipOptions): Promise<ZipArchive> {
  const limits = {
    maxEntries: MAX_ENTRIES,
    maxTotalBytes: options.maxUncompressedBytes,
    maxEntryBytes: options.maxUncompressedBytes,
  };
  const reader = await asImportError(() => openZipBytes(bytes, limits));
  return {
    entries: new Map(reader.entries.filter((e) => !e.isDirectory).map((e) => [e.name, e])),
    read: (entry) => asImportError(() => reader.read(entry)),
    close: () => reader.close(),
  };
}

const CODES: Partial<Record<ZipError["code"], ImportErrorCode>> = {
  truncated: "truncated",
  unsupported: "unsupported",
  too_large: "too_large",
};

async function asImportError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ZipError)
      throw new ImportError(CODES[error.code] ?? "bad_archive", error.message);
    throw error;
  }
}
