import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalBlobStore } from "@studio/blob/local";
import { buildTinySrModel } from "@studio/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { ModelStore, openWeightFile, WeightUnusableError } from "./models";
import { NodeFiles } from "./node-files";

const dataDir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "inference-models-")));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const files = await NodeFiles.around(new LocalBlobStore(dataDir), {
  dataDir,
  cacheMb: 0,
  role: "test",
});
const findWeightFile = async (sha256: string) => {
  const file = await openWeightFile(files, sha256);
  file.release();
  return file.path;
};

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("weight files and the session cache", () => {
  const model = buildTinySrModel({ scale: 2 });
  const spec = { kind: "super_resolution", scale: 2 };

  it("finds uploaded weights by sha256 and official ones through their record", async () => {
    mkdirSync(path.join(dataDir, "weights"), { recursive: true });
    mkdirSync(path.join(dataDir, "official"), { recursive: true });
    const uploaded = path.join(dataDir, "weights", `${sha(model.bytes)}.onnx`);
    writeFileSync(uploaded, model.bytes);
    expect(await findWeightFile(sha(model.bytes))).toBe(uploaded);
    const other = buildTinySrModel({ scale: 2, seed: 7 });
    writeFileSync(path.join(dataDir, "official", "tiny-sr.onnx"), other.bytes);
    writeFileSync(
      path.join(dataDir, "official", "tiny-sr.json"),
      JSON.stringify({ name: "tiny-sr", sha256: sha(other.bytes) }),
    );
    expect(await findWeightFile(sha(other.bytes))).toBe(
      path.join(dataDir, "official", "tiny-sr.onnx"),
    );
    await expect(findWeightFile("0".repeat(64))).rejects.toBeInstanceOf(WeightUnusableError);
  });

  it("loads a weight once (cache hit afterwards) and refuses a file whose checksum changed", async () => {
    const store = new ModelStore({
      dataDir,
      device: "cpu",
      intraOpThreads: 1,
      interOpThreads: 1,
      spinWait: false,
      memoryArena: true,
      maxModels: 2,
      openWeight: (sha256) => openWeightFile(files, sha256),
    });
    try {
      const first = await store.get(sha(model.bytes), JSON.stringify(spec));
      expect(first.cacheHit).toBe(false);
      expect(first.runner.device).toBe("cpu");
      expect((await store.get(sha(model.bytes), spec)).cacheHit).toBe(true);

      const tampered = buildTinySrModel({ scale: 2, seed: 3 });
      const claimed = sha(tampered.bytes);
      writeFileSync(path.join(dataDir, "weights", `${claimed}.onnx`), model.bytes);
      await expect(store.get(claimed, spec)).rejects.toThrow(/has sha256 .* expected/);
      await expect(store.get(sha(model.bytes), "{not json")).rejects.toBeInstanceOf(
        WeightUnusableError,
      );
    } finally {
      await store.cache.clear();
    }
  });
});
