// POST /v1/renditions against the real service: real HTTP, real sharp, real files in the local
// blob store (a temp DATA_DIR); renditions/ is in the store too. The web app's cache and HTTP side are tested in test/integration/renditions.test.ts.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RenditionRequest } from "@studio/contracts/inference/rendition";
import {
  createInferenceClient,
  type InferenceClient,
  InferenceRequestError,
} from "@studio/contracts/inference-client";
import { decodeImage, probeImage, sharpFromRaw } from "@studio/core/image";
import { fixturePath, readFixture } from "@studio/fixtures";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_CONCURRENT_RENDITIONS } from "../renditions/maker";
import { startTestService, type TestService } from "../testing";

let service: TestService;
let client: InferenceClient;

beforeAll(async () => {
  service = await startTestService();
  client = createInferenceClient({ baseUrl: service.url, token: service.token, retries: 0 });
});
afterAll(async () => {
  await service?.cleanup();
});

/** Copies bytes into the local store (uploads/ by default) under a fresh name; answers the key. */
let counter = 0;
function store(bytes: Uint8Array, ext: string, area = "uploads"): string {
  const relative = `${area}/t/${++counter}.${ext}`;
  mkdirSync(path.join(service.dataDir, area, "t"), { recursive: true });
  writeFileSync(path.join(service.dataDir, relative), bytes);
  return relative;
}

const target = (name: string) => `renditions/team/${name}-${++counter}.webp`;
const printTarget = (name: string) => `renditions/team/${name}-${++counter}.jpg`;
const read = (relative: string) => readFileSync(path.join(service.dataDir, relative));
const tmpFiles = () => readdirSync(path.join(service.dataDir, "tmp"));

function upload(relative: string, format: string, bitDepth = 8, channels = 3) {
  return { kind: "upload" as const, key: relative, format, bitDepth, channels };
}

async function made(request: RenditionRequest) {
  const answer = await client.makeRendition(request);
  if (!answer.ok) throw new Error(`refused: ${answer.code} ${answer.message}`);
  return answer;
}

