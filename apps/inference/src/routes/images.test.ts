// POST /v1/images/check over real HTTP with real sharp, on uploads staged in the local blob
// store (a temp DATA_DIR, incoming/): the full decode of an upload that the web app used to run
// in its own process. The web app's side
// (what the uploader hears, nothing kept on a refusal) is tested in
// test/integration/image-uploads.test.ts.
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBlobStore } from "@studio/blob/local";
import {
  createInferenceClient,
  type InferenceClient,
  InferenceRequestError,
} from "@studio/contracts/inference-client";
import { fixturePath, readFixture } from "@studio/fixtures";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageChecker, MAX_CONCURRENT_IMAGE_CHECKS } from "../images/checker";
import { NodeFiles } from "../node-files";
import { buildServer } from "../server";

const TOKEN = "test-token-images";
const MAX_PIXELS = 10_000_000;

let app: FastifyInstance;
let url: string;
let dataDir: string;
let checker: ImageChecker;
let client: InferenceClient;
let store: NodeFiles;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "inference-images-"));
  mkdirSync(path.join(dataDir, "incoming"));
  mkdirSync(path.join(dataDir, "uploads"));
  store = await NodeFiles.around(new LocalBlobStore(dataDir), { dataDir, cacheMb: 0, role: "t" });
  checker = new ImageChecker({ files: store, maxPixels: MAX_PIXELS });
  app = await buildServer({
    config: { DATA_DIR: dataDir, INFERENCE_TOKEN: TOKEN, BODY_LIMIT_BYTES: 1024 * 1024 },
    logger: pino({ level: "silent" }),
    pingStore: async () => {},
    imageChecker: checker,
  });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
  client = createInferenceClient({ baseUrl: url, token: TOKEN, retries: 0 });
});
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Stages bytes in the store's incoming/ under a fresh name, as the web app does with an upload. */
let counter = 0;
function received(bytes: Uint8Array, area = "incoming"): string {
  const relative = `${area}/${++counter}.part`;
  writeFileSync(path.join(dataDir, relative), bytes);
  return relative;
}

/** The refusal the client raises for `path`. */
async function refused(request: Parameters<InferenceClient["checkImage"]>[0]) {
  const error = await client.checkImage(request).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InferenceRequestError);
  return error as InferenceRequestError;
}

