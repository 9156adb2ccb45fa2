import { existsSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import type { TestDatabase } from "@studio/db/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataset, deleteDataset } from "../services/datasets";
import { deleteImages } from "../services/images";
import { makeUser, type TestUser, testDb } from "../test-helpers";
import { downloadFile } from "./download";
import {
  MAX_CONCURRENT_RENDITIONS,
  renditionPath,
  renditionsMade,
  runningRenditions,
} from "./renditions";
import { contextFor, post, useTempDataDir } from "./test-context";
import { uploadImage } from "./upload-image";

const fixtures = path.resolve(import.meta.dirname, "../../test/fixtures");
const fixture = (name: string) => readFileSync(path.join(fixtures, name));
const tiff16 = fixture("chessboard_GRAY_U16.tif");
const chelsea = fixture("chelsea.png");
const gif = fixture("no_time_for_that_tiny.gif");

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
let alice: TestUser;
let bob: TestUser;
let png16: Buffer;
let rotatedJpeg: Buffer;
let bmp: Buffer;

/** An uncompressed 24-bit bottom-up BMP, as Windows writes it. */
async function toBmp(source: Buffer): Promise<Buffer> {
  const { data: rgb, info } = await sharp(source)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const stride = Math.ceil((info.width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * info.height);
  out.write("BM", 0, "ascii");
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(info.width, 18);
  out.writeInt32LE(info.height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < info.height; y++) {
    const row = 54 + (info.height - 1 - y) * stride;
    for (let x = 0; x < info.width; x++) {
      const src = (y * info.width + x) * 3;
      out[row + x * 3] = rgb[src + 2] as number;
      out[row + x * 3 + 1] = rgb[src + 1] as number;
      out[row + x * 3 + 2] = rgb[src] as number;
    }
  }
  return out;
}

beforeAll(async () => {
  data = useTempDataDir();
  t = await testDb();
  alice = await makeUser(t.db);
  bob = await makeUser(t.db);
  png16 = await sharp(chelsea).toColourspace("rgb16").png().toBuffer();
  rotatedJpeg = await sharp(fixture("rocket.jpg"))
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  bmp = await toBmp(chelsea);
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

async function upload(bytes: Buffer, name: string, user = alice): Promise<string> {
  const ctx = await contextFor(t.db, user.id);
  const response = await uploadImage(
    post(`/api/files/images?teamId=${user.personalTeamId}&name=${name}`, bytes),
    ctx,
  );
  const body = (await response.json()) as { image?: { id: string }; error?: unknown };
  expect(response.status, JSON.stringify(body.error)).toBe(201);
  return body.image?.id as string;
}

async function get(
  imageId: string,
  query: string,
  options: { user?: TestUser | null; teamId?: string; headers?: Record<string, string> } = {},
) {
  const user = options.user === undefined ? alice : options.user;
  const teamId = options.teamId ?? alice.personalTeamId;
  const ctx = await contextFor(t.db, user?.id ?? null);
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
  const meta = await sharp(bytes).metadata();
  return { response, bytes, meta };
}

const cachedFile = (imageId: string, name: "thumb" | "display") =>
  path.join(data.dir, renditionPath({ id: imageId, teamId: alice.personalTeamId }, name));

const meanOf = async (bytes: Buffer) =>
  (await sharp(bytes).stats()).channels.slice(0, 3).map((c) => c.mean);

describe("image renditions", () => {
  it("a 16-bit TIFF gets an 8-bit WebP thumb, cached on disk, with its contrast kept", async () => {
    const id = await upload(tiff16, "chessboard.tif");
    const { bytes, meta, response } = await rendition(id, "thumb");
    expect(meta).toMatchObject({ format: "webp", depth: "uchar", width: 200, height: 200 });
    expect(response.headers.get("content-disposition")).toContain(
      'inline; filename="chessboard-thumb.webp"',
    );
    // The file holds 8-bit data (0..255) in 16-bit samples: a plain 16-to-8-bit reduction
    // showed an all-black square; the chessboard must stay black and white.
    const stats = await sharp(bytes).stats();
    expect(stats.channels[0]?.min).toBeLessThan(20);
    expect(stats.channels[0]?.max).toBeGreaterThan(235);
    expect(readFileSync(cachedFile(id, "thumb")).equals(bytes)).toBe(true);
  });

  it("a 16-bit PNG gets a thumb within 256 px with its aspect, and a display never enlarged", async () => {
    const id = await upload(png16, "chelsea16.png");
    const thumb = await rendition(id, "thumb");
    expect(thumb.meta).toMatchObject({ format: "webp", depth: "uchar", width: 256, height: 170 });
    // Same picture as the 8-bit original reduced the same way (full-range 16-bit is not stretched).
    const reference = await sharp(chelsea).resize(256, 170).webp({ quality: 80 }).toBuffer();
    const [got, want] = await Promise.all([meanOf(thumb.bytes), meanOf(reference)]);
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
    const made = renditionsMade();
    const second = await rendition(id, "thumb");
    const after = statSync(cachedFile(id, "thumb"));
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(renditionsMade()).toBe(made);
    // A regeneration renames a new file into place: a new inode and a new mtime.
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    // A hit on a copy last used hours ago marks it used (the cleanup job keeps used copies).
    const hoursAgo = new Date(Date.now() - 3 * 60 * 60 * 1000);
    utimesSync(cachedFile(id, "thumb"), hoursAgo, hoursAgo);
    await rendition(id, "thumb");
    const touched = statSync(cachedFile(id, "thumb"));
    expect(touched.ino).toBe(before.ino);
    expect(Date.now() - touched.mtimeMs).toBeLessThan(60_000);
    expect(renditionsMade()).toBe(made);

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
    const made = renditionsMade();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => get(id, "rendition=display")),
    );
    const bodies = await Promise.all(
      responses.map(async (r) => Buffer.from(await r.arrayBuffer())),
    );
    for (const body of bodies) expect(body.equals(bodies[0] as Buffer)).toBe(true);
    expect(renditionsMade()).toBe(made + 1);
    expect((await sharp(bodies[0]).metadata()).width).toBe(451);
    expect(data.files().filter((f) => f.startsWith("tmp/"))).toEqual([]);
  });

  it("runs at most MAX_CONCURRENT_RENDITIONS generations at once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await upload(chelsea, `many-${i}.png`));
    let highest = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        highest = Math.max(highest, runningRenditions());
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const statuses = await Promise.all(
      ids.map((id) => get(id, "rendition=display").then((r) => r.status)),
    );
    done = true;
    await watch;
    expect(statuses).toEqual(ids.map(() => 200));
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(MAX_CONCURRENT_RENDITIONS);
  });

  it("applies EXIF orientation, keeps GIF's first frame, and renders BMPs", async () => {
    const rotated = await rendition(await upload(rotatedJpeg, "rotated.jpg"), "thumb");
    expect([rotated.meta.width, rotated.meta.height]).toEqual([171, 256]);

    const animated = await rendition(await upload(gif, "anim.gif"), "thumb");
    expect(animated.meta).toMatchObject({ format: "webp", width: 14, height: 25 });
    expect(animated.meta.pages ?? 1).toBe(1);

    const fromBmp = await rendition(await upload(bmp, "cat.bmp"), "thumb");
    expect([fromBmp.meta.width, fromBmp.meta.height]).toEqual([256, 170]);
    const reference = await sharp(chelsea).resize(256, 170).webp({ quality: 80 }).toBuffer();
    const [got, want] = await Promise.all([meanOf(fromBmp.bytes), meanOf(reference)]);
    for (const [i, value] of got.entries())
      expect(Math.abs(value - (want[i] ?? 0))).toBeLessThan(3);
  });

  it("is refused to other teams, anonymous callers and unknown renditions", async () => {
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
    // Nothing was generated for the refused requests.
    expect(existsSync(cachedFile(id, "thumb"))).toBe(false);
  });

  it("answers 404 when the original file is missing", async () => {
    const id = await upload(chelsea, "gone.png");
    const row = await t.db.image.findUniqueOrThrow({
      where: { id },
      select: { storagePath: true },
    });
    rmSync(path.join(data.dir, row.storagePath));
    const response = await get(id, "rendition=thumb");
    expect(response.status).toBe(404);
    expect(existsSync(cachedFile(id, "thumb"))).toBe(false);
  });

  it("deleting an image, or a dataset with its images, removes the cached renditions", async () => {
    const single = await upload(chelsea, "delete-me.png");
    await rendition(single, "thumb");
    await rendition(single, "display");
    await deleteImages(t.db, alice.personalTeamId, [single]);
    expect(existsSync(cachedFile(single, "thumb"))).toBe(false);
    expect(existsSync(cachedFile(single, "display"))).toBe(false);

    const dataset = await createDataset(t.db, {
      teamId: alice.personalTeamId,
      userId: alice.id,
      name: "to delete",
    });
    const ctx = await contextFor(t.db, alice.id);
    const response = await uploadImage(
      post(
        `/api/files/images?teamId=${alice.personalTeamId}&name=in-dataset.tif&datasetId=${dataset.id}`,
        tiff16,
      ),
      ctx,
    );
    const inDataset = ((await response.json()) as { image: { id: string } }).image.id;
    await rendition(inDataset, "thumb");
    await deleteDataset(t.db, alice.personalTeamId, dataset.id, true);
    expect(existsSync(cachedFile(inDataset, "thumb"))).toBe(false);
    expect((await get(inDataset, "rendition=thumb")).status).toBe(404);
  });

  it("leaves no rendition behind when the image is deleted while it is being made", async () => {
    for (let round = 0; round < 4; round++) {
      const id = await upload(chelsea, `race-${round}.png`);
      const [response] = await Promise.all([
        get(id, "rendition=display"),
        new Promise((resolve) => setTimeout(resolve, round * 5)).then(() =>
          deleteImages(t.db, alice.personalTeamId, [id]),
        ),
      ]);
      expect([200, 404]).toContain(response.status);
      await response.arrayBuffer().catch(() => undefined);
      expect(existsSync(cachedFile(id, "display"))).toBe(false);
    }
  });
});
