// Archive uploads whose images reach the full decode in the real inference service (moved from
// packages/api/src/http/files/upload-archive.test.ts, where the refusals that come before any
// decode stay: traversal, absolute paths, declared sizes, no images, not a zip).
import { readFileSync } from "node:fs";
import { uploadArchive } from "@studio/api/files";
import { makeUser, post, resetEnvForTests, type TestUser } from "@studio/api/testing";
import { type RawZipEntry, writeZipEntries } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { contextOn, expectOnlyStoredImages, useServiceForApi } from "./api-on-service";

const png = readFileSync(fixturePath("microaneurysms.png"));
const jpeg = readFileSync(fixturePath("rocket.jpg"));

/** Good and hostile archives (lying sizes) alike, from fflate's streaming writer. */
const zip = (entries: RawZipEntry[]) => Buffer.from(writeZipEntries(entries));

const LIMITS = {
  MAX_IMAGE_BYTES: String(2 * 1024 * 1024),
  MAX_ARCHIVE_UNPACKED_BYTES: String(8 * 1024 * 1024),
};

interface ArchiveBody {
  imported: number;
  dataset: { id: string };
  report: { ignored: string[] } & Record<string, unknown>;
  error: { code: string; message: string };
}

const svc = useServiceForApi({ apiEnv: LIMITS });
let alice: TestUser;

beforeAll(async () => {
  alice = await makeUser(svc.db);
});

async function send(body: Buffer, query = "") {
  const ctx = await contextOn(svc, alice.id, { retries: 0 });
  const res = await uploadArchive(
    post(`/api/files/archives?teamId=${alice.personalTeamId}${query}`, new Uint8Array(body)),
    ctx,
  );
  return { status: res.status, body: (await res.json()) as ArchiveBody };
}

