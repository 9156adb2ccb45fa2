import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { int8ResponseSchema, int8WeightKey } from "@studio/contracts/inference/int8";
import { buildSegmentationModel, buildTinySrModel } from "@studio/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../testing";

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.cleanup();
});

/** Keeps `bytes` as the store keeps a weight (weights/<sha256>.onnx); returns the sha256. */
function keep(bytes: Uint8Array): string {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  mkdirSync(path.join(service.dataDir, "weights"), { recursive: true });
  writeFileSync(path.join(service.dataDir, "weights", `${sha256}.onnx`), bytes);
  return sha256;
}

async function check(body: Record<string, unknown>) {
  const res = await fetch(`${service.url}/v1/weights/int8`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Temp files the checks left in this node's DATA_DIR/tmp. */
const leftovers = () =>
  existsSync(path.join(service.dataDir, "tmp"))
    ? readdirSync(path.join(service.dataDir, "tmp")).filter((f) => f.includes(".int8."))
    : [];

describe("POST /v1/weights/int8", () => {
  it.each([
    [
      "super_resolution",
      buildTinySrModel({ scale: 2, seed: 5 }).bytes,
      { kind: "super_resolution", scale: 2, receptiveField: 3 },
    ],
    [
      "segmentation",
      buildSegmentationModel({ size: "dynamic", sigmoid: false }).bytes,
      {
        kind: "segmentation",
        colorOrder: "gray",
        size: { mode: "dynamic", multipleOf: 2 },
        activation: "sigmoid",
      },
    ],
  ] as const)(
    "measures a %s weight and stores its INT8 model only when offered",
    async (taskKind, bytes, spec) => {
      const sha256 = keep(bytes);
      const { status, json } = await check({ weightSha256: sha256, spec, taskKind });
      expect(status, JSON.stringify(json)).toBe(200);
      const { report, stored } = int8ResponseSchema.parse(json);
      expect(report.reason.length).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(report.measuredAt))).toBe(false);
      expect(stored).toBe(report.state === "offered");
      const file = path.join(service.dataDir, ...int8WeightKey(sha256).split("/"));
      expect(existsSync(file)).toBe(stored);
      expect(leftovers()).toEqual([]);
    },
    300_000,
  );

  it("answers 404 for a weight the node does not have", async () => {
    const { status, json } = await check({
      weightSha256: "d".repeat(64),
      spec: { kind: "super_resolution", scale: 2 },
      taskKind: "super_resolution",
    });
    expect(status).toBe(404);
    expect(json).toMatchObject({ error: { code: "not_found" } });
  });

  it("refuses a spec that does not parse, and a task kind without an INT8 mode", async () => {
    const sha256 = keep(buildTinySrModel({ scale: 2, seed: 6 }).bytes);
    const badSpec = await check({
      weightSha256: sha256,
      spec: { kind: "super_resolution", scale: "two" },
      taskKind: "super_resolution",
    });
    expect(badSpec.status).toBe(400);
    expect(String((badSpec.json.error as { message?: string }).message)).toMatch(/model spec/);
    const classification = await check({
      weightSha256: sha256,
      spec: { kind: "classification" },
      taskKind: "classification",
    });
    expect(classification.status).toBe(400);
    expect(leftovers()).toEqual([]);
  });
});
