// Task result renditions through the API's download route and the real inference service
// (moved from packages/api: the API process no longer loads sharp).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { downloadFile } from "@studio/api/files";
import { makeImage, makeUser, makeWeight, type TestUser } from "@studio/api/testing";
import { RENDITION_VERSION } from "@studio/contracts/inference/rendition";
import { decodeImage, probeImage, sharpFromRaw } from "@studio/core/image";
import { readFixture } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionCaller, sessionContext, useServiceForApi } from "./api-on-service";

const chelsea = readFixture("chelsea.png");

const svc = useServiceForApi();
let alice: TestUser;

/** Pixels through @studio/core (this workspace has no sharp of its own). */
const pixels = async (bytes: Uint8Array) => sharpFromRaw(await decodeImage(bytes));

beforeAll(async () => {
  alice = await makeUser(svc.db);
});

/** A finished task of alice's with one item whose result files are written as the worker does. */
async function taskWithResult(files: { main: Buffer; probability?: Buffer }) {
  const teamId = alice.personalTeamId;
  const weight = await makeWeight(svc.db, { teamId });
  const image = await makeImage(svc.db, teamId, alice.id, "cat.png");
  const task = await svc.db.task.create({
    data: {
      teamId,
      createdById: alice.id,
      weightId: weight.id,
      weightSha256: weight.sha256,
      taskKind: "segmentation",
      status: "succeeded",
      params: "{}",
      paramSignature: "sig",
      itemCount: 1,
      itemsDone: 1,
    },
    select: { id: true },
  });
  mkdirSync(path.join(svc.dataDir, "results", task.id), { recursive: true });
  const write = (name: string, bytes: Buffer) => {
    writeFileSync(path.join(svc.dataDir, "results", task.id, name), bytes);
    return `results/${task.id}/${name}`;
  };
  const resultPath = write("0000-a1.png", files.main);
  const meta = files.probability
    ? { probabilityPath: write("0000-a1-probability.png", files.probability) }
    : {};
  const item = await svc.db.taskItem.create({
    data: {
      taskId: task.id,
      imageId: image.id,
      position: 0,
      status: "succeeded",
      resultPath,
      resultMeta: JSON.stringify(meta),
    },
    select: { id: true },
  });
  return { taskId: task.id, itemId: item.id, imageId: image.id };
}

function get(
  result: { taskId: string; itemId: string },
  query: string,
  options: { user?: TestUser; teamId?: string; headers?: Record<string, string> } = {},
) {
  const teamId = options.teamId ?? alice.personalTeamId;
  const url = `http://studio.test/api/files/download?type=result&teamId=${teamId}&id=${result.taskId}&itemId=${result.itemId}&${query}`;
  return sessionContext(svc, (options.user ?? alice).id).then((ctx) =>
    downloadFile(new Request(url, { headers: options.headers }), ctx),
  );
}

// The cache layout the API promises: one folder per task, removed with it.
const renditionsDir = (taskId: string) =>
  path.join(svc.dataDir, `renditions/${alice.personalTeamId}/results/${taskId}`);
const cachedFile = (
  result: { taskId: string; itemId: string },
  rendition: "thumb" | "display",
  variant = "main",
) =>
  path.join(
    renditionsDir(result.taskId),
    `${result.itemId}-${variant}-${rendition}.v${RENDITION_VERSION}.webp`,
  );

const meanOf = async (bytes: Buffer) =>
  (await (await pixels(bytes)).stats()).channels.slice(0, 3).map((c) => c.mean);

