import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RawZipEntry, writeZip, writeZipEntries } from "../importers/testing/zip-writer";
import { rejectionOf } from "../testing-errors";
import { zipStored, zipStream } from "./index";
import { openZipFile, ZipError, type ZipLimits } from "./read";

const dir = mkdtempSync(join(tmpdir(), "zip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function onDisk(bytes: Uint8Array): string {
  const file = join(dir, `${files++}.zip`);
  writeFileSync(file, bytes);
  return file;
}

const limits: ZipLimits = { maxEntries: 10, maxTotalBytes: 1 << 20, maxEntryBytes: 1 << 19 };
const text = (s: string) => new TextEncoder().encode(s);
const bin = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

/** Every entry's bytes, extracted to files and read back. */
async function extracted(zip: string, own = limits): Promise<Record<string, string>> {
  const reader = await openZipFile(zip, own);
  try {
    const out: Record<string, string> = {};
    for (const entry of reader.entries) {
      if (entry.isDirectory) continue;
      const target = join(dir, `out-${files++}`);
      await reader.extractTo(entry, target);
      out[entry.name] = readFileSync(target).toString("latin1");
    }
    return out;
  } finally {
    reader.close();
  }
}

const refusal = (bytes: Uint8Array, own = limits) =>
  rejectionOf(ZipError, () => extracted(onDisk(bytes), own));

function pythonList(zip: string): string {
  const script =
    "import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);assert z.testzip() is None;" +
    "print(','.join(f'{i.filename}:{i.file_size}' for i in z.infolist()))";
  return execFileSync("python3", ["-c", script, zip], { encoding: "utf8" }).trim();
}

/** Sets the "encrypted" bit of every header, as a password-protected archive has it. */
function markEncrypted(zip: Uint8Array): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.byteLength; i++) {
    const signature = view.getUint32(i, true);
    if (signature === 0x04034b50) out[i + 6] = (out[i + 6] as number) | 1;
    if (signature === 0x02014b50) out[i + 8] = (out[i + 8] as number) | 1;
  }
  return out;
}

describe("zip writers", () => {
  it("zipStored writes an archive other readers list, check and extract", async () => {
    const zip = onDisk(
      zipStored([
        { name: "model.param", data: text("7767517\n") },
        { name: "model.bin", data: bin },
      ]),
    );
    expect(pythonList(zip)).toBe("model.param:8,model.bin:5000");
    expect(await extracted(zip)).toEqual({
      "model.param": "7767517\n",
      "model.bin": Buffer.from(bin).toString("latin1"),
    });
  });

  it("zipStream opens one source at a time and writes a valid archive", async () => {
    const open: string[] = [];
    const source = (name: string, chunks: Uint8Array[]) => ({
      name,
      async *open() {
        open.push(`open ${name}`);
        for (const chunk of chunks) yield chunk;
        open.push(`done ${name}`);
      },
    });
    const stream = zipStream([
      source("0001-a.png", [bin.subarray(0, 100), bin.subarray(100)]),
      source("empty.txt", []),
      source("0002-b.png", [text("second")]),
    ]);
    const zip = onDisk(new Uint8Array(await new Response(stream).arrayBuffer()));
    expect(open).toEqual([
      "open 0001-a.png",
      "done 0001-a.png",
      "open empty.txt",
      "done empty.txt",
      "open 0002-b.png",
      "done 0002-b.png",
    ]);
    expect(pythonList(zip)).toBe("0001-a.png:5000,empty.txt:0,0002-b.png:6");
    expect(await extracted(zip)).toMatchObject({ "empty.txt": "", "0002-b.png": "second" });
  });
});

