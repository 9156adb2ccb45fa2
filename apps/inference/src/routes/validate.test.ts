import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  type ValidateResponse,
  validateResponseSchema,
} from "@studio/contracts/inference/validate";
import { OCTA_SEGMENTATION_SPEC } from "@studio/core/spec";
import {
  buildClassifierModel,
  buildSegmentationModel,
  buildTinySrModel,
} from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHolds, type Holds } from "../test-hold";
import {
  calibratedSlowModel,
  constantModel,
  customDomainModel,
  externalDataModel,
  memoryBombModel,
  nanModel,
} from "../test-models";
import { isRunning } from "../test-process";
import { startTestService, type TestService } from "../testing";

let service: TestService;
let holds: Holds;
/** The longest accepted reference run, and a model whose run surely takes longer. */
let maxRunMs = 0;
let slowBytes: Uint8Array;

beforeAll(async () => {
  // Sized from this machine's speed, measured now (the validation child runs one thread on a
  // 64x64 reference input): the limit stays far above the sound models' few milliseconds, and
  // the slow model needs five times the limit, so a machine twice as fast or twice as busy
  // gives the same verdicts.
  const probe = await calibratedSlowModel({ targetMs: 0, width: 64, height: 64, threads: 1 });
  maxRunMs = Math.max(400, Math.ceil(20 * probe.layerMs));
  slowBytes = (
    await calibratedSlowModel({ targetMs: 5 * maxRunMs, width: 64, height: 64, threads: 1 })
  ).bytes;
  holds = createHolds();
  service = await startTestService({
    VALIDATE_MAX_RUN_MS: String(maxRunMs),
    VALIDATE_TIMEOUT_MS: "60000",
    VALIDATE_MAX_MEMORY_MB: "512",
    VALIDATE_MAX_CONCURRENT: "2",
    INFERENCE_TEST_HOLD_DIR: holds.dir,
  });
});
afterAll(async () => {
  await service?.cleanup();
  holds?.cleanup();
});

