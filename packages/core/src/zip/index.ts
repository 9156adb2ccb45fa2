// Zip writing for the browser and the server, on fflate (no Node APIs, so client components can
// import it). Reading lives in `@studio/core/zip/read` (Node only). Entries are stored, not
// deflated: what we zip (PNG results, NCNN weights) barely compresses, and storing keeps
// memory flat. fflate writes no zip64, so each entry and the archive stay under 4 GiB.
import { Zip, ZipPassThrough, zipSync } from "fflate";

export { ZipError, type ZipErrorCode } from "./errors";

export interface ZipBytesEntry {
  /** Name inside the archive (forward slashes, no leading slash). */
  name: string;
  data: Uint8Array;
}

/** A zip of the given entries, uncompressed, in memory. */
export function zipStored(entries: ZipBytesEntry[]): Uint8Array<ArrayBuffer> {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const entry of entries) files[entry.name] = [entry.data, { level: 0 }];
  return zipSync(files);
}

export interface ZipStreamEntry {
  name: string;
  /** Opened only when the entry's turn comes, so one source is open at a time. */
  open: () => AsyncIterable<Uint8Array>;
}

/**
 * A zip produced as a stream, one entry after the other as the consumer pulls: sizes and
 * CRCs follow each entry in a data descriptor, so nothing is read twice or held in memory.
 */
export function zipStream(entries: ZipStreamEntry[], now = new Date()): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let produced = false;
  let finished = false;
  const zip = new Zip((error, chunk, final) => {
    if (error) {
      finished = true;
      return controller.error(error);
    }
    produced = true;
    controller.enqueue(chunk);
    if (final) {
      finished = true;
      controller.close();
    }
  });
  let index = 0;
  let source: AsyncIterator<Uint8Array> | undefined;
  let file: ZipPassThrough | undefined;

  async function step() {
    if (!file || !source) {
      const entry = entries[index++];
      if (!entry) return zip.end();
      file = new ZipPassThrough(entry.name);
      file.mtime = now;
      zip.add(file);
      source = entry.open()[Symbol.asyncIterator]();
    }
    const next = await source.next();
    if (next.done) {
      file.push(new Uint8Array(0), true);
      file = undefined;
      source = undefined;
    } else {
      file.push(next.value);
    }
  }

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull() {
      // A pull that enqueues nothing is not repeated, so step until a chunk or the end.
      produced = false;
      while (!produced && !finished) await step();
    },
    async cancel() {
      finished = true;
      zip.terminate();
      await source?.return?.();
    },
  });
}
