// The fast CPU mode (INT8) end to end: weights.checkInt8 quantises the official Real-ESRGAN
// AnimeVideo v3 x4 (converted from the NCNN fixture) in the real inference service and records
// its report on the weight; only an "offered" report lets tasks and previews ask for
// `precision: "int8"`, and an INT8 task's result stays close to the FP32 one. Whether INT8 is
// offered depends on this machine's CPU (quality gate and measured speed-up), so the offered
// path is checked when the report offers it and the refusal is checked either way. Speed itself
// is never asserted.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { makeAdminAndMember, type TestUser } from "@studio/api/testing";
import { int8WeightKey } from "@studio/contracts/inference/int8";
import { decodeImage } from "@studio/core/image";
import { convertNcnnFiles } from "@studio/core/ncnn";
import { findOfficialModel } from "@studio/core/official/catalog";
import { fixturePath } from "@studio/fixtures";
import { type SeededWeight, seedCatImage, seedWeight } from "@studio/inference/test-fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionCaller, useServiceForApi } from "./api-on-service";

const svc = useServiceForApi({ overrides: { WORKER_ENABLED: "true", WORKER_POLL_MS: "100" } });
let admin: TestUser;
let member: TestUser;
let teamId: string;
let weight: SeededWeight;
let imageId: string;

function official() {
  const model = findOfficialModel("realesr-animevideov3-x4");
  if (!model) throw new Error("the manifest lost realesr-animevideov3-x4");
  return model;
}

beforeAll(async () => {
  await svc.worker.start();
  ({ admin, member, teamId } = await makeAdminAndMember(svc.db));
  const { bytes } = await convertNcnnFiles(
    fixturePath("realesr-animevideov3-x4.param"),
    fixturePath("realesr-animevideov3-x4.bin"),
  );
  weight = await seedWeight(svc.db, svc.dataDir, {
    teamId,
    taskKind: "super_resolution",
    bytes,
    spec: official().spec,
  });
  imageId = await seedCatImage(svc.db, svc.dataDir, { teamId, userId: admin.id });
}, 120_000);

async function codeOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    // A TRPCError from the caller (the test package does not depend on @trpc/server).
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === "string" && typeof message === "string") return { code, message };
    throw error;
  }
  return { code: "OK", message: "" };
}

/** What tasks.create answers for an INT8 task of `weightId` (refused: CONFLICT with the reason). */
async function int8TaskRefusal(
  caller: Awaited<ReturnType<typeof sessionCaller>>,
  weightId: string,
) {
  return codeOf(
    caller.tasks.create({
      teamId,
      weightId,
      target: { type: "image", imageId },
      params: { precision: "int8" },
    }),
  );
}

/** Runs a task to its end through the worker and returns its one result's decoded pixels. */
async function runTask(user: TestUser, params: unknown, expectSignature?: string) {
  const caller = await sessionCaller(svc, user);
  const { id } = await caller.tasks.create({
    teamId,
    weightId: weight.weightId,
    target: { type: "image", imageId },
    params,
    ...(expectSignature ? { expectSignature } : {}),
  });
  let task = await svc.db.task.findUniqueOrThrow({ where: { id } });
  while (!["succeeded", "failed", "partially_failed", "canceled"].includes(task.status)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    task = await svc.db.task.findUniqueOrThrow({ where: { id } });
  }
  const item = await svc.db.taskItem.findFirstOrThrow({ where: { taskId: id } });
  expect([task.status, item.error]).toEqual(["succeeded", null]);
  const pixels = await decodeImage(readFileSync(path.join(svc.dataDir, item.resultPath ?? "")));
  return { task, item, pixels };
}

/** PSNR in dB of two 8-bit images of one size, over every sample. */
function psnr(a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }): number {
  expect(a.data.length).toBe(b.data.length);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = (a.data[i] as number) - (b.data[i] as number);
    sum += d * d;
  }
  const mse = sum / a.data.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

