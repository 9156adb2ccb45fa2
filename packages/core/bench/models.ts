import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getArchitecture } from "../src/architectures/registry";
import { randomStateDict } from "../src/architectures/testing/models";
import { buildSegmentationModel, buildTinySrModel } from "../src/onnx/testing-models";
import { ModelSpec, type ModelSpecInput, OCTA_SEGMENTATION_SPEC } from "../src/spec/index";
import { benchEnv } from "./env";

export interface BenchModel {
  label: string;
  bytes: Uint8Array;
  spec: ModelSpec;
}

function official(name: string): BenchModel | null {
  const dir = join(benchEnv.DATA_DIR, "official");
  const onnx = join(dir, `${name}.onnx`);
  const meta = join(dir, `${name}.json`);
  if (!existsSync(onnx) || !existsSync(meta)) return null;
  const record = JSON.parse(readFileSync(meta, "utf8")) as { spec: ModelSpecInput };
  return {
    label: `official ${name}`,
    bytes: readFileSync(onnx),
    spec: ModelSpec.parse(record.spec),
  };
}

export function srModel(): BenchModel {
  return official("realesr-animevideov3-x4") ?? syntheticSr();
}

export function syntheticSr(): BenchModel {
  const m = buildTinySrModel({ scale: 4, layers: 4, hidden: 16, seed: 5 });
  return {
    label: "synthetic tiny SR x4 (4 conv, 16 ch)",
    bytes: m.bytes,
    spec: ModelSpec.parse({ kind: "super_resolution", scale: 4, receptiveField: m.receptiveField }),
  };
}

export function segModel(): BenchModel {
  return official("ppocr-v4-det") ?? octaModel();
}

export function octaModel(): BenchModel {
  return {
    label: "synthetic OCTA U-Net [1,1,256,256]",
    bytes: buildSegmentationModel().bytes,
    spec: OCTA_SEGMENTATION_SPEC,
  };
}

/**
 * The seed's OCTA U-Net at full size (31M parameters, 64 -> 1024 channels) with seeded random
 * weights: the real compute cost of the product's reference segmentation model.
 */
export function octaUNetModel(): BenchModel {
  const architecture = getArchitecture("octa-unet");
  const weights = new Map(
    Object.entries(randomStateDict(architecture, 3)).map(([k, t]) => [
      k,
      Float32Array.from(t.values),
    ]),
  );
  return {
    label: "OCTA U-Net (seed architecture, 31M params) [1,1,256,256]",
    bytes: architecture.build(weights),
    spec: architecture.defaultSpec,
  };
}
