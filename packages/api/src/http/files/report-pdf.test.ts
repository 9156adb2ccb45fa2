// The task report as a PDF made on the server: read back with an independent parser
// (pdfjs-dist, Mozilla's PDF engine) for its pages, words and pictures, and its first page
// drawn to a PNG (pdfjs-dist on @napi-rs/canvas, both from npm, so no Debian poppler is needed)
// under test-results/report-pdf/ (with the PDFs) for a person to look at. The pictures are the
// inference service's print renditions: this package cannot start the service (no package
// depends on an app), so here it is unreachable and every picture says "No picture"; the
// pictures themselves are tested with the real service in test/integration/report-pdf.test.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createInferenceClient, type InferenceClient } from "@studio/contracts/inference-client";
import { decodeImage, encodePng } from "@studio/core/image";
import { parse as parseContentDisposition } from "content-disposition";
import { getDocument, OPS } from "pdfjs-dist/legacy/build/pdf.mjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken } from "../../auth/tokens";
import { createInnerContext } from "../../context";
import { renderReportPdf } from "../../services/report-pdf/render";
import { loadReportData } from "../../services/report-pdf/report-data";
import { reportLocale } from "../../services/report-pdf/strings";
import { blobStore } from "../../storage/blobs";
import { makeUser, makeWeight, type TestUser } from "../../test-helpers";
import { useTestStore } from "../../test-hooks";
import { FILE_ROUTE_PATHS } from "../file-routes";
import { createApiHandler, serveNode } from "../handler";
import { taskFileName } from "./download-names";
import { downloadReportPdf } from "./report-pdf";

const t = useTestStore();
let alice: TestUser;
let bob: TestUser;
/** A client of a service that is not there: a port that was free a moment ago, no retries. */
let offline: InferenceClient;
const LOOK_DIR = fileURLToPath(new URL("../../../../../test-results/report-pdf", import.meta.url));

/** A local port nothing listens on (taken and released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A report that cannot reach the service says so once, not once per picture.
const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

beforeAll(async () => {
  alice = await makeUser(t.db);
  bob = await makeUser(t.db);
  offline = createInferenceClient({
    baseUrl: `http://127.0.0.1:${await closedPort()}`,
    retries: 0,
  });
});
afterAll(() => warn.mockRestore());

const contextFor = (db: typeof t.db, userId: string | null) =>
  createInnerContext({ db, userId, via: userId ? "session" : null, inference: offline });

const sha = (c: string) => c.repeat(64);

const SWEEP_POINT = { threshold: 0.45, dice: 0.83, iou: 0.7, precision: 0.8, recall: 0.86 };
const SEGMENTATION_TASK_SCORES = {
  kind: "segmentation",
  images: 1,
  threshold: 0.42,
  dice: 0.8123,
  iou: 0.6838,
  precision: 0.85,
  recall: 0.7778,
  clDice: 0.7777,
  meanDice: 0.8123,
  meanIou: 0.6838,
  meanClDice: 0.7777,
  sweep: { points: [SWEEP_POINT], best: SWEEP_POINT },
};
const SEGMENTATION_ITEM_SCORES = {
  kind: "segmentation",
  threshold: 0.42,
  counts: { tp: 7, fp: 1, fn: 2, tn: 90 },
  dice: 0.8123,
  iou: 0.6838,
  precision: 0.85,
  recall: 0.7778,
  clDice: 0.7777,
  skeleton: {
    predictedSkeletonInReference: 3,
    predictedSkeleton: 4,
    referenceSkeletonInPrediction: 3,
    referenceSkeleton: 4,
  },
  sweep: { thresholds: [0.5], tp: [7], fp: [1], fn: [2], total: 100 },
};

/** A PNG of one colour (`rgb`) with a white disc, `width` x `height`. */
function picture(
  width: number,
  height: number,
  rgb: [number, number, number],
  channels: 1 | 3 = 3,
) {
  const r = Math.min(width, height) / 3;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < r * r;
      for (let c = 0; c < channels; c++)
        data[(y * width + x) * channels + c] = inDisc ? 255 : (rgb[c] as number);
    }
  return encodePng({ width, height, channels, depth: 8, data });
}