/** Runtime internals that must never reach a response: source paths, C++ signatures. */
const INTERNALS =
  /onnxruntime_src|\.cc:\d|\.h:\d|onnxruntime::|\(size_t|BFCArena|\[ONNXRuntimeError\]/;

function put(name: string, bytes: Uint8Array): string {
  writeFileSync(path.join(service.dataDir, "incoming", name), bytes);
  return `incoming/${name}`;
}

async function validate(body: Record<string, unknown>): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${service.url}/v1/weights/validate`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function report(body: Record<string, unknown>): Promise<ValidateResponse> {
  const { status, json } = await validate(body);
  expect(status).toBe(200);
  return validateResponseSchema.parse(json);
}

async function healthy(): Promise<void> {
  const res = await fetch(`${service.url}/health`);
  expect(res.status).toBe(200);
}

describe("POST /v1/weights/validate accepts sound models", () => {
  it("a x2 super-resolution model, deriving its scale from a reference run", async () => {
    const r = await report({
      key: put("sr.onnx", buildTinySrModel({ scale: 2 }).bytes),
      taskKind: "super_resolution",
    });
    expect(r.ok).toBe(true);
    expect(r.derivedScale).toBe(2);
    expect(r.referenceOutputShape).toEqual([1, 3, 128, 128]);
    expect(r.opset).toBe(17);
    expect(r.parameterCount).toBeGreaterThan(0);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.spec).toMatchObject({ kind: "super_resolution", scale: 2 });
    expect(r.timings.runMs).toBeGreaterThan(0);
  });

  it("the OCTA segmentation contract with its spec, and records the outcome on the Weight row", async () => {
    const file = put("seg.onnx", buildSegmentationModel({ sigmoid: true }).bytes);
    const weight = await service.db.weight.create({
      data: {
        isOfficial: true,
        taskKind: "segmentation",
        name: "octa",
        family: "unet",
        version: "1",
        sha256: "0".repeat(64),
        sizeBytes: 1,
        spec: JSON.stringify(OCTA_SEGMENTATION_SPEC),
      },
      select: { id: true },
    });
    const r = await report({
      key: file,
      taskKind: "segmentation",
      spec: OCTA_SEGMENTATION_SPEC,
      weightId: weight.id,
    });
    expect(r.ok).toBe(true);
    expect(r.referenceInputShape).toEqual([1, 1, 256, 256]);
    const row = await service.db.weight.findUniqueOrThrow({
      where: { id: weight.id },
      select: { status: true, validationError: true, ioMetadata: true, validationReport: true },
    });
    expect(row.status).toBe("ready");
    expect(row.validationError).toBeNull();
    expect(JSON.parse(row.ioMetadata)).toMatchObject({ opset: 17, inputs: [{ name: "input" }] });
    expect(JSON.parse(row.validationReport)).toMatchObject({ ok: true });
  });

  it("a classifier", async () => {
    const r = await report({
      key: put("cls.onnx", buildClassifierModel({ classes: 4 }).bytes),
      taskKind: "classification",
    });
    expect(r.ok).toBe(true);
    expect(r.referenceOutputShape).toEqual([1, 4]);
  });
});

describe("POST /v1/weights/validate rejects each bad model class with its reason", () => {
  const cases: Array<{
    name: string;
    code: string;
    reason: RegExp;
    make: () => { key: string; taskKind: string; spec?: unknown };
  }> = [
    {
      name: "not ONNX (a PNG image)",
      code: "not_onnx",
      reason: /not an ONNX model.*PNG/i,
      make: () => {
        copyFileSync(
          fixturePath("microaneurysms.png"),
          path.join(service.dataDir, "incoming", "image.onnx"),
        );
        return { key: "incoming/image.onnx", taskKind: "segmentation" };
      },
    },
    {
      name: "truncated",
      code: "truncated",
      reason: /ends early|truncated/i,
      make: () => {
        const bytes = buildTinySrModel({ scale: 2 }).bytes;
        return {
          key: put("truncated.onnx", bytes.subarray(0, Math.floor(bytes.length * 0.6))),
          taskKind: "super_resolution",
        };
      },
    },
    {
      name: "external data",
      code: "external_data",
      reason: /external data files \(weights\.bin\)/,
      make: () => ({ key: put("external.onnx", externalDataModel()), taskKind: "segmentation" }),
    },
    {
      name: "custom op domain",
      code: "custom_op_domain",
      reason: /custom operator domain.*com\.example/,
      make: () => ({ key: put("custom.onnx", customDomainModel()), taskKind: "segmentation" }),
    },
    {
      name: "I/O not matching the task kind (a classifier registered for super-resolution)",
      code: "io_mismatch",
      reason: /super-resolution needs an image \[N, C, H, W\]/,
      make: () => ({
        key: put("cls-as-sr.onnx", buildClassifierModel().bytes),
        taskKind: "super_resolution",
      }),
    },
    {
      name: "I/O not matching the spec (x2 model declared x4)",
      code: "io_mismatch",
      reason: /spec says x4 but the model upscales x2/,
      make: () => ({
        key: put("sr-wrong-scale.onnx", buildTinySrModel({ scale: 2 }).bytes),
        taskKind: "super_resolution",
        spec: { kind: "super_resolution", scale: 4 },
      }),
    },
    {
      name: "NaN output",
      code: "nan_output",
      reason: /NaN or infinite/,
      make: () => ({ key: put("nan.onnx", nanModel()), taskKind: "segmentation" }),
    },
    {
      name: "constant output",
      code: "constant_output",
      reason: /output is constant/,
      make: () => ({ key: put("constant.onnx", constantModel()), taskKind: "segmentation" }),
    },
    {
      name: "too slow",
      code: "too_slow",
      reason: /took \d+ ms \(limit \d+ ms\)/,
      make: () => ({ key: put("slow.onnx", slowBytes), taskKind: "segmentation" }),
    },
    {
      name: "too much memory: ConstantOfShape asking for a terabyte",
      code: "too_much_memory",
      reason: /more memory than the validation limit of 512 MB allows/,
      make: () => ({ key: put("bomb-tb.onnx", memoryBombModel(1024)), taskKind: "segmentation" }),
    },
    {
      name: "too much memory: ConstantOfShape asking for 4 GB (fits the machine, not the cap)",
      code: "too_much_memory",
      reason: /memory/,
      make: () => ({ key: put("bomb-4g.onnx", memoryBombModel(4)), taskKind: "segmentation" }),
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const pending = report(c.make());
      await healthy();
      const r = await pending;
      expect(r.ok).toBe(false);
      expect(r.code).toBe(c.code);
      expect(r.reason).toMatch(c.reason);
      expect(JSON.stringify(r)).not.toMatch(INTERNALS);
      await healthy();
    });
  }

  it("a memory-capped validation says so in the user's terms, with no runtime internals", async () => {
    const { status, json } = await validate({
      key: put("bomb-2g.onnx", memoryBombModel(2)),
      taskKind: "segmentation",
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      ok: false,
      code: "too_much_memory",
      reason: expect.stringMatching(
        /needs more memory than the validation limit of 512 MB allows$/,
      ),
    });
    expect(JSON.stringify(json)).not.toMatch(INTERNALS);
    expect(JSON.stringify(json)).not.toContain(service.dataDir);
  });

  it("records a rejection on the Weight row", async () => {
    const weight = await service.db.weight.create({
      data: {
        isOfficial: true,
        taskKind: "segmentation",
        name: "nan",
        family: "bad",
        version: "1",
        sha256: "1".repeat(64),
        sizeBytes: 1,
        spec: "{}",
      },
      select: { id: true },
    });
    await report({
      key: put("nan2.onnx", nanModel()),
      taskKind: "segmentation",
      weightId: weight.id,
    });
    const row = await service.db.weight.findUniqueOrThrow({
      where: { id: weight.id },
      select: { status: true, validationError: true },
    });
    expect(row.status).toBe("invalid");
    expect(row.validationError).toMatch(/^nan_output: /);
  });
});

describe("POST /v1/weights/validate refuses bad requests", () => {
  it("a key outside the store's incoming/, weights/ and official/", async () => {
    for (const key of ["../etc/passwd", "tmp/sr.onnx", "uploads/x.onnx"]) {
      const { status } = await validate({ key, taskKind: "segmentation" });
      expect(status, key).toBe(400);
    }
    const { status } = await validate({ path: "incoming/sr.onnx", taskKind: "segmentation" });
    expect(status).toBe(400);
  });
  it("a missing file", async () => {
    const { status, json } = await validate({
      key: "incoming/none.onnx",
      taskKind: "segmentation",
    });
    expect(status).toBe(404);
    expect(json).toMatchObject({ error: { code: "not_found" } });
  });
  it("a body over the size limit, with a JSON 413", async () => {
    const res = await fetch(`${service.url}/v1/weights/validate`, {
      method: "POST",
      headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
      body: JSON.stringify({ path: "x".repeat(2 * 1024 * 1024), taskKind: "segmentation" }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });
  it("an unknown task kind", async () => {
    const { status, json } = await validate({ key: "incoming/sr.onnx", taskKind: "detection" });
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: { code: "bad_request" } });
  });
});

describe("POST /v1/weights/validate time limit", () => {
  it("stops a validation past its time limit, leaving no process behind", async () => {
    const file = put("held.onnx", buildTinySrModel({ scale: 2 }).bytes);
    // How long a validation takes to reach its first step here (start-up dominates).
    holds.arm("validate-start");
    const started = performance.now();
    const pending = report({ key: file, taskKind: "super_resolution" });
    await holds.reached("validate-start");
    const reachMs = performance.now() - started;
    holds.release("validate-start");
    expect((await pending).ok).toBe(true);

    const timeoutMs = Math.max(2000, Math.ceil(reachMs * 5));
    const limited = await startTestService({
      VALIDATE_TIMEOUT_MS: String(timeoutMs),
      INFERENCE_TEST_HOLD_DIR: holds.dir,
    });
    try {
      copyFileSync(path.join(service.dataDir, file), path.join(limited.dataDir, file));
      holds.arm("validate-start");
      const res = fetch(`${limited.url}/v1/weights/validate`, {
        method: "POST",
        headers: { authorization: `Bearer ${limited.token}`, "content-type": "application/json" },
        body: JSON.stringify({ key: file, taskKind: "super_resolution" }),
      });
      // Held before loading the model: it can only end by the time limit.
      const pid = await holds.reached("validate-start");
      const answer = await res;
      holds.release("validate-start");
      expect(answer.status).toBe(200);
      expect(validateResponseSchema.parse(await answer.json())).toMatchObject({
        ok: false,
        code: "too_slow",
        reason: `validation did not finish within ${Math.round(timeoutMs / 1000)} s (load and one reference run)`,
      });
      expect(isRunning(pid)).toBe(false);
    } finally {
      await limited.cleanup();
    }
  });
});
