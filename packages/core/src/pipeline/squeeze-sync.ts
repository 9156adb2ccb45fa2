import * as ort from "onnxruntime-node";
import type { RawImage } from "../image/types";
import type { SessionCache } from "../runtime/cache";
import { isAllocationFailure } from "../runtime/errors";
import type { Device } from "../runtime/providers";
import type { ModelRunner, TensorOut } from "../runtime/runner";
import type { ColorOrder, ModelSpec, TileSetting } from "../spec/index";
import { type Affine, modelChannels, type Rect } from "../tensor/index";
import { type AxisTiles, autoOverlap } from "../tiling/grid";
import { fillTileInput, gridFor, inputRect, type TileProgress, tilesCovering } from "../tiling/run";
import { ForwardingRunner } from "./forwarding-runner";
import type { PreparedModel } from "./model";
import { SQUEEZE_FEATURES, squeezeInputName, squeezeVariant } from "./squeeze-graphs";

// Whole-image global averages for tiled runs of squeeze-and-excitation nets (Real-CUGAN, waifu2x
// CUNet), computed tile by tile like realcugan-ncnn-vulkan's "sync gap" mode (our own code).
// Stage k runs every tile through the net up to the k-th average, with averages 0..k-1 fixed to
// their whole-image values; each tile adds the features it owns, so the sum covers the whole
// image's feature map exactly once; the final pass then runs the net with every average fed.
//
// Why this is exact: the nets use unpadded convolutions (the graph pads the input once), so a
// feature of a tile equals the untiled run's at the same place once the earlier averages are the
// same, except within the receptive field of a cut tile edge, where the tile saw its own
// padding. The stage passes use an overlap of at least twice the receptive field and split each
// overlap at its middle, so every owned feature is an untouched one.

/**
 * "auto" overlap for whole-image-average nets: edge margins as wide as the receptive field (not
 * half of it, as autoOverlap allows), so that no blended pixel comes from a tile that saw its own
 * padding. Those nets pay for exactness with the stage passes anyway; this adds about 10% at
 * tile 512 and brings Real-CUGAN x2 from 2/255 (0.002% of samples) to within 1/255.
 */
export function exactOverlap(
  receptiveField: number,
  tile: TileSetting,
  multipleOf: number,
): number {
  const ramp = Math.max(4, Math.ceil(receptiveField / 2));
  // splitOverlap gives 2/5 of the overlap to each margin
  const exact = Math.max(2 * receptiveField + ramp, Math.ceil((receptiveField * 5) / 2));
  // A tile chosen too small for it (the grid needs overlap + alignment + some stride) keeps the
  // generic overlap rather than failing.
  if (typeof tile === "number" && tile < exact + multipleOf + 8) return autoOverlap(receptiveField);
  return exact;
}

/** Per axis: feature size f(n) = (n - offset) / stride for a graph input of n px. */
interface AxisGeometry {
  stride: number;
  offset: number;
}

interface StageGraph {
  session: ort.InferenceSession;
  /** Channels of the average this stage measures. */
  channels: number;
  y: AxisGeometry;
  x: AxisGeometry;
}

export interface SqueezeSessions {
  stages: StageGraph[];
  final: ort.InferenceSession;
  device: Device;
}

/** What a prepared model carries when its spec asks for whole-image averages. */
export interface SqueezeSync {
  /** The stage and final sessions (created on first use and cached by the owner). */
  load(): Promise<SqueezeSessions>;
}

/**
 * `model` with `squeezeSync` when its spec asks for whole-image averages (`globalPooling`),
 * else as it is. The variants' sessions live in `cache` (one per average plus the final net:
 * give it room for them) and are built from the weight's bytes, read by `load` on a miss.
 */
export function withSqueezeSync<S extends ModelSpec>(
  model: PreparedModel<S>,
  opts: { cache: SessionCache; load: () => Promise<Uint8Array> | Uint8Array },
): PreparedModel<S> {
  const { spec } = model;
  if (spec.kind !== "super_resolution" || spec.globalPooling !== "whole-image") return model;
  if (spec.size.mode !== "dynamic") return model;
  return {
    ...model,
    squeezeSync: squeezeSyncFor({
      cache: opts.cache,
      sha256: model.weightSha256,
      load: opts.load,
      ...(spec.inputName ? { inputName: spec.inputName } : {}),
      channels: modelChannels(spec.colorOrder),
      multipleOf: spec.size.multipleOf,
      minSize: spec.size.minSize,
    }),
  };
}

