// Generated architecture ids: every hyperparameter that changes keys, shapes or the graph is in
// the id, so the id stored with a weight (and sent between the web app and the inference
// service) is enough to rebuild the architecture. One canonical spelling per configuration:
// a parsed id that does not format back to itself is refused.
import {
  type ArchitectureConfig,
  LIMITS,
  type RrdbConfig,
  rrdbShape,
  type SpanConfig,
  type SrvggConfig,
  type UNetConfig,
} from "./configs";
import type { SrvggActivation } from "./param-specs";
import type { SwinirConfig } from "./swinir-config";
import { parseSwinirId, swinirId, swinirName } from "./swinir-ids";

const ACTIVATION_SUFFIX: Record<SrvggActivation, string> = {
  prelu: "",
  relu: "-relu",
  leakyrelu: "-lrelu",
};

const channels = (flag: string, n: number | undefined) =>
  n === undefined || n === 3 ? "" : `-${flag}${n}`;

function rrdbId(config: RrdbConfig): string {
  const shape = rrdbShape(config);
  const implied = rrdbShape({ ...config, upsamples: undefined, unshuffle: undefined });
  return [
    `rrdbnet-x${shape.scale}-nf${shape.feat}-nb${shape.blocks}-gc${shape.grow}`,
    channels("in", shape.inC),
    channels("out", shape.outC),
    implied.upsamples === shape.upsamples ? "" : `-up${shape.upsamples}`,
    shape.layout === "esrgan" ? "-esrgan" : "",
  ].join("");
}

function srvggId(config: SrvggConfig): string {
  return [
    `srvgg-x${config.upscale ?? 4}-nf${config.numFeat ?? 64}-nc${config.numConv}`,
    channels("ch", config.inChannels),
    ACTIVATION_SUFFIX[config.activation ?? "prelu"],
  ].join("");
}

function unetId(config: UNetConfig): string {
  return [
    `unet-d${config.depth ?? 4}-b${config.base ?? 64}`,
    `-in${config.inChannels ?? 1}`,
    `-out${config.outChannels ?? 1}`,
    config.batchNorm === false ? "-nobn" : "",
  ].join("");
}

function spanId(config: SpanConfig): string {
  return [
    `span-x${config.upscale ?? 4}-nf${config.numFeat ?? 48}`,
    channels("in", config.inChannels),
    channels("out", config.outChannels),
    config.norm === false ? "-nonorm" : "",
  ].join("");
}

/** The canonical generated id of a configuration. */
export function architectureId(entry: ArchitectureConfig): string {
  if (entry.family === "rrdb") return rrdbId(entry.config);
  if (entry.family === "srvgg") return srvggId(entry.config);
  if (entry.family === "span") return spanId(entry.config);
  if (entry.family === "swinir") return swinirId(entry.config);
  return unetId(entry.config);
}

const ACTIVATION_NAME: Record<SrvggActivation, string> = {
  prelu: "PReLU",
  relu: "ReLU",
  leakyrelu: "LeakyReLU",
};

/** A readable default name for a generated configuration. */
export function architectureName(entry: ArchitectureConfig): string {
  if (entry.family === "rrdb") {
    const s = rrdbShape(entry.config);
    return `RRDBNet x${s.scale} (${s.blocks} block${s.blocks === 1 ? "" : "s"}, ${s.feat} features, growth ${s.grow})`;
  }
  if (entry.family === "srvgg") {
    const c = entry.config;
    return `SRVGGNetCompact x${c.upscale ?? 4} (${c.numConv} convs, ${c.numFeat ?? 64} features, ${ACTIVATION_NAME[c.activation ?? "prelu"]})`;
  }
  if (entry.family === "swinir") return swinirName(entry.config);
  if (entry.family === "span") {
    const c = entry.config;
    return `SPAN x${c.upscale ?? 4} (${c.numFeat ?? 48} features, ${c.norm === false ? "no input normalisation" : "normalised input"})`;
  }
  const c = entry.config;
  return `U-Net (depth ${c.depth ?? 4}, base ${c.base ?? 64}, ${c.inChannels ?? 1} -> ${c.outChannels ?? 1} channels${c.batchNorm === false ? ", no BatchNorm" : ""})`;
}

const within = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
/** Every [number, limit] pair of an id is a whole number from 1 to its limit. */
const allWithin = (...checks: [number | undefined, number][]) =>
  checks.every(([n, max]) => n !== undefined && within(n, max));