interface ItemSpec {
  name: string;
  status?: "succeeded" | "failed";
  /** No result file in the store (deleted, lost). */
  lostResult?: boolean;
  /** Quality scores the worker stored with the result (resultMeta.scores). */
  scores?: Record<string, unknown>;
}

type Kind = "super_resolution" | "segmentation" | "classification";

const PARAMS: Record<Kind, Record<string, unknown>> = {
  super_resolution: { tile: "auto", overlap: "auto", tuning: { preset: "photo", overrides: {} } },
  segmentation: { threshold: 0.42, tile: 512 },
  classification: { topK: 2, applyActivation: true },
};

const META: Record<Kind, Record<string, unknown>> = {
  super_resolution: { width: 256, height: 192, scale: 4 },
  segmentation: { width: 64, height: 48, threshold: 0.42, foregroundFraction: 0.3472 },
  classification: {
    top: [
      { index: 1, label: "tabby cat", score: 0.912 },
      { index: 0, label: "dog", score: 0.051 },
    ],
    scoreKind: "softmax",
  },
};

/** A finished task of alice's with real pictures for inputs and results in the blob store. */
async function finishedTask(options: {
  kind: Kind;
  name: string;
  status?: string;
  items: ItemSpec[];
  /** The task's quality scores (Task.scores). */
  scores?: Record<string, unknown>;
}) {
  const team = alice.personalTeamId;
  const weight = await makeWeight(t.db, {
    teamId: team,
    taskKind: options.kind,
    family: "realesr",
  });
  const task = await t.db.task.create({
    data: {
      teamId: team,
      createdById: alice.id,
      weightId: weight.id,
      weightSha256: weight.sha256,
      taskKind: options.kind,
      name: options.name,
      status: options.status ?? "succeeded",
      params: JSON.stringify(PARAMS[options.kind]),
      scores: options.scores ? JSON.stringify(options.scores) : null,
      paramSignature: sha("5"),
      itemCount: options.items.length,
      itemsDone: options.items.filter((i) => i.status !== "failed").length,
      device: "cpu",
      startedAt: new Date(Date.UTC(2026, 11, 3, 10, 0, 0)),
      finishedAt: new Date(Date.UTC(2026, 11, 3, 10, 0, 9)),
    },
    select: { id: true },
  });
  for (const [position, spec] of options.items.entries()) {
    const input = await picture(64, 48, [0xc2, 0x41, 0x0c]);
    const storagePath = `uploads/${team}/${task.id}-${position}.png`;
    await blobStore().put(storagePath, input);
    const image = await t.db.image.create({
      data: {
        teamId: team,
        uploadedById: alice.id,
        originalName: spec.name,
        storagePath,
        sha256: sha(String((position % 9) + 1)),
        sizeBytes: input.length,
        format: "png",
        width: 64,
        height: 48,
        channels: 3,
      },
      select: { id: true },
    });
    const failed = spec.status === "failed";
    const resultPath = `results/${task.id}/${position}-a1.${options.kind === "classification" ? "json" : "png"}`;
    const result =
      options.kind === "super_resolution"
        ? await picture(256, 192, [0x1d, 0x4e, 0xd8])
        : options.kind === "segmentation"
          ? await picture(64, 48, [0, 0, 0], 1)
          : Buffer.from(JSON.stringify(META.classification));
    if (!failed && !spec.lostResult) await blobStore().put(resultPath, result);
    await t.db.taskItem.create({
      data: {
        taskId: task.id,
        imageId: image.id,
        position,
        status: failed ? "failed" : "succeeded",
        error: failed ? "out of memory" : null,
        resultPath: failed ? null : resultPath,
        resultSha256: failed ? null : sha("b"),
        resultBytes: failed ? null : result.length,
        resultMeta: failed
          ? null
          : JSON.stringify({
              ...META[options.kind],
              ...(spec.scores ? { scores: spec.scores } : {}),
            }),
        device: failed ? null : "cpu",
        timings: failed ? null : JSON.stringify({ totalMs: 1530, runMs: 1210 }),
      },
    });
  }
  return task.id;
}