const geometries = new WeakMap<ort.InferenceSession, Omit<StageGraph, "session">>();

/**
 * Sessions of the squeeze variants of weight `sha256`, kept in `cache` under derived keys.
 * `load` reads the weight's bytes (only when a variant is not cached yet).
 */
export function squeezeSyncFor(opts: {
  cache: SessionCache;
  sha256: string;
  load: () => Promise<Uint8Array> | Uint8Array;
  /** Graph input of the image; default the first input. */
  inputName?: string;
  /** Model input channels (1 gray, 3 colour). */
  channels: number;
  /** Model input size rules (probing uses valid sizes). */
  multipleOf: number;
  minSize: number;
}): SqueezeSync {
  return {
    async load() {
      let bytes: Promise<Uint8Array> | undefined;
      const source = (which: number | "final") => ({
        sha256: `${opts.sha256.toLowerCase()}.squeeze-${which}`,
        load: async () => {
          bytes ??= Promise.resolve(opts.load());
          return squeezeVariant(await bytes, which);
        },
      });
      const final = await opts.cache.get(source("final"));
      const count = final.session.inputNames.filter((n) => /^squeeze_\d+$/.test(n)).length;
      const stages: StageGraph[] = [];
      for (let k = 0; k < count; k++) {
        const { session } = await opts.cache.get(source(k));
        let geometry = geometries.get(session);
        if (!geometry) {
          geometry = await probeStage(session, stages, opts);
          geometries.set(session, geometry);
        }
        stages.push({ session, ...geometry });
      }
      return { stages, final: final.session, device: final.device };
    },
  };
}

function imageInputName(session: ort.InferenceSession, name: string | undefined): string {
  return name ?? (session.inputNames.find((n) => !/^squeeze_\d+$/.test(n)) as string);
}

function meanFeeds(stages: readonly { channels: number }[], means: readonly Float32Array[]) {
  const feeds: Record<string, ort.Tensor> = {};
  means.forEach((m, k) => {
    feeds[squeezeInputName(k)] = new ort.Tensor("float32", m, [
      1,
      (stages[k] as { channels: number }).channels,
      1,
      1,
    ]);
  });
  return feeds;
}

/**
 * Channels and feature geometry of a stage: two runs on zeros of sizes (a, b) and (b, a) give
 * each axis's feature size at two input sizes.
 */
async function probeStage(
  session: ort.InferenceSession,
  earlier: readonly StageGraph[],
  opts: { inputName?: string; channels: number; multipleOf: number; minSize: number },
): Promise<Omit<StageGraph, "session">> {
  const m = opts.multipleOf;
  const a = Math.ceil(Math.max(opts.minSize, 64) / m) * m;
  const b = a + 8 * m;
  const means = earlier.map((s) => new Float32Array(s.channels));
  const run = async (h: number, w: number) => {
    const input = new ort.Tensor("float32", new Float32Array(opts.channels * h * w), [
      1,
      opts.channels,
      h,
      w,
    ]);
    const out = await session.run({
      [imageInputName(session, opts.inputName)]: input,
      ...meanFeeds(earlier, means),
    });
    const dims = (out[SQUEEZE_FEATURES] as ort.Tensor).dims;
    for (const t of Object.values(out)) t.dispose();
    return dims;
  };
  const [ab, ba] = [await run(a, b), await run(b, a)];
  const axis = (fa: number, fb: number): AxisGeometry => {
    const stride = (b - a) / (fb - fa);
    return { stride, offset: a - stride * fa };
  };
  return {
    channels: ab[1] as number,
    y: axis(ab[2] as number, ba[2] as number),
    x: axis(ba[3] as number, ab[3] as number),
  };
}

/** The final pass: the whole net, every average fed with the whole image's. */
class FedRunner implements ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly feeds: Record<string, ort.Tensor>;

  constructor(
    private readonly sessions: SqueezeSessions,
    means: readonly Float32Array[],
    names: { input?: string; output?: string },
  ) {
    const { final } = sessions;
    this.inputNames = final.inputNames;
    this.outputNames = final.outputNames;
    this.inputName = imageInputName(final, names.input);
    this.outputName = names.output ?? (final.outputNames[0] as string);
    this.feeds = meanFeeds(sessions.stages, means);
  }

  get device() {
    return this.sessions.device;
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    const tensor = new ort.Tensor("float32", input, dims);
    const out = await this.sessions.final.run({ ...this.feeds, [this.inputName]: tensor }, [
      this.outputName,
    ]);
    const y = out[this.outputName] as ort.Tensor;
    return { data: y.data as Float32Array, dims: y.dims };
  }
}