describe("uploadArchive with the inference service", () => {
  it("imports classification folders with labels and reports what it ignored", async () => {
    const res = await send(
      zip([
        { name: "train/healthy/a.png", data: png, deflate: true },
        { name: "train/healthy/b.png", data: png },
        { name: "train/sick/c.jpg", data: jpeg, deflate: true },
        { name: "README.md", data: "hello" },
        { name: "__MACOSX/._a.png", data: "junk" },
      ]),
      "&name=Retina",
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.imported).toBe(3);
    expect(res.body.report).toMatchObject({
      layout: "classification",
      classes: ["healthy", "sick"],
      images: 3,
    });
    expect(res.body.report.ignored).toEqual(["README.md", "__MACOSX/._a.png"]);
    const links = await svc.db.datasetImage.findMany({
      where: { datasetId: res.body.dataset.id },
      orderBy: { relativePath: "asc" },
      select: { relativePath: true, label: true, image: { select: { format: true } } },
    });
    expect(links.map((l) => [l.relativePath, l.label, l.image.format])).toEqual([
      ["train/healthy/a.png", "healthy", "png"],
      ["train/healthy/b.png", "healthy", "png"],
      ["train/sick/c.jpg", "sick", "jpeg"],
    ]);
    const ds = await svc.db.dataset.findUniqueOrThrow({ where: { id: res.body.dataset.id } });
    expect(ds).toMatchObject({ name: "Retina", layout: "classification" });
    await expectOnlyStoredImages(svc);
  });

  it("recognises YOLO labels with data.yaml names", async () => {
    const res = await send(
      zip([
        { name: "data.yaml", data: "path: .\nnames:\n  0: vessel\n  1: lesion\n" },
        { name: "images/train/x.png", data: png },
        { name: "labels/train/x.txt", data: "1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.1 0.1\n" },
      ]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.report).toMatchObject({
      layout: "yolo",
      classes: ["lesion", "vessel"],
      annotatedImages: 1,
    });
    const link = await svc.db.datasetImage.findFirstOrThrow({
      where: { datasetId: res.body.dataset.id },
    });
    expect(JSON.parse(link.annotations ?? "{}").boxes[0]).toMatchObject({
      label: "lesion",
      normalized: true,
    });
  });

  it("recognises COCO and Pascal VOC annotations", async () => {
    const coco = await send(
      zip([
        { name: "img/p.png", data: png },
        {
          name: "annotations/instances.json",
          data: JSON.stringify({
            images: [{ id: 1, file_name: "p.png" }],
            annotations: [{ image_id: 1, bbox: [1, 2, 3, 4], category_id: 7 }],
            categories: [{ id: 7, name: "cell" }],
          }),
        },
      ]),
    );
    expect(coco.body.report).toMatchObject({
      layout: "coco",
      classes: ["cell"],
      annotatedImages: 1,
    });
    const voc = await send(
      zip([
        { name: "JPEGImages/q.jpg", data: jpeg },
        {
          name: "Annotations/q.xml",
          data: "<annotation><filename>q.jpg</filename><object><name>rocket</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>22</ymax></bndbox></object></annotation>",
        },
      ]),
    );
    expect(voc.body.report).toMatchObject({
      layout: "voc",
      classes: ["rocket"],
      annotatedImages: 1,
    });
  });

  it("refuses an entry that inflates beyond its declared size and a bad image, keeping nothing", async () => {
    const before = await svc.db.image.count();
    // Declares a tiny size but inflates to 10 MB: stopped while inflating.
    const liar = await send(
      zip([
        { name: "a.png", data: png },
        {
          name: "bomb.png",
          data: Buffer.alloc(10 * 1024 * 1024),
          deflate: true,
          declaredSize: 1000,
        },
      ]),
    );
    expect(liar.status).toBe(422);
    expect(liar.body.error.message).toContain("beyond its declared size");

    const badImage = await send(
      zip([
        { name: "good.png", data: png },
        { name: "sub/cut.jpg", data: jpeg.subarray(0, 5000) },
      ]),
    );
    expect(badImage.status).toBe(422);
    expect(badImage.body.error).toMatchObject({ code: "corrupt" });
    // All or nothing, and the uploader learns which entry is wrong.
    expect(badImage.body.error.message).toMatch(/^"sub\/cut\.jpg": the JPEG pixel data/);
    expect(await svc.db.image.count()).toBe(before);
    await expectOnlyStoredImages(svc);
  });

  it("refuses an archive whose annotation texts exceed the cap and keeps only usable texts", async () => {
    process.env.MAX_ARCHIVE_TEXT_BYTES = "100000";
    resetEnvForTests();
    try {
      const deflated = (data: string, ...names: string[]) =>
        names.map((name) => ({ name, data, deflate: true }));
      // 3 x 40 KB of JSON compresses to almost nothing but would all be held as strings.
      const blob = `{"pad":"${"a".repeat(40_000)}"}`;
      const refused = await send(
        zip([
          { name: "a.png", data: png },
          ...deflated(blob, "one.json", "two.json", "three.json"),
        ]),
      );
      expect(refused.status).toBe(413);
      expect(refused.body.error.code).toBe("annotations_too_large");
      expect(refused.body.error.message).toContain("annotation files");
      await expectOnlyStoredImages(svc);

      // Texts no layout reads (notes.txt outside labels/, other yaml) do not count.
      const notes = "n".repeat(60_000);
      const accepted = await send(
        zip([
          { name: "a.png", data: png },
          ...deflated(notes, "notes.txt", "other.yaml"),
          ...deflated(blob, "one.json"),
        ]),
      );
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
      expect(accepted.body.report.ignored).toEqual(["notes.txt", "one.json", "other.yaml"]);
    } finally {
      delete process.env.MAX_ARCHIVE_TEXT_BYTES;
      resetEnvForTests();
    }
  });

  it("answers 503 while the service is down, creating no dataset and keeping no file", async () => {
    const datasets = await svc.db.dataset.count();
    const images = await svc.db.image.count();
    await svc.stop();
    try {
      const res = await send(
        zip([
          { name: "one.png", data: png },
          { name: "two.jpg", data: jpeg },
        ]),
        "&name=Down",
      );
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("inference_unavailable");
      expect(res.body.error.message).toContain('"one.png" could not be checked');
      expect(await svc.db.dataset.count()).toBe(datasets);
      expect(await svc.db.image.count()).toBe(images);
      await expectOnlyStoredImages(svc);
    } finally {
      await svc.restart();
    }
  });
});