async function get(query: Record<string, string>, user: TestUser | null = alice) {
  const search = new URLSearchParams({ teamId: alice.personalTeamId, ...query });
  return downloadReportPdf(
    new Request(`http://studio.test/api/files/report.pdf?${search}`),
    await contextFor(t.db, user?.id ?? null),
  );
}

interface ReadPdf {
  pages: number;
  /** Each page's text, items joined without separators (CJK has no spaces to split on). */
  text: string[];
  images: number[];
  firstPagePng: Buffer;
}

async function readPdf(bytes: Uint8Array): Promise<ReadPdf> {
  // A copy: pdfjs-dist takes over (detaches) the buffer it is given.
  const pdf = await getDocument({ data: bytes.slice(), useSystemFonts: false }).promise;
  const text: string[] = [];
  const images: number[] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    text.push(content.items.map((item) => ("str" in item ? item.str : "")).join(""));
    const ops = await page.getOperatorList();
    images.push(ops.fnArray.filter((fn) => fn === OPS.paintImageXObject).length);
  }
  const page = await pdf.getPage(1);
  const viewport = page.getViewport({ scale: 1.5 });
  // pdfjs-dist draws on @napi-rs/canvas in Node (its optional dependency, prebuilt on npm).
  const factory = (pdf as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const { canvas, context } = factory.create(viewport.width, viewport.height);
  await page.render({ canvasContext: context, viewport, canvas } as never).promise;
  const firstPagePng = canvas.toBuffer("image/png");
  await pdf.destroy();
  return { pages: text.length, text, images, firstPagePng };
}

interface CanvasFactory {
  create(
    width: number,
    height: number,
  ): { canvas: { toBuffer(type: "image/png"): Buffer }; context: unknown };
}

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const fileNameOf = (res: Response) =>
  parseContentDisposition(res.headers.get("content-disposition") ?? "").parameters.filename;

function keepForALook(name: string, bytes: Uint8Array) {
  mkdirSync(LOOK_DIR, { recursive: true });
  writeFileSync(path.join(LOOK_DIR, name), bytes);
}

/** A report as its reader gets it, read, and kept for a look as `<look>.pdf` and `<look>.png`. */
async function readReport(res: Response, look: string): Promise<ReadPdf & { bytes: Uint8Array }> {
  const bytes = await bytesOf(res);
  const pdf = await readPdf(bytes);
  keepForALook(`${look}.png`, pdf.firstPagePng);
  keepForALook(`${look}.pdf`, bytes);
  return { ...pdf, bytes };
}

