// Configurations of the architecture families: what a fixed id, a generated id (ids.ts) or a
// detected state_dict (detect.ts) turns into. Plain data, no graph builders.
import type { RrdbLayout, RrdbShape, SrvggActivation } from "./param-specs";
import type { SwinirConfig } from "./swinir-config";

export interface UNetConfig {
  id?: string;
  name?: string;
  inChannels?: number;
  outChannels?: number;
  /** Channels of enc1; each level doubles it (64 -> 1024 in the bottleneck). */
  base?: number;
  /** Encoder blocks (poolings); the OCTA U-Net has 4. */
  depth?: number;
  /** Fixed input side; must be a multiple of 2^depth. */
  size?: number;
  /** Conv, BatchNorm, ReLU blocks (keys .0/.1/.3/.4); false: Conv, ReLU (keys .0/.2). Default true. */
  batchNorm?: boolean;
}

export interface SpanConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  /** feature_channels (48 in the published models). */
  numFeat?: number;
  upscale?: number;
  /**
   * True: the input is normalised as (x - rgb_mean) * 255 first (SPAN's default); false: the
   * file carries the `no_norm` buffer and the input goes in as it is. Default true.
   */
  norm?: boolean;
}

export interface SrvggConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  numFeat?: number;
  numConv: number;
  upscale?: number;
  /** PReLU stores slopes; ReLU and LeakyReLU(0.1) store nothing, so a file cannot tell them apart. */
  activation?: SrvggActivation;
}

export interface RrdbConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  numFeat?: number;
  numBlock: number;
  numGrowCh?: number;
  /** 1, 2, 4 or 8; with the BasicSR layout 1 and 2 mean a pixel-unshuffled input. Default 4. */
  scale?: number;
  /** Overrides what `scale` implies (conv_up1..N stages), for unusual combinations. */
  upsamples?: number;
  unshuffle?: number;
  layout?: RrdbLayout;
}

export type { RrdbLayout, RrdbShape, SrvggActivation };

/** Limits on what a name or a file may ask for, so that nobody can request a gigantic graph. */
export const LIMITS = {
  channels: 16,
  features: 1024,
  rrdbBlocks: 64,
  srvggConvs: 256,
  unetDepth: 6,
  unetBase: 256,
  /** Pixel-shuffle scale of SPAN (spandrel accepts the same range). */
  spanScale: 8,
} as const;

/** The family ids an upload may name to say "detect, but it must be this family". */
export const ARCHITECTURE_FAMILIES = {
  rrdb: "RRDBNet (ESRGAN / Real-ESRGAN)",
  srvgg: "SRVGGNetCompact (Real-ESRGAN compact)",
  unet: "U-Net (OCTA segmentation layout)",
  span: "SPAN (Swift Parameter-free Attention Network)",
  swinir: "SwinIR (Swin transformer image restoration)",
} as const;
export type ArchitectureFamily = keyof typeof ARCHITECTURE_FAMILIES;

/** How an architecture is configured; the graph builders read the same data. */
export type ArchitectureConfig =
  | { family: "unet"; config: UNetConfig }
  | { family: "srvgg"; config: SrvggConfig }
  | { family: "rrdb"; config: RrdbConfig }
  | { family: "span"; config: SpanConfig }
  | { family: "swinir"; config: SwinirConfig };

/** Upsampling stages and pixel-unshuffle factor a scale means in each layout. */
export function rrdbShape(config: RrdbConfig): RrdbShape & { scale: number } {
  const layout = config.layout ?? "basicsr";
  const scale = config.scale ?? 4;
  const implied =
    layout === "esrgan"
      ? { upsamples: Math.round(Math.log2(scale)), unshuffle: 1 }
      : scale >= 8
        ? { upsamples: 3, unshuffle: 1 }
        : { upsamples: 2, unshuffle: 4 / scale };
  const upsamples = config.upsamples ?? implied.upsamples;
  const unshuffle =
    config.unshuffle ??
    (config.upsamples === undefined ? implied.unshuffle : 2 ** config.upsamples / scale);
  if (2 ** upsamples / unshuffle !== scale || ![1, 2, 4].includes(unshuffle)) {
    throw new Error(
      `RRDBNet: scale ${scale} cannot be made of ${upsamples} x2 upsamplings and a pixel-unshuffle by ${unshuffle}`,
    );
  }
  return {
    inC: config.inChannels ?? 3,
    outC: config.outChannels ?? 3,
    feat: config.numFeat ?? 64,
    blocks: config.numBlock,
    grow: config.numGrowCh ?? 32,
    upsamples,
    unshuffle,
    layout,
    scale,
  };
}
