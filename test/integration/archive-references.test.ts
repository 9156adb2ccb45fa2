// Archives that bring their ground truth: masks/ beside images/, Pascal VOC SegmentationClass,
// LR/HR pairs and COCO segmentations become references of the dataset images (stored, not
// imported as images), which the worker's quality scores compare against.
import { readFileSync } from "node:fs";
import { uploadArchive } from "@studio/api/files";
import { makeUser, post, type TestUser } from "@studio/api/testing";
import { type RawZipEntry, writeZipEntries } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { contextOn, dataFiles, useServiceForApi } from "./api-on-service";

const png = readFileSync(fixturePath("microaneurysms.png"));
const jpeg = readFileSync(fixturePath("rocket.jpg"));
const zip = (entries: RawZipEntry[]) => Buffer.from(writeZipEntries(entries));

const svc = useServiceForApi({
  apiEnv: {
    MAX_IMAGE_BYTES: String(2 * 1024 * 1024),
    MAX_ARCHIVE_UNPACKED_BYTES: String(8 * 1024 * 1024),
  },
});
let alice: TestUser;
beforeAll(async () => {
  alice = await makeUser(svc.db);
});

async function send(body: Buffer) {
  const ctx = await contextOn(svc, alice.id, { retries: 0 });
  const res = await uploadArchive(
    post(`/api/files/archives?teamId=${alice.personalTeamId}`, new Uint8Array(body)),
    ctx,
  );
  return {
    status: res.status,
    body: (await res.json()) as {
      imported: number;
      dataset: { id: string };
      report: Record<string, unknown>;
    },
  };
}

async function links(datasetId: string) {
  return svc.db.datasetImage.findMany({
    where: { datasetId },
    orderBy: { relativePath: "asc" },
    select: { relativePath: true, referencePath: true, referenceKind: true, annotations: true },
  });
}

/** Every stored file is an image or a reference that a dataset image names. */
async function expectOnlyImagesAndReferences() {
  const images = await svc.db.image.findMany({ select: { storagePath: true } });
  const refs = await svc.db.datasetImage.findMany({
    where: { referencePath: { not: null } },
    select: { referencePath: true },
  });
  expect(dataFiles(svc)).toEqual(
    [...images.map((i) => i.storagePath), ...refs.map((r) => r.referencePath as string)].sort(),
  );
}

describe("archives with references", () => {
  it("stores masks/ beside images/ as the images' references, drops a mask without an image", async () => {
    const res = await send(
      zip([
        { name: "retina/images/a.png", data: png },
        { name: "retina/images/b.png", data: png },
        { name: "retina/masks/a.png", data: png },
        { name: "retina/masks/orphan.png", data: png },
      ]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.imported).toBe(2);
    expect(res.body.report.references).toEqual({ kind: "mask", images: 1, unmatched: 1 });
    const rows = await links(res.body.dataset.id);
    expect(rows.map((r) => [r.relativePath, r.referenceKind])).toEqual([
      ["retina/images/a.png", "mask"],
      ["retina/images/b.png", null],
    ]);
    expect(readFileSync(`${svc.dataDir}/${rows[0]?.referencePath}`)).toEqual(png);
    await expectOnlyImagesAndReferences();
  });

  it("pairs LR/ and HR/ for super-resolution", async () => {
    const res = await send(
      zip([
        { name: "Set/LR/rocket.jpg", data: jpeg },
        { name: "Set/HR/rocket.png", data: png },
      ]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.imported).toBe(1);
    const rows = await links(res.body.dataset.id);
    expect(rows.map((r) => [r.relativePath, r.referenceKind])).toEqual([
      ["Set/LR/rocket.jpg", "high_resolution"],
    ]);
    await expectOnlyImagesAndReferences();
  });

  it("keeps COCO segmentations as the reference", async () => {
    const coco = {
      images: [{ id: 1, file_name: "a.png", width: 102, height: 102 }],
      annotations: [
        {
          image_id: 1,
          category_id: 1,
          bbox: [10, 10, 20, 20],
          segmentation: [[10, 10, 30, 10, 30, 30, 10, 30]],
        },
      ],
      categories: [{ id: 1, name: "vessel" }],
    };
    const res = await send(
      zip([
        { name: "images/a.png", data: png },
        { name: "annotations/instances.json", data: JSON.stringify(coco) },
      ]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.report).toMatchObject({
      layout: "coco",
      references: { kind: "coco", images: 1 },
    });
    const [row] = await links(res.body.dataset.id);
    expect(row?.referenceKind).toBe("coco");
    expect(JSON.parse(row?.annotations ?? "{}").segmentations).toEqual([
      [[10, 10, 30, 10, 30, 30, 10, 30]],
    ]);
  });
});