describe("the report PDF", () => {
  it("holds the task, its weight, parameters in words and checksums, and is whole without the service", async () => {
    warn.mockClear();
    const id = await finishedTask({
      kind: "super_resolution",
      name: "Motorcycles x4",
      items: [{ name: "motorcycle_left.png" }, { name: "motorcycle_right.png" }],
    });
    const res = await get({ id, locale: "en", timeZone: "Europe/Berlin" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(fileNameOf(res)).toBe("Motorcycles x4.pdf");
    const pdf = await readReport(res, "super-resolution-en");
    expect(Buffer.from(pdf.bytes.subarray(0, 5)).toString()).toBe("%PDF-");

    const all = pdf.text.join("\n");
    expect(pdf.text[0]).toContain("Task report: Motorcycles x4");
    expect(all).toContain("Super-resolution");
    expect(all).toContain("2 of 2 succeeded");
    // Parameters in words, as the task page says them.
    expect(all).toContain("Tile size");
    expect(all).toContain("Automatic");
    expect(all).toContain("Photo: sharpen 0.7 · contrast 1.08");
    // Checksums: weight, signature, and per image input and result.
    const weight = await t.db.task.findUniqueOrThrow({
      where: { id },
      select: { weightSha256: true },
    });
    expect(all).toContain(weight.weightSha256);
    expect(all).toContain(sha("5"));
    expect(all).toContain(sha("1"));
    expect(all).toContain(sha("2"));
    expect(all).toContain(sha("b"));
    // Per image: names, sizes before and after, times, device.
    expect(all).toContain("motorcycle_left.png");
    expect(all).toContain("motorcycle_right.png");
    expect(all).toContain("256 × 192 px");
    expect(all).toContain("1.5 s (model 1.2 s)");
    // Dates in the reader's zone (10:00 UTC is 11:00 in Berlin in December).
    expect(all).toMatch(/11:00:00/);
    // Before and after of both images: no service to make them, so four boxes say so, and the
    // unreachable service was tried once and reported once, not four times.
    expect(pdf.images.reduce((a, b) => a + b, 0)).toBe(0);
    expect(all.split("No picture").length - 1).toBe(4);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("inference service is unavailable");
    // The first page is drawn: text in black, not a blank page.
    const { data, channels } = await decodeImage(pdf.firstPagePng);
    let dark = 0;
    for (let i = 0; i < data.length; i += channels) {
      if ((data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number) < 200) dark++;
    }
    expect(dark).toBeGreaterThan(1000);
  });

  it("is written in Chinese for a zh-CN reader, with the font embedded", async () => {
    const id = await finishedTask({
      kind: "segmentation",
      name: "视网膜血管分割",
      items: [
        { name: "眼底.png", scores: SEGMENTATION_ITEM_SCORES },
        { name: "lost.png", lostResult: true },
        { name: "bad.png", status: "failed" },
      ],
      scores: SEGMENTATION_TASK_SCORES,
    });
    const res = await get({ id, locale: "zh-CN" });
    expect(res.status).toBe(200);
    expect(fileNameOf(res)).toBe("视网膜血管分割.pdf");
    const pdf = await readReport(res, "segmentation-zh-CN");
    const all = pdf.text.join("\n");
    expect(pdf.text[0]).toContain("任务报告：视网膜血管分割");
    expect(all).toContain("图像分割");
    expect(all).toContain("3 张中 2 张成功，1 张失败");
    expect(all).toContain("阈值");
    expect(all).toContain("眼底.png");
    // Mask coverage of the segmentation, in the reader's number format.
    expect(all).toContain("34.72%");
    expect(all).toContain("out of memory");
    // No service here to make pictures (test/integration has the 3 inputs + 1 mask it makes).
    expect(pdf.images.reduce((a, b) => a + b, 0)).toBe(0);
    expect(all).toContain("无图片");
    // Quality scores against the reference masks: the task's on the cover, the image's in its
    // section.
    expect(pdf.text[0]).toContain("质量评分");
    expect(pdf.text[0]).toContain("0.8123 / 0.6838");
    expect(pdf.text[0]).toContain("0.45（Dice 0.83）");
    expect(all).toContain("Dice 0.8123 · IoU 0.6838 · clDice 0.7777 · 精确率 0.85 · 召回率 0.7778");
    // The face is embedded as a subset (a few glyphs), not the 10 MB font file.
    expect(Buffer.from(pdf.bytes).toString("latin1")).toMatch(/\/FontFile2/);
    expect(pdf.bytes.length).toBeLessThan(400_000);
  });

  it("says on its last page how many images it left out of a large task", async () => {
    const id = await finishedTask({
      kind: "super_resolution",
      name: "many",
      items: [{ name: "a.png" }, { name: "b.png" }, { name: "c.png" }],
    });
    const data = await loadReportData(t.db, alice.personalTeamId, id, 2);
    const stream = renderReportPdf({ data, locale: "en", timeZone: "UTC" });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as Readable) chunks.push(chunk as Buffer);
    const pdf = await readPdf(new Uint8Array(Buffer.concat(chunks)));
    const all = pdf.text.join("\n");
    expect(all).toContain("b.png");
    expect(all).not.toContain("c.png");
    expect(pdf.text.at(-1)).toContain("This report shows the first 2 of the task's 3 images");
  });
});

describe("a classification report", () => {
  it("lists each image's top labels and the task's accuracy and confusion matrix", async () => {
    const id = await finishedTask({
      kind: "classification",
      name: "pets",
      items: [
        {
          name: "cat.jpg",
          scores: {
            kind: "classification",
            label: "cat",
            predicted: "tabby cat",
            rank: 2,
            top: ["tabby cat", "cat"],
          },
        },
      ],
      scores: {
        kind: "classification",
        images: 4,
        top1: 0.75,
        topK: 1,
        k: 2,
        confusion: {
          labels: ["cat", "dog"],
          counts: [
            [1, 1],
            [0, 2],
          ],
        },
      },
    });
    const pdf = await readReport(await get({ id, locale: "en" }), "classification-en");
    // Compared without white space: the parser puts a space between some runs of text.
    const squash = (text: string) => text.replace(/\s+/g, "");
    const all = squash(pdf.text.join(""));
    for (const words of [
      "Top-1 accuracy 75%",
      "Top-2 accuracy 100%",
      // The matrix: its header, then a row per reference label.
      "Confusion matrix",
      "cat dog cat 1 1 dog 0 2",
      "tabby cat 91.2%",
      "label cat · predicted tabby cat · rank 2",
    ])
      expect(all).toContain(squash(words));
    // A classification has no "after" picture, only the labels (the input's is the service's).
    expect(all).toContain(squash("No picture"));
    expect(pdf.images.reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe("who may download it, and when", () => {
  it("refuses another team's task, a stranger and a task still running", async () => {
    const id = await finishedTask({
      kind: "super_resolution",
      name: "private",
      items: [{ name: "a.png" }],
    });
    // Bob asking through alice's team: not his team.
    const other = await get({ id }, bob);
    expect(other.status).toBe(404);
    // Bob asking through his own team for alice's task: no such task there.
    const own = await downloadReportPdf(
      new Request(`http://studio.test/api/files/report.pdf?teamId=${bob.personalTeamId}&id=${id}`),
      await contextFor(t.db, bob.id),
    );
    expect(own.status).toBe(404);
    expect(await own.json()).toEqual({ error: { code: "not_found", message: "Task not found." } });
    const stranger = await get({ id }, null);
    expect(stranger.status).toBe(401);

    const running = await finishedTask({
      kind: "super_resolution",
      name: "busy",
      status: "running",
      items: [{ name: "a.png" }],
    });
    const busy = await get({ id: running });
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { error: { message: string } }).error.message).toMatch(
      /still running .*once it has finished/,
    );

    const bad = await get({});
    expect(bad.status).toBe(400);
  });

  it("streams over HTTP to a developer's API token, with the API's security headers", async () => {
    const id = await finishedTask({
      kind: "super_resolution",
      name: "api",
      items: [{ name: "a.png" }],
    });
    const { token } = await createApiToken(t.db, alice.id, { name: "script" });
    const server = await serveNode(createApiHandler({ db: t.db, inference: offline }));
    try {
      const query = new URLSearchParams({ teamId: alice.personalTeamId, id, locale: "zh-CN" });
      const url = `${server.url}${FILE_ROUTE_PATHS.reportPdf}?${query}`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/pdf");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      // Streamed as it is made: no length known up front.
      expect(res.headers.get("content-length")).toBeNull();
      const pdf = await readPdf(await bytesOf(res));
      expect(pdf.text[0]).toContain("任务报告：api");
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

describe("the file's name and language", () => {
  it("is named after the task, safe to save anywhere", () => {
    expect(taskFileName("Motorcycles x4", ".pdf")).toBe("Motorcycles x4.pdf");
    expect(taskFileName("视网膜 / 2026: run?", ".pdf")).toBe("视网膜 _ 2026_ run_.pdf");
    expect(taskFileName("   ", ".zip")).toBe("task.zip");
    expect(taskFileName("con", ".pdf")).toBe("_con.pdf");
  });

  it("is written in the page's language, else the browser's, else English", () => {
    expect(reportLocale("zh-CN", "en-US")).toBe("zh-CN");
    expect(reportLocale(null, "zh-Hans-CN,zh;q=0.9,en;q=0.8")).toBe("zh-CN");
    expect(reportLocale("fr", "fr-FR,en;q=0.5")).toBe("en");
    expect(reportLocale(null, null)).toBe("en");
  });
});