describe("POST /v1/renditions", () => {
  it("writes an 8-bit WebP of a 16-bit TIFF at the target, contrast kept, and finds it again", async () => {
    const source = store(readFixture("chessboard_GRAY_U16.tif"), "tif");
    const to = target("chessboard-thumb");
    const first = await made({
      source: upload(source, "tiff", 16, 1),
      rendition: "thumb",
      target: to,
    });
    expect(first).toMatchObject({ ok: true, key: to, generated: true });
    const bytes = read(to);
    expect(first.size).toBe(bytes.byteLength);
    expect(await probeImage(bytes)).toMatchObject({
      format: "webp",
      depth: 8,
      width: 200,
      height: 200,
    });
    // 8-bit data in 16-bit samples: a plain 16-to-8-bit reduction gave an all-black square.
    const stats = await sharpFromRaw(await decodeImage(bytes)).stats();
    expect(stats.channels[0]?.min).toBeLessThan(20);
    expect(stats.channels[0]?.max).toBeGreaterThan(235);

    const generated = service.renditions.generated;
    const again = await made({
      source: upload(source, "tiff", 16, 1),
      rendition: "thumb",
      target: to,
    });
    expect(again).toMatchObject({ ok: true, key: to, generated: false, size: first.size });
    expect(service.renditions.generated).toBe(generated);
    expect(tmpFiles()).toEqual([]);
  });

  it("renders a 16-bit PNG result within the display side without enlarging it", async () => {
    const png16 = await sharpFromRaw(await decodeImage(readFixture("chelsea.png")))
      .toColourspace("rgb16")
      .png()
      .toBuffer();
    const source = store(png16, "png", "results");
    const thumb = await made({
      source: { kind: "result", key: source },
      rendition: "thumb",
      target: target("r"),
    });
    expect(await probeImage(read(thumb.key))).toMatchObject({ width: 256, height: 170 });
    const display = await made({
      source: { kind: "result", key: source },
      rendition: "display",
      target: target("r"),
    });
    expect(await probeImage(read(display.key))).toMatchObject({ width: 451, height: 300 });
  });

  it("applies EXIF orientation and keeps a GIF's first frame only", async () => {
    const rocket = await decodeImage(readFixture("rocket.jpg"));
    const rotated = await sharpFromRaw(rocket).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const upright = await made({
      source: upload(store(rotated, "jpg"), "jpeg"),
      rendition: "thumb",
      target: target("rot"),
    });
    const { width, height } = await probeImage(read(upright.key));
    expect([width, height]).toEqual([171, 256]);

    const gif = await made({
      source: upload(store(readFixture("no_time_for_that_tiny.gif"), "gif"), "gif", 8, 4),
      rendition: "thumb",
      target: target("gif"),
    });
    const bytes = read(gif.key);
    expect(await probeImage(bytes)).toMatchObject({ width: 14, height: 25 });
    // An animated WebP carries an ANIM chunk.
    expect(bytes.includes("ANIM")).toBe(false);
  });

  it("writes the print rendition as a JPEG within 440 px, on white, sRGB and upright", async () => {
    // A result with a transparent left half and an opaque red right half.
    const [width, height] = [1000, 500];
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      if (i % width >= width / 2) rgba.set([220, 20, 20, 255], i * 4);
    }
    const png = await sharpFromRaw({ width, height, channels: 4, depth: 8, data: rgba })
      .png()
      .toBuffer();
    const result = await made({
      source: { kind: "result", key: store(png, "png", "results") },
      rendition: "print",
      target: printTarget("alpha"),
    });
    const bytes = read(result.key);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(await sharp(bytes).metadata()).toMatchObject({
      format: "jpeg",
      space: "srgb",
      channels: 3,
      width: 440,
      height: 220,
    });
    const pixels = await decodeImage(bytes);
    const at = (x: number, y: number) =>
      Array.from(pixels.data.subarray((y * 440 + x) * 3, (y * 440 + x) * 3 + 3));
    // Transparency became white (a JPEG has no alpha; black would hide dark results).
    for (const value of at(50, 110)) expect(value).toBeGreaterThan(245);
    const [r, g, b] = at(390, 110) as [number, number, number];
    expect([r > 200, g < 50, b < 50]).toEqual([true, true, true]);

    // An upload: EXIF orientation applied; a 16-bit gray TIFF comes out in sRGB, contrast kept.
    const rocket = await decodeImage(readFixture("rocket.jpg"));
    const rotated = await sharpFromRaw(rocket).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const upright = await made({
      source: upload(store(rotated, "jpg"), "jpeg"),
      rendition: "print",
      target: printTarget("rot"),
    });
    const meta = await sharp(read(upright.key)).metadata();
    expect([meta.format, meta.height]).toEqual(["jpeg", 440]);
    expect(meta.width).toBeLessThan(440);
    const tiff = await made({
      source: upload(store(readFixture("chessboard_GRAY_U16.tif"), "tif"), "tiff", 16, 1),
      rendition: "print",
      target: printTarget("tiff16"),
    });
    const stats = await sharp(read(tiff.key)).stats();
    expect(stats.channels).toHaveLength(3);
    expect(stats.channels[0]?.min).toBeLessThan(20);
    expect(stats.channels[0]?.max).toBeGreaterThan(235);

    // A target whose extension is not the rendition's format is refused.
    const post = (body: unknown) =>
      fetch(`${service.url}/v1/renditions`, {
        method: "POST",
        headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const source = upload(store(readFixture("chelsea.png"), "png"), "png");
    for (const [rendition, to] of [
      ["print", target("wrong")],
      ["thumb", printTarget("wrong")],
    ]) {
      expect((await post({ source, rendition, target: to })).status).toBe(400);
    }
    expect(tmpFiles()).toEqual([]);
  });

  it("shares one generation between concurrent requests and runs at most two at once", async () => {
    const chelsea = readFixture("chelsea.png");
    const one = store(chelsea, "png");
    const to = target("burst");
    const before = service.renditions.generated;
    const burst = await Promise.all(
      Array.from({ length: 8 }, () =>
        made({ source: upload(one, "png"), rendition: "display", target: to }),
      ),
    );
    expect(service.renditions.generated).toBe(before + 1);
    expect(burst.filter((r) => r.generated).length).toBeGreaterThanOrEqual(1);
    for (const r of burst) expect(r.size).toBe(burst[0]?.size);

    const sources = Array.from({ length: 6 }, () => store(chelsea, "png"));
    let highest = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        highest = Math.max(highest, service.renditions.running);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const answers = await Promise.all(
      sources.map((s) =>
        client.makeRendition({
          source: upload(s, "png"),
          rendition: "display",
          target: target("many"),
        }),
      ),
    );
    done = true;
    await watch;
    expect(answers.map((a) => a.ok)).toEqual(sources.map(() => true));
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(MAX_CONCURRENT_RENDITIONS);
  });

  it("refuses an image over the pixel limit and one it cannot decode, saying why", async () => {
    const chelsea = store(readFixture("chelsea.png"), "png");
    const big = await client.makeRendition({
      source: upload(chelsea, "png"),
      rendition: "thumb",
      target: target("big"),
      maxPixels: 1000,
    });
    expect(big).toEqual({
      ok: false,
      code: "too_many_pixels",
      message: "The image has more pixels than the limit of 1000; download the original instead.",
      maxPixels: 1000,
    });
    const truncated = store(readFixture("chelsea.png").subarray(0, 2000), "png");
    const broken = await client.makeRendition({
      source: upload(truncated, "png"),
      rendition: "thumb",
      target: target("broken"),
    });
    expect(broken).toMatchObject({ ok: false, code: "not_renderable" });
    expect(tmpFiles()).toEqual([]);
  });

  it("answers 404 for a missing source and 400 for paths outside their folders", async () => {
    const missing = client.makeRendition({
      source: upload("uploads/t/none.png", "png"),
      rendition: "thumb",
      target: target("none"),
    });
    await expect(missing).rejects.toMatchObject({ status: 404, code: "not_found" });

    const chelsea = store(readFixture("chelsea.png"), "png");
    const post = (body: unknown) =>
      fetch(`${service.url}/v1/renditions`, {
        method: "POST",
        headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const body of [
      { source: upload(chelsea, "png"), rendition: "thumb", target: "uploads/t/over.webp" },
      { source: upload(chelsea, "png"), rendition: "thumb", target: "renditions/../x.webp" },
      { source: upload("../etc/passwd", "png"), rendition: "thumb", target: target("x") },
      { source: upload(chelsea, "png"), rendition: "huge", target: target("x") },
    ]) {
      expect((await post(body)).status).toBe(400);
    }
    // A symlink inside DATA_DIR that points out of it is refused too.
    const outside = path.join(os.tmpdir(), `rendition-outside-${process.pid}.png`);
    copyFileSync(fixturePath("chelsea.png"), outside);
    symlinkSync(outside, path.join(service.dataDir, "uploads", "t", "link.png"));
    const escaped = client.makeRendition({
      source: upload("uploads/t/link.png", "png"),
      rendition: "thumb",
      target: target("link"),
    });
    await expect(escaped).rejects.toBeInstanceOf(InferenceRequestError);
    await expect(escaped).rejects.toMatchObject({ status: 400 });
    rmSync(outside, { force: true });
    expect(existsSync(path.join(service.dataDir, "renditions", "team"))).toBe(true);
  });
});
