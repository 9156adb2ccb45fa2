import { readFileSync } from "node:fs";
import { type RawZipEntry, writeZipEntries } from "@studio/core/importers/testing";
import type { TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../../env";
import { makeUser, type TestUser, testDb } from "../../test-helpers";
import { contextFor, post, useTempDataDir } from "./test-context";
import { uploadArchive } from "./upload-archive";

const png = readFileSync(fixturePath("microaneurysms.png"));
const jpeg = readFileSync(fixturePath("rocket.jpg"));

/** Good and hostile archives (lying sizes) alike, from fflate's streaming writer. */
const zip = (entries: RawZipEntry[]) => Buffer.from(writeZipEntries(entries));

interface ArchiveBody {
  imported: number;
  dataset: { id: string };
  report: { ignored: string[] } & Record<string, unknown>;
  error: { code: string; message: string };
}

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
let alice: TestUser;

beforeAll(async () => {
  data = useTempDataDir({
    MAX_IMAGE_BYTES: String(2 * 1024 * 1024),
    MAX_ARCHIVE_UNPACKED_BYTES: String(8 * 1024 * 1024),
  });
  t = await testDb();
  alice = await makeUser(t.db);
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

async function send(body: Buffer, query = "") {
  const ctx = await contextFor(t.db, alice.id);
  const res = await uploadArchive(
    post(`/api/files/archives?teamId=${alice.personalTeamId}${query}`, body),
    ctx,
  );
  return { status: res.status, body: (await res.json()) as ArchiveBody };
}

async function expectNothingKept() {
  expect(data.files()).toEqual(
    (await t.db.image.findMany({ select: { storagePath: true } })).map((i) => i.storagePath).sort(),
  );
}

describe("uploadArchive", () => {
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
    const links = await t.db.datasetImage.findMany({
      where: { datasetId: res.body.dataset.id },
      orderBy: { relativePath: "asc" },
    });
    expect(links.map((l) => [l.relativePath, l.label])).toEqual([
      ["train/healthy/a.png", "healthy"],
      ["train/healthy/b.png", "healthy"],
      ["train/sick/c.jpg", "sick"],
    ]);
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { id: res.body.dataset.id } });
    expect(ds).toMatchObject({ name: "Retina", layout: "classification" });
    await expectNothingKept();
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
    const link = await t.db.datasetImage.findFirstOrThrow({
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

  it("refuses path traversal, zip bombs, bad images and empty archives, keeping nothing", async () => {
    const before = await t.db.image.count();
    const traversal = await send(
      zip([
        { name: "ok.png", data: png },
        { name: "../../etc/evil.png", data: png },
      ]),
    );
    expect(traversal.status).toBe(422);
    expect(traversal.body.error.message).toContain("path traversal");

    const absolute = await send(zip([{ name: "/abs.png", data: png }]));
    expect(absolute.body.error.message).toContain("absolute path");

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

    // Declares more than the unpacked cap: refused before extracting anything.
    const big = await send(
      zip(
        [1, 2, 3, 4, 5].map((i) => ({
          name: `z${i}.png`,
          data: Buffer.alloc(2 * 1024 * 1024 - 1),
          deflate: true,
        })),
      ),
    );
    expect(big.status).toBe(422);
    expect(big.body.error.message).toContain("unpacks to more than");

    const badImage = await send(
      zip([
        { name: "good.png", data: png },
        { name: "cut.jpg", data: jpeg.subarray(0, 5000) },
      ]),
    );
    expect(badImage.status).toBe(422);
    expect(badImage.body.error).toMatchObject({ code: "corrupt" });
    expect(badImage.body.error.message).toContain("cut.jpg");

    expect((await send(zip([{ name: "notes.txt", data: "x" }]))).body.error.code).toBe("no_images");
    expect((await send(Buffer.from("not a zip at all"))).body.error.message).toContain("not a zip");
    expect(await t.db.image.count()).toBe(before);
    await expectNothingKept();
  });

  it("refuses an archive whose annotation texts exceed the cap and keeps only usable texts", async () => {
    process.env.MAX_ARCHIVE_TEXT_BYTES = "100000";
    resetEnvForTests();
    try {
      // 3 x 40 KB of JSON compresses to almost nothing but would all be held as strings.
      const blob = `{"pad":"${"a".repeat(40_000)}"}`;
      const refused = await send(
        zip([
          { name: "a.png", data: png },
          { name: "one.json", data: blob, deflate: true },
          { name: "two.json", data: blob, deflate: true },
          { name: "three.json", data: blob, deflate: true },
        ]),
      );
      expect(refused.status).toBe(413);
      expect(refused.body.error.code).toBe("annotations_too_large");
      expect(refused.body.error.message).toContain("annotation files");
      await expectNothingKept();

      // Texts no layout reads (notes.txt outside labels/, other yaml) do not count.
      const notes = "n".repeat(60_000);
      const accepted = await send(
        zip([
          { name: "a.png", data: png },
          { name: "notes.txt", data: notes, deflate: true },
          { name: "other.yaml", data: notes, deflate: true },
          { name: "one.json", data: blob, deflate: true },
        ]),
      );
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
      expect(accepted.body.report.ignored).toEqual(["notes.txt", "one.json", "other.yaml"]);
    } finally {
      delete process.env.MAX_ARCHIVE_TEXT_BYTES;
      resetEnvForTests();
    }
  });
});