/** Tiles of one axis in the stage grid: where each starts in feature px and what it owns. */
interface AxisPlan {
  /** Graph input rect per tile (image px; `from` may be negative: mirrored border). */
  rects: { from: number; size: number }[];
  /** Per tile: first feature px of the untiled map it covers, its feature size, owned range. */
  start: number[];
  size: number[];
  own: [number, number][];
  /** Feature size of the untiled run. */
  total: number;
}

function planAxis(
  axis: AxisTiles,
  geometry: AxisGeometry,
  pad: number,
  multipleOf: number,
  minSize: number,
  what: string,
): AxisPlan {
  const rects = [...axis.starts].map((s, i) =>
    inputRect(s, axis.sizes[i] as number, axis.length, pad, multipleOf, minSize),
  );
  const whole = inputRect(0, axis.length, axis.length, pad, multipleOf, minSize);
  const featureSize = (n: number) => (n - geometry.offset) / geometry.stride;
  const integral = (v: number, of: string) => {
    const r = Math.round(v);
    if (Math.abs(v - r) > 1e-6) {
      throw new Error(`squeeze sync: ${of} (${v}) is not a whole number of feature pixels`);
    }
    return r;
  };
  const total = integral(featureSize(whole.size), `the ${what} feature size`);
  const start = rects.map((r) =>
    integral((r.from - whole.from) / geometry.stride, "a tile offset"),
  );
  const size = rects.map((r) => integral(featureSize(r.size), "a tile's feature size"));
  const n = rects.length;
  const cut = (i: number) =>
    Math.floor(((start[i + 1] as number) + (start[i] as number) + (size[i] as number)) / 2);
  const own: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const lo = i === 0 ? 0 : cut(i - 1);
    const hi = i === n - 1 ? total : cut(i);
    if (lo < (start[i] as number) || hi > (start[i] as number) + (size[i] as number) || lo >= hi) {
      throw new Error(
        `squeeze sync: ${what} tile ${i} covers feature px ${start[i]}..${(start[i] as number) + (size[i] as number)} but must own ${lo}..${hi}`,
      );
    }
    own.push([lo, hi]);
  }
  return { rects, start, size, own, total };
}

export interface SqueezeMeasureOptions {
  sessions: SqueezeSessions;
  image: RawImage;
  order: ColorOrder;
  affine: Affine;
  /** Model input channels. */
  channels: number;
  inputName?: string;
  tile: number;
  overlap: number;
  /** The final pass's border context (image edges must see what an untiled run sees). */
  borderPad: number;
  multipleOf: number;
  minSize: number;
  signal?: AbortSignal;
  onTile?: () => void;
}

/** The whole image's averages, stage by stage (see the top of this file). */
export async function measureSqueezeMeans(
  opts: SqueezeMeasureOptions,
): Promise<{ means: Float32Array[]; runs: number; runMs: number; preMs: number }> {
  const { image, multipleOf: m, minSize, sessions } = opts;
  const grid = gridFor(image, opts.tile, opts.overlap, m);
  const pad = Math.ceil(opts.borderPad / m) * m;
  const means: Float32Array[] = [];
  let runs = 0;
  let runMs = 0;
  let preMs = 0;
  const mc = opts.channels;
  const pixel = { channels: mc, order: opts.order, affine: opts.affine };
  const buffer = new Float32Array(
    mc * (grid.x.size + 2 * pad + m + minSize) * (grid.y.size + 2 * pad + m + minSize),
  );
  for (const stage of sessions.stages) {
    const ys = planAxis(grid.y, stage.y, pad, m, minSize, "vertical");
    const xs = planAxis(grid.x, stage.x, pad, m, minSize, "horizontal");
    const C = stage.channels;
    const sums = new Float64Array(C);
    const feeds = meanFeeds(sessions.stages, means);
    const inputName = imageInputName(stage.session, opts.inputName);
    for (let j = 0; j < ys.rects.length; j++) {
      const ry = ys.rects[j] as { from: number; size: number };
      for (let i = 0; i < xs.rects.length; i++) {
        opts.signal?.throwIfAborted();
        const rx = xs.rects[i] as { from: number; size: number };
        let t0 = performance.now();
        const input = fillTileInput(image, rx, ry, pixel, buffer);
        const tensor = new ort.Tensor("float32", input, [1, mc, ry.size, rx.size]);
        let t1 = performance.now();
        preMs += t1 - t0;
        const out = await stage.session.run({ ...feeds, [inputName]: tensor });
        t0 = performance.now();
        runMs += t0 - t1;
        const features = out[SQUEEZE_FEATURES] as ort.Tensor;
        const [fh, fw] = [features.dims[2] as number, features.dims[3] as number];
        if (fh !== ys.size[j] || fw !== xs.size[i] || features.dims[1] !== C) {
          throw new Error(
            `squeeze sync: stage features [${features.dims.join(",")}] for input ${rx.size}x${ry.size}, expected ${xs.size[i]}x${ys.size[j]} with ${C} channels`,
          );
        }
        addOwned(features.data as Float32Array, C, fh, fw, ownedRect(xs, ys, i, j), sums);
        for (const t of Object.values(out)) t.dispose();
        t1 = performance.now();
        preMs += t1 - t0;
        runs++;
        opts.onTile?.();
      }
    }
    const count = ys.total * xs.total;
    means.push(Float32Array.from(sums, (s) => s / count));
  }
  return { means, runs, runMs, preMs };
}

