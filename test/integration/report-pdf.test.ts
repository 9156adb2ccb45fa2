// The report PDF's pictures with the real inference service: every before/after picture is the
// service's `print` rendition (a JPEG within 440 px, on white, sRGB, upright), cached in the
// store like the other renditions and embedded in the PDF as it is, so the API process decodes
// no image (it has no sharp; test/boundaries.test.ts keeps it so). The PDF's words, layout and
// "No picture" without a service are tested in packages/api (src/http/files/report-pdf.test.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FILE_ROUTE_HANDLERS, uploadImage } from "@studio/api/files";
import { makeUser, makeWeight, post, type TestUser } from "@studio/api/testing";
import { RENDITION_VERSION } from "@studio/contracts/inference/rendition";
import { decodeImage, probeImage, sharpFromRaw } from "@studio/core/image";
import { bmp24 } from "@studio/core/testing";
import { readFixture } from "@studio/fixtures";
import { beforeAll, expect, it } from "vitest";
import { contextOn, sessionCaller, useServiceForApi } from "./api-on-service";

const svc = useServiceForApi();
let alice: TestUser;

beforeAll(async () => {
  alice = await makeUser(svc.db);
});

/** An uncompressed 24-bit BMP of a small left-to-right gray gradient. */
const grayGradientBmp = (width: number, height: number) =>
  bmp24(width, height, (x) => {
    const v = (x * 255) / width;
    return [v, v, v];
  });

/** A PNG with a transparent left half and an opaque blue right half (a result with alpha). */
function halfTransparent(width: number, height: number): Promise<Buffer> {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (i % width >= width / 2) data.set([20, 40, 220, 255], i * 4);
  }
  return sharpFromRaw({ width, height, channels: 4, depth: 8, data }).png().toBuffer();
}

async function upload(bytes: Buffer, name: string): Promise<string> {
  const response = await uploadImage(
    post(`/api/files/images?teamId=${alice.personalTeamId}&name=${name}`, new Uint8Array(bytes)),
    await contextOn(svc, alice.id),
  );
  const body = (await response.json()) as { image?: { id: string }; error?: unknown };
  expect(response.status, JSON.stringify(body.error)).toBe(201);
  return body.image?.id as string;
}

interface Item {
  imageId: string;
  /** The result file's bytes and extension; none for a failed item. */
  result?: { bytes: Buffer; ext: string; meta: Record<string, unknown> };
  /** The item succeeded but its file is gone from the store. */
  lost?: boolean;
}

/** A finished task of alice's whose results are files the worker would have written. */
async function finishedTask(kind: "super_resolution" | "segmentation", items: Item[]) {
  const team = alice.personalTeamId;
  const weight = await makeWeight(svc.db, { teamId: team, taskKind: kind });
  const task = await svc.db.task.create({
    data: {
      teamId: team,
      createdById: alice.id,
      weightId: weight.id,
      weightSha256: weight.sha256,
      taskKind: kind,
      name: `${kind} report`,
      status: items.some((i) => !i.result) ? "failed" : "succeeded",
      params: "{}",
      paramSignature: "x",
      itemCount: items.length,
    },
    select: { id: true },
  });
  const itemIds: string[] = [];
  for (const [position, item] of items.entries()) {
    const resultPath = item.result ? `results/${task.id}/${position}${item.result.ext}` : null;
    if (item.result && resultPath && !item.lost) {
      mkdirSync(path.join(svc.dataDir, "results", task.id), { recursive: true });
      writeFileSync(path.join(svc.dataDir, resultPath), item.result.bytes);
    }
    const row = await svc.db.taskItem.create({
      data: {
        taskId: task.id,
        imageId: item.imageId,
        position,
        status: item.result ? "succeeded" : "failed",
        error: item.result ? null : "stopped",
        resultPath,
        resultMeta: item.result ? JSON.stringify(item.result.meta) : null,
      },
      select: { id: true },
    });
    itemIds.push(row.id);
  }
  return { taskId: task.id, itemIds };
}

async function exportPdf(taskId: string): Promise<Buffer> {
  const response = await FILE_ROUTE_HANDLERS.reportPdf(
    new Request(
      `http://studio.test/api/files/report.pdf?teamId=${alice.personalTeamId}&id=${taskId}&locale=en`,
    ),
    await contextOn(svc, alice.id),
  );
  expect(response.status).toBe(200);
  const pdf = Buffer.from(await response.arrayBuffer());
  expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  return pdf;
}

/** PDFKit writes each picture as an image object with a plain (uncompressed) dictionary. */
function pictures(pdf: Buffer) {
  const text = pdf.toString("latin1");
  return {
    count: text.match(/\/Subtype \/Image/g)?.length ?? 0,
    jpegs: text.match(/\/Filter \/DCTDecode/g)?.length ?? 0,
  };
}

const inStore = (key: string) => path.join(svc.dataDir, key);
const printOfImage = (imageId: string) =>
  `renditions/${alice.personalTeamId}/${imageId}-print.v${RENDITION_VERSION}.jpg`;
const printOfResult = (taskId: string, itemId: string) =>
  `renditions/${alice.personalTeamId}/results/${taskId}/${itemId}-main-print.v${RENDITION_VERSION}.jpg`;

