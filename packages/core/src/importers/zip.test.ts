import { describe, expect, it } from "vitest";
import { ImportError } from "./errors";
import { writeZip } from "./testing/zip-writer";
import { readZip } from "./zip";

const files = [
  { name: "archive/data.pkl", data: new TextEncoder().encode("pickle bytes") },
  { name: "archive/data/0", data: Uint8Array.from({ length: 300 }, (_, i) => i % 251) },
];
const options = { maxUncompressedBytes: 1 << 20 };

function contents(bytes: Uint8Array): Record<string, number[]> {
  const archive = readZip(bytes, options);
  return Object.fromEntries(
    [...archive.entries.values()].map((e) => [e.name, [...archive.read(e)]]),
  );
}

const expected = Object.fromEntries(files.map((f) => [f.name, [...f.data]]));

describe("readZip", () => {
  it("reads stored, deflated and zip64 archives alike", () => {
    expect(contents(writeZip(files))).toEqual(expected);
    expect(contents(writeZip(files, { deflate: true }))).toEqual(expected);
    expect(contents(writeZip(files, { zip64: "record" }))).toEqual(expected);
    expect(contents(writeZip(files, { zip64: "saturate" }))).toEqual(expected);
  });

  it("caps the unpacked size from the directory before reading any entry", () => {
    expect(() => readZip(writeZip(files), { maxUncompressedBytes: 100 })).toThrow(
      /unpack to more than 100 bytes/,
    );
  });

  it("refuses duplicate and absolute entry names", () => {
    const duplicate = writeZip([files[0], files[0]].filter((f) => f !== undefined));
    expect(() => readZip(duplicate, options)).toThrow(/two entries named 'archive\/data.pkl'/);
    const absolute = writeZip([{ name: "/etc/passwd", data: new Uint8Array(1) }]);
    expect(() => readZip(absolute, options)).toThrow(ImportError);
  });

  it("reports where a truncated entry ends", () => {
    const bytes = writeZip(files);
    const archive = readZip(bytes, options);
    const entry = archive.entries.get("archive/data/0");
    if (!entry) throw new Error("entry missing");
    // Keep the directory but drop the entry's data by pointing it past the end.
    const moved = { ...entry, localHeaderOffset: bytes.byteLength - 10 };
    expect(() => archive.read(moved)).toThrow(
      /local header at \d+ lies beyond the end of the archive/,
    );
  });
});
