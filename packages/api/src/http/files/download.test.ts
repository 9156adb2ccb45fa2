// Downloads read the blob store through one function (the default local store here; the same
// code against S3 in test/integration/s3-uploads.test.ts): whole files, one byte range, and the
// answers for a missing object or a range outside it.
import { randomBytes } from "node:crypto";
import { BlobError } from "@studio/blob/errors";
import { openZipBytes } from "@studio/core/zip/read";
import { parse as parseContentDisposition } from "content-disposition";
import { beforeAll, describe, expect, it } from "vitest";
import { blobStore } from "../../storage/blobs";
import { makeImage, makeUser, makeWeight, type TestUser } from "../../test-helpers";
import { useTestStore } from "../../test-hooks";
import { downloadFile } from "./download";
import { toErrorResponse } from "./responses";
import { contextFor } from "./test-context";

const t = useTestStore();
const bytes = randomBytes(10_000);
let alice: TestUser;
let imageId: string;

beforeAll(async () => {
  alice = await makeUser(t.db);
  imageId = (await makeImage(t.db, alice.personalTeamId, alice.id, "noise.png")).id;
  const { storagePath } = await t.db.image.findUniqueOrThrow({ where: { id: imageId } });
  await blobStore().put(storagePath, bytes);
});

async function download(headers: Record<string, string> = {}, id = imageId) {
  const query = new URLSearchParams({ type: "image", teamId: alice.personalTeamId, id });
  return downloadFile(
    new Request(`http://studio.test/api/files/download?${query}`, { headers }),
    await contextFor(t.db, alice.id),
  );
}

const body = async (response: Response) => Buffer.from(await response.arrayBuffer());

describe("downloads from the blob store", () => {
  it("serves the whole object with its headers", async () => {
    const res = await download();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-disposition")).toContain('filename="noise.png"');
    expect((await body(res)).equals(bytes)).toBe(true);
  });

  it("serves one byte range: bounded, open-ended and the last bytes", async () => {
    const bounded = await download({ range: "bytes=10-19" });
    expect(bounded.status).toBe(206);
    expect(bounded.headers.get("content-range")).toBe(`bytes 10-19/${bytes.length}`);
    expect(bounded.headers.get("content-length")).toBe("10");
    expect((await body(bounded)).equals(bytes.subarray(10, 20))).toBe(true);

    const open = await download({ range: "bytes=9990-" });
    expect(open.status).toBe(206);
    expect((await body(open)).equals(bytes.subarray(9990))).toBe(true);

    // An end past the object is clamped to its last byte, as HTTP servers do.
    const clamped = await download({ range: "bytes=9995-20000" });
    expect(clamped.headers.get("content-range")).toBe(`bytes 9995-9999/${bytes.length}`);
    expect((await body(clamped)).equals(bytes.subarray(9995))).toBe(true);

    const suffix = await download({ range: "bytes=-3" });
    expect(suffix.status).toBe(206);
    expect((await body(suffix)).equals(bytes.subarray(bytes.length - 3))).toBe(true);
  });

  it("serves the whole object for ranges it does not serve or a stale If-Range", async () => {
    const cases: Record<string, string>[] = [
      { range: "bytes=0-1,5-6" },
      { range: "items=0-1" },
      { range: "bytes=5-2" },
      { range: "bytes=0-1", "if-range": '"some-old-etag"' },
    ];
    for (const headers of cases) {
      const res = await download(headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect((await body(res)).length).toBe(bytes.length);
    }
  });

  it("answers 416 for a range outside the object and 404 for a missing object", async () => {
    const outside = await download({ range: `bytes=${bytes.length}-` });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe(`bytes */${bytes.length}`);

    const lost = await makeImage(t.db, alice.personalTeamId, alice.id, "lost.png");
    const missing = await download({}, lost.id);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "The file is missing." },
    });
  });
});

describe("blob store failures as the client hears them", () => {
  it("answers an unreachable or full store in plain words and hides the rest", async () => {
    const down = toErrorResponse(new BlobError("unavailable", "s3://bucket timed out"));
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      error: { code: "unavailable", message: "File storage is unreachable; try again shortly." },
    });
    const full = toErrorResponse(new BlobError("storage_full", "/data has no room"));
    expect(full.status).toBe(507);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe("storage_full");
    const errors = console.error;
    console.error = () => {};
    try {
      const denied = toErrorResponse(new BlobError("misconfigured", "bucket acme denies us"));
      expect(denied.status).toBe(500);
      expect(await denied.text()).not.toContain("acme");
    } finally {
      console.error = errors;
    }
  });
});

