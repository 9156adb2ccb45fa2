import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useTempDataDir } from "../http/files/test-context";
import { receiveToTemp } from "./files";

const run = promisify(execFile);
let data: ReturnType<typeof useTempDataDir>;
beforeAll(() => {
  data = useTempDataDir();
});
afterAll(() => data.cleanup());

const bodyOf = (bytes: Uint8Array) => new Response(bytes).body;

it("stores a body, hashes it and keeps its first bytes", async () => {
  const bytes = new Uint8Array(200_000).fill(7);
  const file = await receiveToTemp(bodyOf(bytes), 1_000_000);
  expect(file.size).toBe(200_000);
  expect(file.head).toHaveLength(64);
  rmSync(file.tmpPath);
});

it("refuses an oversized body and leaves no file", async () => {
  await expect(receiveToTemp(bodyOf(new Uint8Array(5000)), 1000)).rejects.toMatchObject({
    status: 413,
  });
  expect(data.files()).toEqual([]);
});

// A write failure (full disk) is simulated with a file-size limit in a child process: the
// write stream fails with EFBIG. Without an error listener on that stream the process used
// to crash or hang with a .part file left behind.
it("answers a write failure with a clear error and removes the partial file", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "studio-api-full-"));
  try {
    const script = [
      `const { receiveToTemp } = await import(${JSON.stringify(path.resolve(import.meta.dirname, "files.ts"))});`,
      "const body = new Response(new Uint8Array(4 * 1024 * 1024).fill(1)).body;",
      "try { await receiveToTemp(body, 100 * 1024 * 1024); console.log('stored'); }",
      "catch (e) { console.log(JSON.stringify({ status: e.status, code: e.code, message: e.message })); }",
    ].join("\n");
    const { stdout } = await run(
      "bash",
      ["-c", 'ulimit -f 256; exec node --import tsx --input-type=module -e "$SCRIPT"'],
      {
        env: { ...process.env, DATA_DIR: dir, SCRIPT: script },
        cwd: path.resolve(import.meta.dirname, "../.."),
        timeout: 30_000,
      },
    );
    const result = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(result).toEqual({
      status: 507,
      code: "storage_full",
      message: "The server has no room for this upload.",
    });
    expect(readdirSync(path.join(dir, "tmp"))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
