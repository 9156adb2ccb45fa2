// Image renditions through the API's download route and the real inference service, which
// makes the pixels (moved from packages/api: the API process no longer loads sharp). The
// service's own side (limits, refusals, paths) is tested in apps/inference/src/routes.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { downloadFile, uploadImage } from "@studio/api/files";
import { makeUser, post, type TestUser } from "@studio/api/testing";
import { RENDITION_VERSION } from "@studio/contracts/inference/rendition";
import { decodeImage, probeImage, sharpFromRaw } from "@studio/core/image";
import { readFixture } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { contextOn, sessionCaller, useServiceForApi } from "./api-on-service";

const tiff16 = readFixture("chessboard_GRAY_U16.tif");
const chelsea = readFixture("chelsea.png");
const gif = readFixture("no_time_for_that_tiny.gif");

const svc = useServiceForApi();
let alice: TestUser;
let png16: Buffer;
let rotatedJpeg: Buffer;
let bmp: Buffer;

/** Pixels through @studio/core (this workspace has no sharp of its own). */
const pixels = async (bytes: Uint8Array) => sharpFromRaw(await decodeImage(bytes));

/** An uncompressed 24-bit bottom-up BMP, as Windows writes it. */
async function toBmp(source: Buffer): Promise<Buffer> {
  const image = await decodeImage(source);
  const stride = Math.ceil((image.width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * image.height);
  out.write("BM", 0, "ascii");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(image.width, 18);
  out.writeInt32LE(image.height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < image.height; y++) {
    const row = 54 + (image.height - 1 - y) * stride;
    for (let x = 0; x < image.width; x++) {
      const src = (y * image.width + x) * image.channels;
      out[row + x * 3] = image.data[src + 2] as number;
      out[row + x * 3 + 1] = image.data[src + 1] as number;
      out[row + x * 3 + 2] = image.data[src] as number;
    }
  }
  return out;
}

beforeAll(async () => {
  alice = await makeUser(svc.db);
  png16 = await (await pixels(chelsea)).toColourspace("rgb16").png().toBuffer();
  rotatedJpeg = await (await pixels(readFixture("rocket.jpg")))
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  bmp = await toBmp(chelsea);
});

async function upload(bytes: Buffer, name: string, user = alice): Promise<string> {
  const ctx = await contextOn(svc, user.id);
  const response = await uploadImage(
    post(`/api/files/images?teamId=${user.personalTeamId}&name=${name}`, new Uint8Array(bytes)),
    ctx,
  );
  const body = (await response.json()) as { image?: { id: string }; error?: unknown };
  expect(response.status, JSON.stringify(body.error)).toBe(201);
  return body.image?.id as string;
}

async function get(
  imageId: string,
  query: string,
  options: {
    user?: TestUser | null;
    teamId?: string;
    headers?: Record<string, string>;
    retries?: number;
  } = {},
) {
  const user = options.user === undefined ? alice : options.user;
  const teamId = options.teamId ?? alice.personalTeamId;
  const ctx = await contextOn(svc, user?.id ?? null, { retries: options.retries });
  return downloadFile(
    new Request(
      `http://studio.test/api/files/download?type=image&teamId=${teamId}&id=${imageId}&${query}`,
      { headers: options.headers },
    ),
    ctx,
  );
}

async function rendition(imageId: string, name: "thumb" | "display") {
  const response = await get(imageId, `rendition=${name}`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("image/webp");
  const bytes = Buffer.from(await response.arrayBuffer());
  const meta = await probeImage(bytes);
  return { response, bytes, meta };
}

// The cache layout the API promises (versioned names, one folder per team).
const cachedFile = (imageId: string, name: "thumb" | "display") =>
  path.join(
    svc.dataDir,
    `renditions/${alice.personalTeamId}/${imageId}-${name}.v${RENDITION_VERSION}.webp`,
  );

const meanOf = async (bytes: Buffer) =>
  (await (await pixels(bytes)).stats()).channels.slice(0, 3).map((c) => c.mean);

const thumbOfChelsea = async () =>
  (await pixels(chelsea)).resize(256, 170).webp({ quality: 80 }).toBuffer();

describe("image renditions", () => {
  it("a 16-bit TIFF gets an 8-bit WebP thumb, cached on disk, with its contrast kept", async () => {
    const id = await upload(tiff16, "chessboard.tif");
    const { bytes, meta, response } = await rendition(id, "thumb");
    expect(meta).toMatchObject({ format: "webp", depth: 8, width: 200, height: 200 });
    expect(response.headers.get("content-disposition")).toContain(
      'inline; filename="chessboard-thumb.webp"',
    );
    // The file holds 8-bit data (0..255) in 16-bit samples: a plain 16-to-8-bit reduction
    // showed an all-black square; the chessboard must stay black and white.
    const stats = await (await pixels(bytes)).stats();
    expect(stats.channels[0]?.min).toBeLessThan(20);
    expect(stats.channels[0]?.max).toBeGreaterThan(235);
    expect(readFileSync(cachedFile(id, "thumb")).equals(bytes)).toBe(true);
  });

  it("a 16-bit PNG gets a thumb within 256 px with its aspect, and a display never enlarged", async () => {
    const id = await upload(png16, "chelsea16.png");
    const thumb = await rendition(id, "thumb");
    expect(thumb.meta).toMatchObject({ format: "webp", depth: 8, width: 256, height: 170 });
    // Same picture as the 8-bit original reduced the same way (full-range 16-bit is not stretched).
    const [got, want] = await Promise.all([meanOf(thumb.bytes), meanOf(await thumbOfChelsea())]);
    for (const [i, value] of got.entries())
      expect(Math.abs(value - (want[i] ?? 0))).toBeLessThan(3);

    const display = await rendition(id, "display");
    expect(display.meta).toMatchObject({ format: "webp", width: 451, height: 300 });
    expect(existsSync(cachedFile(id, "display"))).toBe(true);
  });

  it("serves the second request from the cache without regenerating, and answers 304 to its ETag", async () => {
    const id = await upload(chelsea, "cat.png");
    const first = await rendition(id, "thumb");
    const before = statSync(cachedFile(id, "thumb"));
    const made = svc.renditions.generated;
    const second = await rendition(id, "thumb");
    const after = statSync(cachedFile(id, "thumb"));
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(svc.renditions.generated).toBe(made);
    // A regeneration renames a new file into place: a new inode and a new mtime.
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    // A hit on a copy last used hours ago marks it used (the cleanup job keeps used copies).
    const hoursAgo = new Date(Date.now() - 3 * 60 * 60 * 1000);
    utimesSync(cachedFile(id, "thumb"), hoursAgo, hoursAgo);
    await rendition(id, "thumb");
    const touched = statSync(cachedFile(id, "thumb"));
    expect(touched.ino).toBe(before.ino);
    expect(Date.now() - touched.mtimeMs).toBeLessThan(60_000);
    expect(svc.renditions.generated).toBe(made);

    const etag = first.response.headers.get("etag") as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}-thumb-v\d+"$/);
    const revalidated = await get(id, "rendition=thumb", { headers: { "if-none-match": etag } });
    expect(revalidated.status).toBe(304);
    // The original is a different resource and keeps its own bytes.
    const original = await get(id, "inline=1");
    expect(Buffer.from(await original.arrayBuffer()).equals(chelsea)).toBe(true);
  });

  it("concurrent first requests share one generation and never see a partial file", async () => {
    const id = await upload(chelsea, "burst.png");
    const made = svc.renditions.generated;
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => get(id, "rendition=display")),
    );
    const bodies = await Promise.all(
      responses.map(async (r) => Buffer.from(await r.arrayBuffer())),
    );
    for (const body of bodies) expect(body.equals(bodies[0] as Buffer)).toBe(true);
    expect(svc.renditions.generated).toBe(made + 1);
    expect((await probeImage(bodies[0] as Buffer)).width).toBe(451);
    expect(readdirSync(path.join(svc.dataDir, "tmp"))).toEqual([]);
  });

  // The service runs at most two generations at once (apps/inference/src/routes/renditions.test.ts
  // watches that); through the API a burst queues there instead of being refused.
  it("answers a burst of first views, all of them, however many arrive at once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await upload(chelsea, `many-${i}.png`));
    const statuses = await Promise.all(
      ids.map((id) => get(id, "rendition=display").then((r) => r.status)),
    );
    expect(statuses).toEqual(ids.map(() => 200));
  });

  it("applies EXIF orientation, keeps GIF's first frame, and renders BMPs", async () => {
    const rotated = await rendition(await upload(rotatedJpeg, "rotated.jpg"), "thumb");
    expect([rotated.meta.width, rotated.meta.height]).toEqual([171, 256]);

    const animated = await rendition(await upload(gif, "anim.gif"), "thumb");
    expect(animated.meta).toMatchObject({ format: "webp", width: 14, height: 25 });
    // An animated WebP carries an ANIM chunk.
    expect(animated.bytes.includes("ANIM")).toBe(false);

    const fromBmp = await rendition(await upload(bmp, "cat.bmp"), "thumb");
    expect([fromBmp.meta.width, fromBmp.meta.height]).toEqual([256, 170]);
    const [got, want] = await Promise.all([meanOf(fromBmp.bytes), meanOf(await thumbOfChelsea())]);
    for (const [i, value] of got.entries())
      expect(Math.abs(value - (want[i] ?? 0))).toBeLessThan(3);
  });

  it("is refused to other teams, anonymous callers and unknown renditions", async () => {
    const bob = await makeUser(svc.db);
    const id = await upload(chelsea, "private.png");
    const asBob = await get(id, "rendition=thumb", { user: bob });
    expect(asBob.status).toBe(404);
    const bobsTeam = await get(id, "rendition=thumb", { user: bob, teamId: bob.personalTeamId });
    expect(bobsTeam.status).toBe(404);
    expect((await get(id, "rendition=thumb", { user: null })).status).toBe(401);
    const unknown = await get(id, "rendition=../../etc/passwd");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      "Unknown rendition: use thumb or display.",
    );
    // The PDF report's JPEG is made for the report only; browsers get the WebP ones.
    expect((await get(id, "rendition=print")).status).toBe(400);
    // Nothing was generated for the refused requests.
    expect(existsSync(cachedFile(id, "thumb"))).toBe(false);
  });

  it("answers 404 when the original file is missing", async () => {
    const id = await upload(chelsea, "gone.png");
    const row = await svc.db.image.findUniqueOrThrow({
      where: { id },
      select: { storagePath: true },
    });
    rmSync(path.join(svc.dataDir, row.storagePath));
    const response = await get(id, "rendition=thumb");
    expect(response.status).toBe(404);
    expect(existsSync(cachedFile(id, "thumb"))).toBe(false);
  });

  it("deleting an image, or a dataset with its images, removes the cached renditions", async () => {
    const caller = await sessionCaller(svc, alice);
    const teamId = alice.personalTeamId;
    const single = await upload(chelsea, "delete-me.png");
    await rendition(single, "thumb");
    await rendition(single, "display");
    await caller.images.delete({ teamId, imageIds: [single] });
    expect(existsSync(cachedFile(single, "thumb"))).toBe(false);
    expect(existsSync(cachedFile(single, "display"))).toBe(false);

    const dataset = await caller.datasets.create({ teamId, name: "to delete" });
    const response = await uploadImage(
      post(
        `/api/files/images?teamId=${teamId}&name=in-dataset.tif&datasetId=${dataset.id}`,
        new Uint8Array(tiff16),
      ),
      await contextOn(svc, alice.id),
    );
    const inDataset = ((await response.json()) as { image: { id: string } }).image.id;
    await rendition(inDataset, "thumb");
    await caller.datasets.delete({ teamId, datasetId: dataset.id, withImages: true });
    expect(existsSync(cachedFile(inDataset, "thumb"))).toBe(false);
    expect((await get(inDataset, "rendition=thumb")).status).toBe(404);
  });

  it("leaves no rendition behind when the image is deleted while it is being made", async () => {
    const caller = await sessionCaller(svc, alice);
    for (let round = 0; round < 4; round++) {
      const id = await upload(chelsea, `race-${round}.png`);
      const [response] = await Promise.all([
        get(id, "rendition=display"),
        new Promise((resolve) => setTimeout(resolve, round * 5)).then(() =>
          caller.images.delete({ teamId: alice.personalTeamId, imageIds: [id] }),
        ),
      ]);
      expect([200, 404]).toContain(response.status);
      await response.arrayBuffer().catch(() => undefined);
      expect(existsSync(cachedFile(id, "display"))).toBe(false);
    }
  });

  it("answers 503 saying why while the service is down; cached copies and originals still download", async () => {
    const id = await upload(chelsea, "while-down.png");
    await rendition(id, "thumb");
    await svc.stop();
    try {
      const missing = await get(id, "rendition=display", { retries: 0 });
      expect(missing.status).toBe(503);
      expect(await missing.json()).toMatchObject({
        error: {
          code: "inference_unavailable",
          message:
            "Display copies are made by the inference service, which is unavailable right now; try again shortly or download the original.",
        },
      });
      expect((await get(id, "rendition=thumb", { retries: 0 })).status).toBe(200);
      const original = await get(id, "inline=1", { retries: 0 });
      expect(original.status).toBe(200);
      expect(Buffer.from(await original.arrayBuffer()).equals(chelsea)).toBe(true);
    } finally {
      await svc.restart();
    }
    expect((await get(id, "rendition=display")).status).toBe(200);
  });
});