/** The owned part of tile (i, j) in its own feature coordinates. */
function ownedRect(xs: AxisPlan, ys: AxisPlan, i: number, j: number): Rect {
  const [x0, x1] = xs.own[i] as [number, number];
  const [y0, y1] = ys.own[j] as [number, number];
  return {
    x: x0 - (xs.start[i] as number),
    y: y0 - (ys.start[j] as number),
    width: x1 - x0,
    height: y1 - y0,
  };
}

function addOwned(
  data: Float32Array,
  C: number,
  h: number,
  w: number,
  own: Rect,
  sums: Float64Array,
) {
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let y = own.y; y < own.y + own.height; y++) {
      const row = (c * h + y) * w;
      for (let x = own.x; x < own.x + own.width; x++) s += data[row + x] as number;
    }
    sums[c] = (sums[c] as number) + s;
  }
}

/** Averages of recent preview images (a few hundred floats each), least recently used out. */
const rememberedMeans = new Map<string, Float32Array[]>();
const REMEMBERED_RUNS = 32;

function remember(key: string, means: Float32Array[]) {
  rememberedMeans.delete(key);
  rememberedMeans.set(key, means);
  for (const oldest of rememberedMeans.keys()) {
    if (rememberedMeans.size <= REMEMBERED_RUNS) break;
    rememberedMeans.delete(oldest);
  }
}

export interface SqueezeSyncedRun {
  /** Runs the final pass: the whole net with the whole image's averages. */
  runner: ModelRunner;
  /** Progress of the final pass, counted after the stage passes. */
  onProgress?: (p: TileProgress) => void;
  /** Number of averages synchronised and the model runs their stages took (several tiles). */
  report?: { stages: number; stageRuns: number; stageTile: number; stageOverlap: number };
  runMs: number;
  preMs: number;
}

/**
 * For a model that carries `squeezeSync`: when the image needs more than one tile, measures the
 * whole image's averages and returns the runner of the final pass with them. When it fits in
 * one tile, returns a runner that runs the shipped graph as it is (its own averages are the
 * whole image's), unless the run has to fall back to smaller tiles (allocation failure): those
 * get the whole image's averages too. null: a model without global averages to sync.
 */