/** A finished task of alice's over `images` (name, dataset path), each result holding its name. */
async function finishedTask(
  taskKind: "super_resolution" | "segmentation",
  images: { name: string; relativePath?: string; variants?: string[] }[],
  /** Super-resolution: the written file's extension and scale (an output format and size). */
  output: { ext: string; scale: number } = { ext: ".png", scale: 4 },
) {
  const team = alice.personalTeamId;
  const weight = await makeWeight(t.db, { teamId: team, taskKind });
  const dataset = await t.db.dataset.create({
    data: { teamId: team, createdById: alice.id, name: "pets" },
    select: { id: true },
  });
  const task = await t.db.task.create({
    data: {
      teamId: team,
      createdById: alice.id,
      weightId: weight.id,
      weightSha256: weight.sha256,
      datasetId: dataset.id,
      taskKind,
      name: "Pets 猫 x4",
      status: "succeeded",
      params: "{}",
      paramSignature: "x",
      itemCount: images.length,
    },
    select: { id: true },
  });
  const items: { itemId: string; imageId: string; bytes: Record<string, string> }[] = [];
  for (const [position, image] of images.entries()) {
    const { id: imageId } = await makeImage(t.db, team, alice.id, image.name);
    const { storagePath } = await t.db.image.findUniqueOrThrow({ where: { id: imageId } });
    await blobStore().put(storagePath, Buffer.from(`${image.name} original`));
    if (image.relativePath) {
      await t.db.datasetImage.create({
        data: { datasetId: dataset.id, imageId, relativePath: image.relativePath },
      });
    }
    const key = (part?: string) =>
      `results/${task.id}/${position}-a1${part ? `.${part}` : ""}${output.ext}`;
    const bytes: Record<string, string> = { main: `${image.name} main` };
    const meta: Record<string, unknown> =
      taskKind === "super_resolution" ? { scale: output.scale } : {};
    await blobStore().put(key(), Buffer.from(bytes.main as string));
    for (const variant of image.variants ?? []) {
      bytes[variant] = `${image.name} ${variant}`;
      meta[`${variant}Path`] = key(variant);
      await blobStore().put(key(variant), Buffer.from(bytes[variant] as string));
    }
    const item = await t.db.taskItem.create({
      data: {
        taskId: task.id,
        imageId,
        position,
        status: "succeeded",
        resultPath: key(),
        resultMeta: JSON.stringify(meta),
      },
      select: { id: true },
    });
    items.push({ itemId: item.id, imageId, bytes });
  }
  return { taskId: task.id, items };
}

async function get(query: Record<string, string>) {
  const search = new URLSearchParams({ teamId: alice.personalTeamId, ...query });
  return downloadFile(
    new Request(`http://studio.test/api/files/download?${search}`),
    await contextFor(t.db, alice.id),
  );
}

/** The name a browser saves the download under (filename*, else filename). */
const fileNameOf = (res: Response) =>
  parseContentDisposition(res.headers.get("content-disposition") ?? "").parameters.filename;

