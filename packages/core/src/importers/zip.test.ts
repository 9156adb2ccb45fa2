import { describe, expect, it } from "vitest";
import { rejectionOf } from "../testing-errors";
import { ImportError } from "./errors";
import { writeZip, writeZipEntries } from "./testing/zip-writer";
import { readZip } from "./zip";

const files = [
  { name: "archive/data.pkl", data: new TextEncoder().encode("pickle bytes") },
  { name: "archive/data/0", data: Uint8Array.from({ length: 300 }, (_, i) => i % 251) },
];
const options = { maxUncompressedBytes: 1 << 20 };

async function contents(bytes: Uint8Array): Promise<Record<string, number[]>> {
  const archive = await readZip(bytes, options);
  const out: Record<string, number[]> = {};
  for (const entry of archive.entries.values()) out[entry.name] = [...(await archive.read(entry))];
  archive.close();
  return out;
}

const refusal = (bytes: Uint8Array, maxUncompressedBytes = options.maxUncompressedBytes) =>
  rejectionOf(ImportError, async () => {
    const archive = await readZip(bytes, { maxUncompressedBytes });
    for (const entry of archive.entries.values()) await archive.read(entry);
  });

const expected = Object.fromEntries(files.map((f) => [f.name, [...f.data]]));

describe("readZip", () => {
  it("reads stored, deflated, streamed and zip64-ended archives alike", async () => {
    expect(await contents(writeZip(files))).toEqual(expected);
    expect(await contents(writeZip(files, { deflate: true }))).toEqual(expected);
    expect(await contents(writeZip(files, { zip64: true }))).toEqual(expected);
    expect(await contents(writeZipEntries(files))).toEqual(expected);
  });

  it("hands out stored entries as views into the upload, not copies", async () => {
    const bytes = writeZip(files);
    const archive = await readZip(bytes, options);
    const data = await archive.read(archive.entries.get("archive/data/0") as never);
    expect(data.buffer).toBe(bytes.buffer);
    archive.close();
  });

  it("caps the unpacked size from the directory before reading any entry", async () => {
    const error = await refusal(writeZip(files), 100);
    expect(error.code).toBe("too_large");
    expect(error.message).toMatch(/unpacks to 300 bytes; the limit per file is 100/);
    const total = await refusal(writeZip(files), 310);
    expect(total.message).toMatch(/unpacks to more than 310 bytes/);
  });

  it("refuses duplicate and absolute entry names", async () => {
    const duplicate = writeZipEntries([files[0], files[0]].filter((f) => f !== undefined));
    expect((await refusal(duplicate)).message).toMatch(/two entries named 'archive\/data.pkl'/);
    const absolute = await refusal(writeZip([{ name: "/etc/passwd", data: new Uint8Array(1) }]));
    expect(absolute.code).toBe("bad_archive");
    expect(absolute.message).toMatch(/absolute path in archive: "\/etc\/passwd"/);
  });

  it("reports where a truncated archive ends", async () => {
    const bytes = writeZip(files);
    const cut = await refusal(bytes.subarray(0, bytes.byteLength - 30));
    expect(cut.code).toBe("truncated");
    expect(cut.message).toBe(
      `zip archive (${bytes.byteLength - 30} bytes) has no end-of-central-directory record: the file is truncated`,
    );
  });
});