describe("result renditions", () => {
  it("a 16-bit PNG result gets an 8-bit WebP thumb within 256 px with its aspect, cached on disk", async () => {
    const png16 = await (await pixels(chelsea)).toColourspace("rgb16").png().toBuffer();
    const result = await taskWithResult({ main: png16 });
    const response = await get(result, "rendition=thumb");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect(response.headers.get("content-disposition")).toContain(
      'inline; filename="cat-thumb.webp"',
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(await probeImage(bytes)).toMatchObject({
      format: "webp",
      depth: 8,
      width: 256,
      height: 170,
    });
    const reference = await (await pixels(chelsea))
      .resize(256, 170)
      .webp({ quality: 80 })
      .toBuffer();
    const [got, want] = await Promise.all([meanOf(bytes), meanOf(reference)]);
    for (const [i, value] of got.entries())
      expect(Math.abs(value - (want[i] ?? 0))).toBeLessThan(3);
    expect(readFileSync(cachedFile(result, "thumb")).equals(bytes)).toBe(true);

    // The result itself is still served byte for byte.
    const full = await get(result, "inline=1");
    expect(Buffer.from(await full.arrayBuffer()).equals(png16)).toBe(true);
  });

  it("serves the second request from the cache and answers 304 to its ETag", async () => {
    const result = await taskWithResult({ main: chelsea });
    const first = await get(result, "rendition=display");
    const firstBytes = Buffer.from(await first.arrayBuffer());
    const before = statSync(cachedFile(result, "display"));
    const made = svc.renditions.generated;
    const second = await get(result, "rendition=display");
    expect(Buffer.from(await second.arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(svc.renditions.generated).toBe(made);
    const after = statSync(cachedFile(result, "display"));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect((await probeImage(firstBytes)).width).toBe(451);

    const etag = first.headers.get("etag") as string;
    expect(etag).toBe(`"${result.itemId}-main-display-v${RENDITION_VERSION}"`);
    const revalidated = await get(result, "rendition=display", {
      headers: { "if-none-match": etag },
    });
    expect(revalidated.status).toBe(304);
  });

  it("renders a variant under its metadata key, whichever way the variant is named", async () => {
    const probability = await (await pixels(chelsea)).greyscale().png().toBuffer();
    const result = await taskWithResult({ main: chelsea, probability });
    const short = await get(result, "variant=probability&rendition=thumb");
    expect(short.status).toBe(200);
    const bytes = Buffer.from(await short.arrayBuffer());
    expect(await probeImage(bytes)).toMatchObject({ format: "webp", width: 256 });
    expect(existsSync(cachedFile(result, "thumb", "probabilityPath"))).toBe(true);
    const made = svc.renditions.generated;
    const full = await get(result, "variant=probabilityPath&rendition=thumb");
    expect(Buffer.from(await full.arrayBuffer()).equals(bytes)).toBe(true);
    expect(svc.renditions.generated).toBe(made);
    expect((await get(result, "variant=nothing&rendition=thumb")).status).toBe(404);
  });

  it("is refused to another team's user and to unknown renditions", async () => {
    const bob = await makeUser(svc.db);
    const result = await taskWithResult({ main: chelsea });
    expect((await get(result, "rendition=thumb", { user: bob })).status).toBe(404);
    const bobsTeam = await get(result, "rendition=thumb", {
      user: bob,
      teamId: bob.personalTeamId,
    });
    expect(bobsTeam.status).toBe(404);
    expect((await get(result, "rendition=huge")).status).toBe(400);
    expect(existsSync(cachedFile(result, "thumb"))).toBe(false);
  });

  it("deleting the task removes its cached result renditions", async () => {
    const result = await taskWithResult({ main: chelsea });
    expect((await get(result, "rendition=thumb")).status).toBe(200);
    expect((await get(result, "rendition=display")).status).toBe(200);
    expect(existsSync(cachedFile(result, "thumb"))).toBe(true);
    const caller = await sessionCaller(svc, alice);
    await caller.tasks.delete({ teamId: alice.personalTeamId, taskId: result.taskId });
    expect(existsSync(renditionsDir(result.taskId))).toBe(false);
    expect(existsSync(path.join(svc.dataDir, "results", result.taskId))).toBe(false);
    expect((await get(result, "rendition=thumb")).status).toBe(404);
  });

  it("deleting the image removes its results' cached renditions, variants included", async () => {
    const probability = await (await pixels(chelsea)).greyscale().png().toBuffer();
    const result = await taskWithResult({ main: chelsea, probability });
    expect((await get(result, "rendition=thumb")).status).toBe(200);
    expect((await get(result, "variant=probability&rendition=thumb")).status).toBe(200);
    const cached = [cachedFile(result, "thumb"), cachedFile(result, "thumb", "probabilityPath")];
    expect(cached.map((f) => existsSync(f))).toEqual([true, true]);
    const caller = await sessionCaller(svc, alice);
    await caller.images.delete({ teamId: alice.personalTeamId, imageIds: [result.imageId] });
    expect(cached.map((f) => existsSync(f))).toEqual([false, false]);
  });
});