describe("the fast CPU mode (INT8) through the API and the real service", () => {
  it("refuses precision int8 before the weight was checked, with the reason", async () => {
    const caller = await sessionCaller(svc, member);
    expect(await int8TaskRefusal(caller, weight.weightId)).toEqual({
      code: "CONFLICT",
      message: "This weight has no fast CPU mode (INT8): it has not been checked for INT8 yet.",
    });
    const preview = await codeOf(
      caller.inference.preview({
        teamId,
        weightId: weight.weightId,
        imageId,
        crop: { x: 0, y: 0, width: 32, height: 32 },
        params: { precision: "int8" },
      }),
    );
    expect(preview.code).toBe("CONFLICT");
    expect((await caller.weights.get({ teamId, weightId: weight.weightId })).int8).toBeNull();
  });

  it("lets only team admins check a team weight", async () => {
    const caller = await sessionCaller(svc, member);
    expect(await codeOf(caller.weights.checkInt8({ teamId, weightId: weight.weightId }))).toEqual({
      code: "FORBIDDEN",
      message: "Only team admins manage weights.",
    });
  });

  it("records the check's report on the weight; offered, INT8 runs close to FP32", async () => {
    const caller = await sessionCaller(svc, admin);
    const report = await caller.weights.checkInt8({ teamId, weightId: weight.weightId });
    expect(["offered", "refused", "not_faster", "unsupported"]).toContain(report.state);
    expect(report.reason.length).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(report.measuredAt))).toBe(false);
    // Kept on the weight, for every member to see on the weight page and in lists.
    const seen = await sessionCaller(svc, member);
    expect((await seen.weights.get({ teamId, weightId: weight.weightId })).int8).toEqual(report);
    const listed = (await seen.weights.list({ teamId })).find((w) => w.id === weight.weightId);
    expect(listed?.int8).toEqual(report);

    const int8File = path.join(svc.dataDir, ...int8WeightKey(weight.sha256).split("/"));
    if (report.state !== "offered") {
      // Not offered on this machine: the refusal names the check's own reason and figures.
      expect(await int8TaskRefusal(seen, weight.weightId)).toEqual({
        code: "CONFLICT",
        message: `This weight has no fast CPU mode (INT8): ${report.reason}`,
      });
      console.warn(`INT8 not offered on this machine (${report.state}): ${report.reason}`);
      return;
    }
    expect(report.psnrDb).toBeGreaterThanOrEqual(40);
    expect(existsSync(int8File)).toBe(true);

    // A preview with INT8 vouches for the INT8 task (same signature), and differs from FP32's.
    const crop = { x: 40, y: 40, width: 64, height: 64 };
    const preview = await seen.inference.preview({
      teamId,
      weightId: weight.weightId,
      imageId,
      crop,
      params: { precision: "int8" },
    });
    expect(preview.paramSignature).toBe(preview.expectedSignature);
    const fp32Preview = await seen.inference.preview({
      teamId,
      weightId: weight.weightId,
      imageId,
      crop,
      params: {},
    });
    expect(fp32Preview.paramSignature).not.toBe(preview.paramSignature);
    // The device line says which model ran.
    expect(preview.device).toBe(`${fp32Preview.device} (int8)`);

    const int8 = await runTask(member, { precision: "int8" }, preview.paramSignature);
    const fp32 = await runTask(member, {});
    expect(int8.task.paramSignature).toBe(preview.paramSignature);
    expect(JSON.parse(int8.task.params)).toMatchObject({ precision: "int8" });
    expect(int8.item.device).toBe(`${fp32.item.device} (int8)`);
    expect([int8.pixels.width, int8.pixels.height]).toEqual([451 * 4, 300 * 4]);
    // The INT8 model really ran (its pixels are not FP32's) and keeps the gate's quality.
    const db = psnr(int8.pixels, fp32.pixels);
    expect(db).toBeLessThan(Number.POSITIVE_INFINITY);
    expect(db).toBeGreaterThanOrEqual(40);
  }, 600_000);

  it("refuses precision int8 for a weight whose report refused it, with the measured figure", async () => {
    const refusal = {
      state: "refused",
      reason: "INT8 keeps 31.2 dB PSNR against FP32 (gate: 40 dB).",
      psnrDb: 31.2,
      measuredAt: new Date().toISOString(),
    };
    const other = await seedWeight(svc.db, svc.dataDir, {
      teamId,
      taskKind: "super_resolution",
      bytes: readFileSync(path.join(svc.dataDir, "weights", `${weight.sha256}.onnx`)),
      spec: official().spec,
    });
    await svc.db.weight.update({
      where: { id: other.weightId },
      data: { int8: JSON.stringify(refusal) },
    });
    const caller = await sessionCaller(svc, member);
    expect((await caller.weights.get({ teamId, weightId: other.weightId })).int8).toEqual(refusal);
    expect(await int8TaskRefusal(caller, other.weightId)).toEqual({
      code: "CONFLICT",
      message: `This weight has no fast CPU mode (INT8): ${refusal.reason}`,
    });
    // FP32 stays available, explicitly or by default.
    const fine = await caller.tasks.create({
      teamId,
      weightId: other.weightId,
      target: { type: "image", imageId },
      params: { precision: "fp32", tile: "off" },
    });
    expect(fine.created).toBe(true);
    await caller.tasks.cancel({ teamId, taskId: fine.id }).catch(() => undefined);
  });
});