export async function syncSqueezeMeans(opts: {
  sync: SqueezeSync | undefined;
  /** The model's own runner (the shipped graph), for images that fit in one tile. */
  plain: ModelRunner;
  image: RawImage;
  order: ColorOrder;
  affine: Affine;
  channels: number;
  names: { input?: string; output?: string };
  tile: number | "off";
  overlap: number;
  borderPad: number;
  multipleOf: number;
  minSize: number;
  /** The net's receptive field in input px: the stage passes overlap by twice that. */
  receptiveField: number;
  /** The region the final pass computes (its tiles are counted for progress). */
  region: Rect;
  /**
   * Everything the averages depend on (image, weight, spec, overlap, ...), for previews: the
   * averages of the last few such runs are kept and reused, so that previewing another crop or
   * tuning of the same image skips the stage passes.
   */
  memoKey?: string;
  onProgress?: (p: TileProgress) => void;
  signal?: AbortSignal;
}): Promise<SqueezeSyncedRun | null> {
  const { sync } = opts;
  if (!sync) return null;
  const m = opts.multipleOf;
  const stageOverlap = Math.max(opts.overlap, 2 * opts.receptiveField + 2 * m + 4);
  const finalGrid = gridFor(opts.image, opts.tile, opts.overlap, m);
  const fed = async (
    sessions: SqueezeSessions,
    tile: number,
    onStage?: (done: number, total: number, tile: number) => void,
  ) => {
    const known = opts.memoKey === undefined ? undefined : rememberedMeans.get(opts.memoKey);
    if (opts.memoKey !== undefined && known && known.length === sessions.stages.length) {
      remember(opts.memoKey, known);
      return { means: known, runs: 0, runMs: 0, preMs: 0, stageTile: tile };
    }
    const measured = await measureWithRetries(sessions, tile, onStage);
    if (opts.memoKey !== undefined) remember(opts.memoKey, measured.means);
    return measured;
  };
  // The stage tiles are sized like the final ones (memory), halved on allocation failures: the
  // averages do not depend on the grid.
  const measureWithRetries = async (
    sessions: SqueezeSessions,
    tile: number,
    onStage?: (done: number, total: number, tile: number) => void,
  ) => {
    const floor = 2 * stageOverlap + m;
    let stageTile = Math.max(tile, floor);
    for (;;) {
      try {
        const stageGrid = gridFor(opts.image, stageTile, stageOverlap, m);
        const total =
          stageGrid.x.starts.length * stageGrid.y.starts.length * sessions.stages.length;
        let done = 0;
        const measured = await measureSqueezeMeans({
          sessions,
          image: opts.image,
          order: opts.order,
          affine: opts.affine,
          channels: opts.channels,
          ...(opts.names.input ? { inputName: opts.names.input } : {}),
          tile: stageTile,
          overlap: stageOverlap,
          borderPad: opts.borderPad,
          multipleOf: m,
          minSize: opts.minSize,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onTile: () => onStage?.(++done, total, stageTile),
        });
        return { ...measured, stageTile };
      } catch (err) {
        if (!isAllocationFailure(err) || stageTile <= floor) throw err;
        stageTile = Math.max(floor, Math.floor(stageTile / 2));
      }
    }
  };

  if (opts.tile === "off" || (finalGrid.x.starts.length === 1 && finalGrid.y.starts.length === 1)) {
    const pad = Math.ceil(opts.borderPad / m) * m;
    const whole = (length: number) => inputRect(0, length, length, pad, m, opts.minSize).size;
    return {
      runner: new WholeImageRunner(
        opts.plain,
        [whole(opts.image.height), whole(opts.image.width)],
        async (tile) => {
          const sessions = await sync.load();
          if (sessions.stages.length === 0) return opts.plain;
          return new FedRunner(sessions, (await fed(sessions, tile)).means, opts.names);
        },
      ),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      runMs: 0,
      preMs: 0,
    };
  }
  const sessions = await sync.load();
  if (sessions.stages.length === 0) return null;
  const finalTiles =
    tilesCovering(finalGrid.x, opts.region.x, opts.region.width).length *
    tilesCovering(finalGrid.y, opts.region.y, opts.region.height).length;
  let stageRuns = 0;
  const measured = await fed(sessions, opts.tile, (done, total, tile) => {
    stageRuns = total;
    opts.onProgress?.({ done, total: total + finalTiles, tile });
  });
  const { onProgress } = opts;
  return {
    runner: new FedRunner(sessions, measured.means, opts.names),
    ...(onProgress
      ? {
          onProgress: (p: TileProgress) =>
            onProgress({ done: stageRuns + p.done, total: stageRuns + p.total, tile: p.tile }),
        }
      : {}),
    report: {
      stages: sessions.stages.length,
      stageRuns: measured.runs,
      stageTile: measured.stageTile,
      stageOverlap,
    },
    runMs: measured.runMs,
    preMs: measured.preMs,
  };
}

/**
 * The whole image in one run: the shipped graph, whose averages are the whole image's. Should
 * the run fall back to tiles (allocation failure), the tiles get the whole image's averages,
 * measured at the first of them with stage tiles of its size.
 */
class WholeImageRunner extends ForwardingRunner {
  private fed: Promise<ModelRunner> | undefined;

  constructor(
    plain: ModelRunner,
    private readonly whole: [number, number],
    private readonly measure: (tile: number) => Promise<ModelRunner>,
  ) {
    super(plain);
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<TensorOut> {
    const [h, w] = [dims[2] as number, dims[3] as number];
    if (h === this.whole[0] && w === this.whole[1]) return this.inner.run(input, dims);
    this.fed ??= this.measure(Math.max(h, w)).catch((err) => {
      this.fed = undefined;
      throw err;
    });
    return (await this.fed).run(input, dims);
  }
}
