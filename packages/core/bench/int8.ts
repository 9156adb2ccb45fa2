// `pnpm --filter @studio/core bench:int8`: INT8 against FP32 for every official super-resolution
// model present in DATA_DIR/official (setup fetches them) and the seed's OCTA U-Net: model time
// at 256 and 512 px, PSNR (or mask agreement) against FP32, and the gate's verdict.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fixturePath } from "@studio/fixtures";
import { decodeImage } from "../src/image/decode";
import { listOfficialWeights } from "../src/official/records";
import { gateInt8Model } from "../src/quantize/build";
import { modelInput } from "../src/quantize/calibration-images";
import { QuantizeUnsupportedError } from "../src/quantize/graph";
import { bestTimes, cpuSession, maskAgreement, outputPsnr, runOnce } from "../src/quantize/measure";
import { quantizeModel } from "../src/quantize/quantize-model";
import { hasVnni } from "../src/quantize/vnni";
import { ModelSpec } from "../src/spec/index";
import { benchEnv } from "./env";
import { type BenchModel, octaUNetModel } from "./models";

const threads = Number(process.argv.find((a) => a.startsWith("--threads="))?.slice(10) ?? 2);
const repeats = Number(process.argv.find((a) => a.startsWith("--repeats="))?.slice(10) ?? 3);
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const SIDES = [256, 512];

async function models(): Promise<BenchModel[]> {
  const records = await listOfficialWeights(benchEnv.DATA_DIR);
  const sr = records
    .filter((r) => r.kind === "super_resolution")
    .map((r) => ({
      label: r.name,
      bytes: readFileSync(r.path),
      spec: ModelSpec.parse(r.spec),
    }));
  return [...sr, { ...octaUNetModel(), label: "octa-unet (seed architecture, random weights)" }];
}

const fmt = (v: number | undefined, digits = 0) => (v === undefined ? "-" : v.toFixed(digits));

async function main() {
  const photo = await decodeImage(readFileSync(fixturePath("camera.png")));
  console.log(
    `# INT8 vs FP32, ${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, ${threads} threads, VNNI ${hasVnni()}, best of ${repeats}`,
  );
  console.log(
    "| model | FP32 256 ms | INT8 256 ms | speedup 256 | FP32 512 ms | INT8 512 ms | speedup 512 | quality vs FP32 (calibration min / 512 px photo) | gate |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const m of await models()) {
    if (only && !m.label.includes(only)) continue;
    let quantized: Awaited<ReturnType<typeof quantizeModel>>;
    try {
      quantized = await quantizeModel({
        fp32: m.bytes,
        spec: m.spec,
        threads,
        reduceRange: !hasVnni(),
      });
    } catch (error) {
      const reason =
        error instanceof QuantizeUnsupportedError ? error.message : (error as Error).message;
      console.log(`| ${m.label} | | | | | | | | unsupported: ${reason} |`);
      continue;
    }
    const report = await gateInt8Model({ fp32: m.bytes, spec: m.spec, threads }, quantized);
    const fp32 = await cpuSession(m.bytes, threads);
    const int8 = await cpuSession(quantized.bytes, threads);
    const cells: string[] = [];
    const sides = m.spec.size.mode === "fixed" ? [m.spec.size.width] : SIDES;
    for (const side of SIDES) {
      if (!sides.includes(side) && m.spec.size.mode === "fixed") {
        cells.push("-", "-", "-");
        continue;
      }
      const x = modelInput(photo, m.spec, m.spec.size.mode === "fixed" ? undefined : side);
      const [a, b] = (await bestTimes([fp32, int8], m.spec, x, repeats)) as [number, number];
      cells.push(fmt(a), fmt(b), `${(a / b).toFixed(2)}x`);
    }
    const x = modelInput(photo, m.spec, m.spec.size.mode === "fixed" ? undefined : 512);
    const [oa, ob] = [await runOnce(fp32, m.spec, x), await runOnce(int8, m.spec, x)];
    const quality =
      m.spec.kind === "segmentation"
        ? `mask ${fmt((report.maskAgreement ?? 0) * 100, 2)}% / ${(maskAgreement(oa, ob, m.spec) * 100).toFixed(2)}%`
        : `${fmt(report.psnrDb, 1)} / ${outputPsnr(oa.data, ob.data, m.spec.kind === "super_resolution" && m.spec.outputRange === "0-255" ? 255 : 1).toFixed(1)} dB`;
    console.log(
      `| ${m.label} (${quantized.quantizedConvs}/${quantized.totalConvs} convs INT8) | ${cells.join(" | ")} | ${quality} | ${report.state} |`,
    );
    await fp32.release();
    await int8.release();
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

await main();
