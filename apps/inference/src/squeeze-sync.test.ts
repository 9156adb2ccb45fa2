import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBlobStore } from "@studio/blob/local";
import { decodeImage } from "@studio/core/image";
import { fetchOfficialWeights, findOfficialModel } from "@studio/core/official";
import { runSuperResolution, type SuperResolutionResult } from "@studio/core/pipeline";
import type { SuperResolutionSpec } from "@studio/core/spec";
import { fixturePath } from "@studio/fixtures";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { ModelStore, openWeightFile } from "./models";
import { NodeFiles } from "./node-files";

// The product path of a squeeze-and-excitation model (Real-CUGAN x2): fetched and converted by
// setup into DATA_DIR/official, loaded by the ModelStore the worker and previews use, run by the
// super-resolution pipeline over several tiles. The tiles must agree with one untiled run.

const dataDir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "inference-squeeze-")));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("Real-CUGAN through the model store", () => {
  it("runs tiles with the whole image's averages: tiled equals untiled within 1/255", async () => {
    const model = findOfficialModel("realcugan-se-x2");
    if (!model) throw new Error("realcugan-se-x2 is not an official model");
    await fetchOfficialWeights({ dataDir, models: [model] });
    const files = await NodeFiles.around(new LocalBlobStore(dataDir), {
      dataDir,
      cacheMb: 0,
      role: "test",
    });
    const store = new ModelStore({
      dataDir,
      device: "cpu",
      intraOpThreads: 2,
      interOpThreads: 1,
      spinWait: false,
      memoryArena: true,
      maxModels: 2,
      openWeight: (sha256) => openWeightFile(files, sha256),
    });
    try {
      const png = await sharp(fixturePath("chelsea.png"))
        .extract({ left: 150, top: 60, width: 120, height: 96 })
        .png()
        .toBuffer();
      const input = await decodeImage(png);
      const run = async (tile: number | "off") => {
        const prepared = await store.get(model.onnx.sha256, JSON.stringify(model.spec));
        expect(prepared.squeezeSync).toBeDefined();
        const progress: number[] = [];
        const result = await runSuperResolution({
          model: { ...prepared, spec: prepared.spec as SuperResolutionSpec },
          input,
          params: { tile, tuning: { preset: "raw" } },
          encode: false,
          onProgress: (p) => progress.push(p.done / p.total),
        });
        return { result, progress };
      };
      const untiled: SuperResolutionResult = (await run("off")).result;
      // one tile: the shipped graph alone, no variant sessions built
      expect(untiled.tiling.squeezeSync).toBeUndefined();
      expect(store.squeezeCache.keys()).toEqual([]);

      const { result: tiled, progress } = await run(64);
      expect(tiled.tiling.tileCount).toBeGreaterThanOrEqual(4);
      expect(tiled.tiling.squeezeSync?.stages).toBe(4);
      // 4 stage graphs and the final one, kept apart from the weights' own sessions
      expect(store.squeezeCache.keys()).toHaveLength(5);
      expect(store.cache.keys()).toEqual([model.onnx.sha256]);
      // progress rises through the stage passes and the final tiles to 1
      expect(progress.every((v, i) => i === 0 || v >= (progress[i - 1] as number))).toBe(true);
      expect(progress.at(-1)).toBe(1);
      expect(progress.length).toBe(
        (tiled.tiling.squeezeSync?.stageRuns ?? 0) + tiled.tiling.tileCount,
      );

      let worst = 0;
      for (let i = 0; i < untiled.image.data.length; i++) {
        const d = Math.abs((untiled.image.data[i] as number) - (tiled.image.data[i] as number));
        worst = Math.max(worst, d);
      }
      expect(worst).toBeLessThanOrEqual(1);
    } finally {
      await store.cache.clear();
      await store.squeezeCache.clear();
    }
  }, 600_000);
});