describe("openZipFile", () => {
  it("reads stored, deflated, streamed and zip64-ended archives", async () => {
    const entries = [
      { name: "a/x.txt", data: text("hello") },
      { name: "a/y.bin", data: bin },
    ];
    const expected = { "a/x.txt": "hello", "a/y.bin": Buffer.from(bin).toString("latin1") };
    for (const bytes of [
      writeZip(entries),
      writeZip(entries, { deflate: true }),
      writeZip(entries, { zip64: true }),
      writeZipEntries(entries.map((e) => ({ ...e, deflate: true }))),
    ]) {
      expect(await extracted(onDisk(bytes))).toEqual(expected);
    }
  });

  it("checks count, sizes and names from the directory before extracting anything", async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: "x" }));
    expect(await refusal(writeZipEntries(many))).toMatchObject({
      code: "too_many_entries",
      message: "the archive has 11 entries; the limit is 10",
    });
    const big = { name: "big.bin", data: new Uint8Array((1 << 19) + 1), deflate: true };
    expect((await refusal(writeZipEntries([big]))).message).toBe(
      `'big.bin' unpacks to ${(1 << 19) + 1} bytes; the limit per file is ${1 << 19}`,
    );
    const quarters = [0, 1, 2, 3, 4].map((i) => ({
      name: `${i}`,
      data: new Uint8Array(1 << 18),
      deflate: true,
    }));
    expect((await refusal(writeZipEntries(quarters))).message).toBe(
      `the archive unpacks to more than ${1 << 20} bytes`,
    );
    const names: Array<[string, RegExp]> = [
      ["../../etc/evil.png", /^path traversal in archive: "..\/..\/etc\/evil.png"$/],
      ["ok/../../x", /^path traversal in archive/],
      ["/abs.png", /^absolute path in archive/],
      ["C:/win.png", /^absolute path in archive/],
      ["dir\\..\\x.png", /^unsafe path in archive/],
      // UTF-8 names only: without that flag, bytes below 0x20 decode as CP437 glyphs.
      ["bad\u0007näme", /^control character in archive path/],
    ];
    for (const [name, message] of names) {
      const error = await refusal(
        writeZipEntries([
          { name: "fine.txt", data: "x" },
          { name, data: "x" },
        ]),
      );
      expect(error.code).toBe("unsafe_name");
      expect(error.message).toMatch(message);
    }
    const twice = writeZipEntries([
      { name: "a.txt", data: "1" },
      { name: "./a.txt", data: "2" },
    ]);
    expect((await refusal(twice)).message).toBe("the archive has two entries named 'a.txt'");
  });

  it("refuses encrypted entries and compression it cannot unpack", async () => {
    const encrypted = await refusal(markEncrypted(writeZipEntries([{ name: "s.txt", data: "x" }])));
    expect(encrypted).toMatchObject({ code: "unsupported" });
    expect(encrypted.message).toMatch(/'s.txt' is encrypted/);
    const bzip2 = await refusal(writeZipEntries([{ name: "b.txt", data: "x", method: 12 }]));
    expect(bzip2.message).toBe(
      "'b.txt' uses compression method 12; only stored and deflate entries are accepted",
    );
  });

  it("enforces declared sizes and CRCs while unpacking", async () => {
    const bomb: RawZipEntry = {
      name: "bomb.png",
      data: new Uint8Array(4 << 20),
      deflate: true,
      declaredSize: 1000,
    };
    const liar = await refusal(writeZipEntries([bomb]), { ...limits, maxEntryBytes: 1 << 30 });
    expect(liar).toMatchObject({ code: "too_large" });
    expect(liar.message).toMatch(/'bomb.png' inflates beyond its declared size of 1000 bytes/);

    const short = await refusal(
      writeZipEntries([{ name: "s.txt", data: "abc", deflate: true, declaredSize: 10 }]),
    );
    expect(short).toMatchObject({ code: "truncated" });
    expect(short.message).toMatch(/'s.txt' is shorter than declared \(3 of 10 bytes\)/);

    const stored = await refusal(
      writeZipEntries([{ name: "s.txt", data: "abc", declaredSize: 10 }]),
    );
    expect(stored.message).toMatch(/'s.txt' is stored uncompressed but its sizes differ/);

    const crc = await refusal(writeZipEntries([{ name: "c.txt", data: "abc", crc: 1234 }]));
    expect(crc).toMatchObject({ code: "corrupt" });
    expect(crc.message).toBe("zip entry 'c.txt' fails its CRC-32 check: the archive is corrupt");
  });

  it("tells a truncated archive from something that is not a zip", async () => {
    const whole = writeZip([{ name: "a.bin", data: bin }]);
    const cut = await refusal(whole.subarray(0, 3000));
    expect(cut).toMatchObject({
      code: "truncated",
      message:
        "zip archive (3000 bytes) has no end-of-central-directory record: the file is truncated",
    });
    expect(await refusal(text("not a zip at all"))).toMatchObject({
      code: "not_zip",
      message: "not a zip archive (no end-of-central-directory record)",
    });
  });

  it("never overwrites an existing file and reports that as a file error, not a bad archive", async () => {
    const reader = await openZipFile(
      onDisk(writeZip([{ name: "a.txt", data: text("a") }])),
      limits,
    );
    const target = join(dir, "exists");
    writeFileSync(target, "keep");
    try {
      await expect(reader.extractTo(reader.entries[0] as never, target)).rejects.toMatchObject({
        code: "EEXIST",
      });
    } finally {
      reader.close();
      reader.close();
    }
    expect(readFileSync(target, "utf8")).toBe("keep");
  });
});
