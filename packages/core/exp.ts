import { readFileSync } from "node:fs";
import { decodeImage } from "./src/image/decode";
import { buildTinySrModel } from "./src/onnx/testing-models";
import { runSuperResolution } from "./src/pipeline/super-resolution";
import { prepareFromBytes } from "./src/pipeline/testing";
const tiny = buildTinySrModel({ scale: 2, layers: 4, seed: 7 });
const model = await prepareFromBytes<any>(tiny.bytes, { kind: "super_resolution", scale: 2, receptiveField: tiny.receptiveField });
const img = await decodeImage(readFileSync("test-fixtures/chelsea.png"));
for (const tile of [96, 96, "off", 192, 64] as const) {
  const t = performance.now();
  const r = await runSuperResolution({ model, input: img, params: { tile, tuning: { preset: "raw" } } });
  console.log(tile, (performance.now() - t).toFixed(0), r.tiling.tileCount, JSON.stringify(r.timings, (k, v) => typeof v === "number" ? Math.round(v) : v));
}
