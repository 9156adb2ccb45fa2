import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, zipStored } from "./stored-zip";

describe("zipStored", () => {
  it("computes the same CRC-32 as zlib", () => {
    const data = new TextEncoder().encode("7767517\n3 3\nInput data 0 1 data\n");
    expect(crc32(data)).toBe(zlibCrc32(data));
  });

  it("writes an archive another zip reader lists and extracts", () => {
    const bin = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const zip = zipStored([
      { name: "model.param", data: new TextEncoder().encode("7767517\n") },
      { name: "model.bin", data: bin },
    ]);
    const dir = mkdtempSync(join(tmpdir(), "zip-"));
    const file = join(dir, "m.zip");
    writeFileSync(file, zip);
    const script =
      "import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);assert z.testzip() is None;" +
      "print(','.join(f'{i.filename}:{i.file_size}' for i in z.infolist()))";
    const out = execFileSync("python3", ["-c", script, file], { encoding: "utf8" }).trim();
    expect(out).toBe("model.param:8,model.bin:1000");
  });
});