describe("POST /v1/images/check", () => {
  it("answers format, size, channels and bit depth, and leaves the file where it was", async () => {
    const cases = [
      ["chelsea.png", { format: "png", width: 451, height: 300, channels: 3, bitDepth: 8 }],
      ["rocket.jpg", { format: "jpeg", width: 640, height: 427, channels: 3, bitDepth: 8 }],
      [
        "chessboard_GRAY_U16.tif",
        { format: "tiff", width: 200, height: 200, channels: 1, bitDepth: 16 },
      ],
      [
        "no_time_for_that_tiny.gif",
        { format: "gif", width: 14, height: 25, channels: 4, bitDepth: 8 },
      ],
      ["camera.png", { format: "png", width: 512, height: 512, channels: 1, bitDepth: 8 }],
    ] as const;
    for (const [fixture, expected] of cases) {
      const file = received(readFixture(fixture));
      expect(await client.checkImage({ key: file, name: fixture }), fixture).toEqual({
        ok: true,
        ...expected,
      });
    }
    // The caller owns the upload: it moves it into place or removes it.
    expect(readdirSync(path.join(dataDir, "incoming"))).toHaveLength(cases.length);
  });

  it("refuses a truncated image with 422, the reason in details and the name in the message", async () => {
    const jpeg = readFixture("rocket.jpg");
    const error = await refused({
      key: received(jpeg.subarray(0, Math.floor(jpeg.length / 2))),
      name: "cut.jpg",
    });
    expect(error).toMatchObject({
      status: 422,
      code: "unprocessable",
      details: { reason: "corrupt" },
    });
    // The words the web app answered with when it decoded uploads itself.
    expect(error.message).toMatch(/^"cut\.jpg": the JPEG pixel data is truncated or corrupt/);

    const png = readFixture("chelsea.png");
    const cut = await refused({ key: received(png.subarray(0, 2000)) });
    expect(cut).toMatchObject({ status: 422, details: { reason: "corrupt" } });
    // Without a name the message is the decoder's alone.
    expect(cut.message).toMatch(
      /^cannot read the PNG header .*; the file is corrupt or not a PNG$/,
    );
  });

  it("refuses more pixels than the lower of its own limit and the caller's, from the header", async () => {
    const bomb = Buffer.from(readFixture("chelsea.png"));
    bomb.writeUInt32BE(50_000, 16);
    bomb.writeUInt32BE(50_000, 20);
    const declared = await refused({ key: received(bomb), name: "bomb.png" });
    expect(declared).toMatchObject({ status: 422, details: { reason: "too_many_pixels" } });
    expect(declared.message).toBe(
      `"bomb.png": image is 50000x50000 = 2500000000 pixels; the limit is ${MAX_PIXELS} pixels`,
    );

    const chelsea = received(readFixture("chelsea.png"));
    const callers = await refused({ key: chelsea, name: "c.png", maxPixels: 1000 });
    expect(callers).toMatchObject({ details: { reason: "too_many_pixels" } });
    expect(callers.message).toContain("the limit is 1000 pixels");
    // A caller cannot raise the service's own limit.
    const retina = received(readFixture("retina.jpg"));
    const own = new ImageChecker({ files: store, maxPixels: 1000 });
    await expect(own.check({ key: retina, maxPixels: 1e9 })).rejects.toMatchObject({
      status: 422,
      details: { reason: "too_many_pixels" },
    });
  });

  it("refuses what is not an image at all and an empty file", async () => {
    const html = await refused({
      key: received(Buffer.from("<!doctype html><html></html>")),
      name: "evil.png",
    });
    expect(html).toMatchObject({ status: 422, details: { reason: "unsupported_format" } });
    expect(html.message).toContain('"evil.png": the content is not a supported image');
    const empty = await refused({ key: received(new Uint8Array(0)) });
    expect(empty).toMatchObject({ status: 422, details: { reason: "empty" } });
  });

  it("decodes one image at a time, however many checks arrive together", async () => {
    const retina = readFixture("retina.jpg");
    const files = Array.from({ length: 6 }, () => received(retina));
    const before = checker.checked;
    let peak = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        peak = Math.max(peak, checker.running);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const answers = await Promise.all(files.map((file) => client.checkImage({ key: file })));
    done = true;
    await watch;
    expect(answers.map((a) => a.width)).toEqual(files.map(() => 1411));
    expect(checker.checked).toBe(before + files.length);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(MAX_CONCURRENT_IMAGE_CHECKS);
    expect(MAX_CONCURRENT_IMAGE_CHECKS).toBe(1);
  });

  it("names only objects under incoming/: 404 for a missing one, 400 for any other key", async () => {
    await expect(client.checkImage({ key: "incoming/none.part" })).rejects.toMatchObject({
      status: 404,
      code: "not_found",
    });
    const stored = received(readFixture("chelsea.png"), "uploads");
    const post = (body: unknown, token = TOKEN) =>
      fetch(`${url}/v1/images/check`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const body of [
      { key: stored },
      { key: "incoming/../uploads/x.part" },
      { key: "/etc/passwd" },
      { key: "incoming" },
      { path: received(readFixture("chelsea.png")) },
      { key: received(readFixture("chelsea.png")), maxPixels: 0 },
      {},
    ]) {
      expect((await post(body)).status, JSON.stringify(body)).toBe(400);
    }
    // A symlink in incoming/ that points out of it is refused too.
    const outside = path.join(os.tmpdir(), `image-check-outside-${process.pid}.png`);
    copyFileSync(fixturePath("chelsea.png"), outside);
    try {
      symlinkSync(outside, path.join(dataDir, "incoming", "link.png"));
      await expect(client.checkImage({ key: "incoming/link.png" })).rejects.toMatchObject({
        status: 400,
      });
    } finally {
      rmSync(outside, { force: true });
    }
    // And nobody without the token may ask.
    expect((await post({ key: received(readFixture("chelsea.png")) }, "wrong")).status).toBe(401);
  });
});
