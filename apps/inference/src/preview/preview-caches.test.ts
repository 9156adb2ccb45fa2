// A slider change (a preview that changes only the tuning) is answered from the preview
// process's caches, through the pool and a real preview process: the model does not run (the
// service's cache metric counts a hit, the model time is 0) and the image is neither read nor
// decoded again (its file is gone by then, and a preview that would decode it fails). Its pixels
// are those of the same preview computed without any cache, byte for byte.
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeImage } from "@studio/core/image";
import { buildTinySrModel } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../metrics";
import { ModelStore } from "../models";
import { computePreview } from "./compute";
import type { PreviewJob, PreviewProcessSettings } from "./messages";
import { PreviewPool } from "./pool";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let dir: string;
let settings: PreviewProcessSettings;
let pool: PreviewPool;
let weightFile: string;
let imageFile: string;
const metrics = createMetrics();
const model = buildTinySrModel({ scale: 2 });
const spec = JSON.stringify({
  kind: "super_resolution",
  scale: 2,
  receptiveField: model.receptiveField,
});
const weightSha256 = sha256(model.bytes);
const imageBytes = readFileSync(fixturePath("chelsea.png"));

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "preview-caches-"));
  weightFile = path.join(dir, "weight.onnx");
  writeFileSync(weightFile, model.bytes);
  imageFile = path.join(dir, "chelsea.png");
  copyFileSync(fixturePath("chelsea.png"), imageFile);
  settings = {
    dataDir: dir,
    device: "cpu",
    intraOpThreads: 1,
    interOpThreads: 1,
    spinWait: false,
    memoryArena: true,
    maxModels: 2,
    maxImagePixels: 10_000_000,
    outputCacheBytes: 64 * 1024 ** 2,
    imageCacheBytes: 64 * 1024 ** 2,
  };
  pool = new PreviewPool({
    size: 1,
    settings,
    logger: pino({ level: "silent" }),
    metrics,
  });
});
afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

const job = (
  params: Record<string, unknown>,
  crop = { x: 100, y: 60, width: 90, height: 70 },
): PreviewJob => ({
  taskKind: "super_resolution",
  weightSha256,
  spec,
  imageSha256: sha256(imageBytes),
  imageFile,
  crop,
  params,
});

const run = (j: PreviewJob) => pool.run(j, {}, async () => ({ path: weightFile, release() {} }));

async function modelOutputCount(result: "hit" | "miss"): Promise<number> {
  const counted = await metrics.previewModelOutput.get();
  return counted.values.find((v) => v.labels.result === result)?.value ?? 0;
}

const pixels = async (png: Uint8Array) => Buffer.from((await decodeImage(png)).data);

describe("a slider change on a preview", { timeout: 120_000 }, () => {
  it("is answered from the caches, neither running the model nor decoding the image again", async () => {
    const first = await run(job({ tile: 64, tuning: { preset: "gentle" } }));
    expect(first.timings.runMs).toBeGreaterThan(0);
    expect(await modelOutputCount("miss")).toBe(1);

    // From here on the preview process can only have the image's pixels from its cache.
    rmSync(imageFile);
    const tuned = { tile: 64, tuning: { preset: "text", overrides: { sharpen: 2 } } };
    const slider = await run(job(tuned));
    expect(await modelOutputCount("hit")).toBe(1);
    expect(await modelOutputCount("miss")).toBe(1);
    expect(slider.timings.runMs).toBe(0);
    expect(slider.pngBase64).not.toBe(first.pngBase64);

    // Another crop runs the model again, still on the kept pixels.
    const moved = await run(job(tuned, { x: 300, y: 200, width: 64, height: 64 }));
    expect(await modelOutputCount("miss")).toBe(2);
    expect(moved.timings.runMs).toBeGreaterThan(0);

    // The control: pixels decoded otherwise (converted to sRGB, not kept in the file's colour
    // profile) are another entry, and without the file that preview fails; so the ones above
    // did not decode.
    const srgb = run(job({ ...tuned, output: { color: "srgb" } })).then(() => "answered");
    await expect(srgb).rejects.toThrow(/ENOENT/);

    // The cached answer is the preview computed with no cache at all, byte for byte (and that
    // one is the same crop of the full task's result: routes/preview.test.ts).
    copyFileSync(fixturePath("chelsea.png"), imageFile);
    const models = new ModelStore(settings);
    const uncached = await computePreview(
      { ...job(tuned), weightFile },
      { models, maxImagePixels: settings.maxImagePixels, signal: new AbortController().signal },
    );
    await models.release();
    expect(await pixels(Buffer.from(slider.pngBase64, "base64"))).toEqual(
      await pixels(uncached.png),
    );
  });
});