describe("download names", () => {
  it("names a result after what it is, never as the original", async () => {
    const sr = await finishedTask("super_resolution", [{ name: "摩托车.jpg" }]);
    const item = sr.items[0] as (typeof sr.items)[number];
    const result = await get({ type: "result", id: sr.taskId, itemId: item.itemId });
    expect(fileNameOf(result)).toBe("摩托车_x4.png");
    expect(result.headers.get("content-disposition")).toContain('attachment; filename="__x4.png"');
    expect(await result.text()).toBe("摩托车.jpg main");
    const original = await get({ type: "image", id: item.imageId });
    expect(fileNameOf(original)).toBe("摩托车.jpg");

    const seg = await finishedTask("segmentation", [
      { name: "page.png", variants: ["probability", "overlay"] },
    ]);
    const page = seg.items[0] as (typeof seg.items)[number];
    const names: Record<string, string> = {};
    for (const variant of [undefined, "probability", "overlayPath"]) {
      const res = await get({
        type: "result",
        id: seg.taskId,
        itemId: page.itemId,
        ...(variant ? { variant } : {}),
      });
      names[variant ?? "main"] = `${fileNameOf(res)}: ${await res.text()}`;
    }
    expect(names).toEqual({
      main: "page_mask.png: page.png main",
      probability: "page_probability.png: page.png probability",
      overlayPath: "page_overlay.png: page.png overlay",
    });
  });

  it("names and types a result in its output format and size, in the zip too", async () => {
    for (const [ext, type] of [
      [".jpg", "image/jpeg"],
      [".webp", "image/webp"],
      [".avif", "image/avif"],
      [".tiff", "image/tiff"],
    ] as const) {
      const sr = await finishedTask(
        "super_resolution",
        [{ name: "cat.png", relativePath: "pets/cat.png" }],
        {
          ext,
          scale: 2,
        },
      );
      const item = sr.items[0] as (typeof sr.items)[number];
      const result = await get({ type: "result", id: sr.taskId, itemId: item.itemId });
      expect(fileNameOf(result)).toBe(`cat_x2${ext}`);
      expect(result.headers.get("content-type")).toBe(type);
      const zip = await get({ type: "task-zip", id: sr.taskId });
      const entries = await openZipBytes(await body(zip), {
        maxEntries: 10,
        maxTotalBytes: 1 << 20,
        maxEntryBytes: 1 << 20,
      });
      expect(entries.entries.map((e) => e.name)).toEqual([`pets/cat_x2${ext}`]);
      entries.close();
    }
  });

  it("zips a task's results in the dataset's folders, numbering names that collide", async () => {
    const { taskId } = await finishedTask("super_resolution", [
      { name: "a.jpg", relativePath: "cats/a.jpg" },
      { name: "a.png", relativePath: "cats/a.png" },
      { name: "b.png", relativePath: "dogs/puppies/b.png" },
      { name: "evil.png", relativePath: "../../evil.png" },
      { name: "loose.png" },
    ]);
    const seg = await finishedTask("segmentation", [
      { name: "p.png", relativePath: "scans/p.png", variants: ["probability", "overlay"] },
    ]);
    const contents = async (id: string) => {
      const res = await get({ type: "task-zip", id });
      expect(res.status).toBe(200);
      // Saved under the task's name, not its id.
      expect(fileNameOf(res)).toBe("Pets 猫 x4.zip");
      const zip = await openZipBytes(await body(res), {
        maxEntries: 100,
        maxTotalBytes: 1 << 20,
        maxEntryBytes: 1 << 20,
      });
      const files: Record<string, string> = {};
      for (const entry of zip.entries)
        files[entry.name] = Buffer.from(await zip.read(entry)).toString();
      zip.close();
      return files;
    };
    expect(await contents(taskId)).toEqual({
      "cats/a_x4.png": "a.jpg main",
      "cats/a_x4 (2).png": "a.png main",
      "dogs/puppies/b_x4.png": "b.png main",
      "evil_x4.png": "evil.png main",
      "loose_x4.png": "loose.png main",
    });
    expect(await contents(seg.taskId)).toEqual({
      "scans/p_mask.png": "p.png main",
      "scans/p_probability.png": "p.png probability",
      "scans/p_overlay.png": "p.png overlay",
    });
  });

  it("names results by the team's pattern, in the download and the zip", async () => {
    const sr = await finishedTask("super_resolution", [
      { name: "cat.png", relativePath: "pets/cat.png" },
      { name: "dog.png", relativePath: "pets/dog.png" },
    ]);
    const task = await t.db.task.findUniqueOrThrow({
      where: { id: sr.taskId },
      select: { weightId: true },
    });
    await t.db.weight.update({
      where: { id: task.weightId as string },
      data: { name: "RealESR-AnimeVideo v3 (x4)" },
    });
    await t.db.team.update({
      where: { id: alice.personalTeamId },
      data: { resultNamePattern: "{index}-{model}_{name}_{scale}_{output} {task}" },
    });
    try {
      const item = sr.items[1] as (typeof sr.items)[number];
      const result = await get({ type: "result", id: sr.taskId, itemId: item.itemId });
      expect(fileNameOf(result)).toBe("2-realesr-animevideo-v3-x4_dog_x4_result Pets 猫 x4.png");
      const zip = await openZipBytes(await body(await get({ type: "task-zip", id: sr.taskId })), {
        maxEntries: 10,
        maxTotalBytes: 1 << 20,
        maxEntryBytes: 1 << 20,
      });
      expect(zip.entries.map((e) => e.name)).toEqual([
        "pets/1-realesr-animevideo-v3-x4_cat_x4_result Pets 猫 x4.png",
        "pets/2-realesr-animevideo-v3-x4_dog_x4_result Pets 猫 x4.png",
      ]);
      zip.close();
    } finally {
      await t.db.team.update({
        where: { id: alice.personalTeamId },
        data: { resultNamePattern: null },
      });
    }
  });
});