it("pictures every input, a BMP and a 16-bit TIFF included, with the service's print copies", async () => {
  const chelsea = await decodeImage(readFixture("chelsea.png"));
  const inputs = {
    bmp: await upload(grayGradientBmp(96, 64), "scan.bmp"),
    tiff16: await upload(readFixture("chessboard_GRAY_U16.tif"), "chessboard.tif"),
    png: await upload(await sharpFromRaw(chelsea).png().toBuffer(), "chelsea.png"),
  };
  const { taskId } = await finishedTask(
    "super_resolution",
    Object.values(inputs).map((imageId) => ({ imageId })),
  );
  const pdf = await exportPdf(taskId);
  // One "before" picture per input, all JPEGs, and no "after" for items that failed.
  expect(pictures(pdf)).toEqual({ count: 3, jpegs: 3 });
  for (const imageId of Object.values(inputs)) {
    const copy = readFileSync(inStore(printOfImage(imageId)));
    // The cached copy is what the PDF holds, byte for byte: the API did not re-encode it.
    expect(pdf.includes(copy)).toBe(true);
    const meta = await probeImage(copy);
    expect(meta.format).toBe("jpeg");
    expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(440);
    // No screen rendition was made for the report.
    expect(existsSync(inStore(printOfImage(imageId).replace("-print.", "-thumb.")))).toBe(false);
  }
  // The 16-bit gray TIFF in colour (sRGB) with its contrast kept (brought to full range).
  const chessboard = await decodeImage(readFileSync(inStore(printOfImage(inputs.tiff16))));
  expect(chessboard.channels).toBe(3);
  expect(Math.min(...chessboard.data)).toBeLessThan(20);
  expect(Math.max(...chessboard.data)).toBeGreaterThan(235);
  expect(await probeImage(readFileSync(inStore(printOfImage(inputs.png))))).toMatchObject({
    width: 440,
    height: 293,
  });
});

it("pictures results too: upright inputs, results on white, cached for the next export", async () => {
  const rocket = await decodeImage(readFixture("rocket.jpg"));
  const rotated = await sharpFromRaw(rocket).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const input = await upload(rotated, "rocket.jpg");
  const { taskId, itemIds } = await finishedTask("super_resolution", [
    {
      imageId: input,
      result: {
        bytes: await halfTransparent(800, 600),
        ext: ".png",
        meta: { width: 800, height: 600 },
      },
    },
  ]);
  const before = svc.renditions.generated;
  const pdf = await exportPdf(taskId);
  expect(pictures(pdf)).toEqual({ count: 2, jpegs: 2 });
  expect(svc.renditions.generated).toBe(before + 2);

  // The input upright (EXIF orientation 6 applied): taller than wide.
  const upright = await probeImage(readFileSync(inStore(printOfImage(input))));
  expect(upright.height).toBe(440);
  expect(upright.width).toBeLessThan(upright.height);
  // The result within 440 px, its transparent half white, its opaque half blue.
  const resultCopy = readFileSync(inStore(printOfResult(taskId, itemIds[0] as string)));
  expect(pdf.includes(resultCopy)).toBe(true);
  const result = await decodeImage(resultCopy);
  expect([result.width, result.height, result.channels]).toEqual([440, 330, 3]);
  const at = (x: number, y: number) =>
    Array.from(result.data.subarray((y * 440 + x) * 3, (y * 440 + x) * 3 + 3));
  for (const value of at(40, 160)) expect(value).toBeGreaterThan(245);
  const [r, g, b] = at(400, 160) as [number, number, number];
  expect([r < 60, g < 80, b > 180]).toEqual([true, true, true]);

  // Exported again: the same pictures from the cache, nothing made anew.
  const again = await exportPdf(taskId);
  expect(pictures(again)).toEqual({ count: 2, jpegs: 2 });
  expect(svc.renditions.generated).toBe(before + 2);

  // Deleting the image removes its print copy with its other renditions.
  const caller = await sessionCaller(svc, alice);
  await caller.images.delete({ teamId: alice.personalTeamId, imageIds: [input] });
  expect(existsSync(inStore(printOfImage(input)))).toBe(false);
});

it("leaves out the picture of a result that is gone and of one that is no image", async () => {
  const png = await sharpFromRaw(await decodeImage(readFixture("chelsea.png")))
    .png()
    .toBuffer();
  const mask = await sharpFromRaw({
    width: 64,
    height: 48,
    channels: 1,
    depth: 8,
    data: new Uint8Array(64 * 48).map((_, i) => (i % 64 < 32 ? 255 : 0)),
  })
    .png()
    .toBuffer();
  const images = [
    await upload(png, "a.png"),
    await upload(png, "b.png"),
    await upload(png, "c.png"),
  ];
  const meta = { width: 64, height: 48, threshold: 0.5, foregroundFraction: 0.5 };
  const { taskId, itemIds } = await finishedTask("segmentation", [
    { imageId: images[0] as string, result: { bytes: mask, ext: ".png", meta } },
    { imageId: images[1] as string, result: { bytes: mask, ext: ".png", meta }, lost: true },
    // A result file that is not an image at all (a broken write): the service refuses it.
    {
      imageId: images[2] as string,
      result: { bytes: Buffer.from("not a png"), ext: ".png", meta },
    },
  ]);
  const pdf = await exportPdf(taskId);
  // Three inputs and the one mask that is there; the other two boxes say "No picture".
  expect(pictures(pdf)).toEqual({ count: 4, jpegs: 4 });
  // The gray mask as an sRGB JPEG; nothing cached for the two results without a picture.
  const maskCopy = await decodeImage(
    readFileSync(inStore(printOfResult(taskId, itemIds[0] as string))),
  );
  expect([maskCopy.width, maskCopy.height, maskCopy.channels]).toEqual([64, 48, 3]);
  expect(existsSync(inStore(printOfResult(taskId, itemIds[1] as string)))).toBe(false);
  expect(existsSync(inStore(printOfResult(taskId, itemIds[2] as string)))).toBe(false);
});