function parseRrdb(id: string): RrdbConfig | null {
  const m =
    /^rrdbnet-x(\d+)-nf(\d+)-nb(\d+)-gc(\d+)(?:-in(\d+))?(?:-out(\d+))?(?:-up(\d+))?(-esrgan)?$/.exec(
      id,
    );
  if (!m) return null;
  const [scale, feat, blocks, grow, inC, outC, up] = m
    .slice(1, 8)
    .map((v) => (v ? Number(v) : undefined));
  const config: RrdbConfig = {
    id,
    name: "",
    scale,
    numFeat: feat,
    numBlock: blocks as number,
    numGrowCh: grow,
    inChannels: inC ?? 3,
    outChannels: outC ?? 3,
    upsamples: up,
    layout: m[8] ? "esrgan" : "basicsr",
  };
  if (
    ![1, 2, 4, 8].includes(scale as number) ||
    !allWithin(
      [feat, LIMITS.features],
      [grow, LIMITS.features],
      [blocks, LIMITS.rrdbBlocks],
      [config.inChannels, LIMITS.channels],
      [config.outChannels, LIMITS.channels],
    ) ||
    (up !== undefined && up > 3)
  ) {
    return null;
  }
  try {
    rrdbShape(config);
  } catch {
    return null;
  }
  return config;
}

function parseSrvgg(id: string): SrvggConfig | null {
  const m = /^srvgg-x(\d+)-nf(\d+)-nc(\d+)(?:-ch(\d+))?(-relu|-lrelu)?$/.exec(id);
  if (!m) return null;
  const [scale, feat, convs, ch] = m.slice(1, 5).map((v) => (v ? Number(v) : 3));
  const activation: SrvggActivation =
    m[5] === "-relu" ? "relu" : m[5] === "-lrelu" ? "leakyrelu" : "prelu";
  if (
    !allWithin(
      [scale, 8],
      [feat, LIMITS.features],
      [convs, LIMITS.srvggConvs],
      [ch, LIMITS.channels],
    )
  ) {
    return null;
  }
  return {
    id,
    name: "",
    upscale: scale,
    numFeat: feat,
    numConv: convs as number,
    inChannels: ch,
    outChannels: ch,
    activation,
  };
}

function parseUNet(id: string): UNetConfig | null {
  const m = /^unet-d(\d+)-b(\d+)-in(\d+)-out(\d+)(-nobn)?$/.exec(id);
  if (!m) return null;
  const [depth, base, inC, outC] = m.slice(1, 5).map(Number);
  if (
    !allWithin(
      [depth, LIMITS.unetDepth],
      [base, LIMITS.unetBase],
      [inC, LIMITS.channels],
      [outC, LIMITS.channels],
    )
  ) {
    return null;
  }
  return {
    id,
    name: "",
    depth,
    base,
    inChannels: inC,
    outChannels: outC,
    ...(m[5] ? { batchNorm: false } : {}),
  };
}

function parseSpan(id: string): SpanConfig | null {
  const m = /^span-x(\d+)-nf(\d+)(?:-in(\d+))?(?:-out(\d+))?(-nonorm)?$/.exec(id);
  if (!m) return null;
  const [scale, feat, inC, outC] = m.slice(1, 5).map((v) => (v ? Number(v) : 3));
  const norm = !m[5];
  if (
    !allWithin(
      [scale, LIMITS.spanScale],
      [feat, LIMITS.features],
      [inC, LIMITS.channels],
      [outC, LIMITS.channels],
    ) ||
    // The RGB mean is subtracted per channel: with norm, PyTorch's forward needs 3 channels.
    (norm && inC !== 3)
  ) {
    return null;
  }
  return {
    id,
    name: "",
    upscale: scale,
    numFeat: feat,
    inChannels: inC,
    outChannels: outC,
    ...(norm ? {} : { norm: false }),
  };
}

/** The configuration a generated id stands for, or null when it is not one (or not canonical). */
export function parseArchitectureId(id: string): ArchitectureConfig | null {
  const entry: ArchitectureConfig | null = id.startsWith("rrdbnet-")
    ? wrap("rrdb", parseRrdb(id))
    : id.startsWith("srvgg-")
      ? wrap("srvgg", parseSrvgg(id))
      : id.startsWith("unet-")
        ? wrap("unet", parseUNet(id))
        : id.startsWith("span-")
          ? wrap("span", parseSpan(id))
          : id.startsWith("swinir-")
            ? wrap("swinir", parseSwinirId(id))
            : null;
  if (!entry || architectureId(entry) !== id) return null;
  entry.config.name = architectureName(entry);
  return entry;
}

function wrap(
  family: ArchitectureConfig["family"],
  config: RrdbConfig | SrvggConfig | UNetConfig | SpanConfig | SwinirConfig | null,
): ArchitectureConfig | null {
  return config ? ({ family, config } as ArchitectureConfig) : null;
}
