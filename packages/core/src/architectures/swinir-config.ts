// SwinIR (JingyunLiang/SwinIR, models/network_swinir.py): its configuration, the limits a file or
// a name may ask for, and the state_dict keys and shapes it implies. Plain data, shared by the
// catalog, the id parser, detection and the graph builder.
import type { ParamSpec } from "./types";

/** The reconstruction module: classical, lightweight, real-world, or none (denoise / JPEG). */
export type SwinirUpsampler = "pixelshuffle" | "pixelshuffledirect" | "nearest+conv" | "";

export interface SwinirConfig {
  id: string;
  name: string;
  /** Output / input size ratio: 1 for '' (denoise, JPEG), else what the upsampler makes. */
  scale: number;
  /** in_chans; SwinIR's output has as many channels. 3 subtracts the DIV2K mean. Default 3. */
  inChannels?: number;
  embedDim: number;
  /** Swin blocks per residual group (RSTB). */
  depths: number[];
  numHeads: number[];
  windowSize: number;
  /** Hidden width of each block's MLP: int(embed_dim * mlp_ratio). */
  mlpHidden: number;
  /** Training patch size; only the stored attn_mask buffers' shapes depend on it. */
  imgSize: number;
  upsampler: SwinirUpsampler;
  /** Channels of the 'pixelshuffle' / 'nearest+conv' reconstruction (64 in the official code). */
  numFeat?: number;
  resiConnection?: "1conv" | "3conv";
  /** 1, or 255 for the JPEG artifact models: inputs are scaled by it inside the network. */
  imgRange?: number;
}

/** What a name or a file may ask for, so that nobody can request a gigantic graph. */
export const SWINIR_LIMITS = {
  embedDim: 1024,
  groups: 16,
  depth: 32,
  heads: 64,
  /**
   * The relative position bias is gathered at build time into an [heads, ws^2, ws^2] constant
   * per block: window 16 already makes 256 KB per head and block.
   */
  windowSize: 16,
  mlpHidden: 8192,
  imgSize: 1024,
  numFeat: 1024,
} as const;

/**
 * img_size of a file that does not tell it (no attn_mask buffers): the smallest multiple of the
 * window from 64, SwinIR's default patch size. It changes nothing in the computation.
 */
export function defaultImgSize(windowSize: number): number {
  return Math.ceil(64 / windowSize) * windowSize;
}

/** Whether any block shifts its windows (only those store attn_mask, which shows img_size). */
export function hasShiftedBlocks(depths: readonly number[]): boolean {
  return depths.some((d) => d > 1);
}

/** DIV2K's RGB mean, which SwinIR subtracts from 3-channel inputs (and adds back). */
export const SWINIR_RGB_MEAN = [0.4488, 0.4371, 0.404] as const;

/** Scales each upsampler can make (the official code, plus spandrel's x2 / x8 nearest+conv). */
export const SWINIR_SCALES: Record<SwinirUpsampler, readonly number[]> = {
  pixelshuffle: [1, 2, 3, 4, 8],
  pixelshuffledirect: [1, 2, 3, 4, 8],
  "nearest+conv": [2, 4, 8],
  "": [1],
};

/** A configuration with its defaults applied. */
export interface SwinirShape {
  scale: number;
  inC: number;
  embed: number;
  depths: readonly number[];
  heads: readonly number[];
  ws: number;
  hidden: number;
  imgSize: number;
  upsampler: SwinirUpsampler;
  numFeat: number;
  resi: "1conv" | "3conv";
  imgRange: number;
}

/** Defaults applied, and every rule the official constructor would assert or crash on. */
export function swinirShape(config: SwinirConfig): SwinirShape {
  const shape: SwinirShape = {
    scale: config.scale,
    inC: config.inChannels ?? 3,
    embed: config.embedDim,
    depths: config.depths,
    heads: config.numHeads,
    ws: config.windowSize,
    hidden: config.mlpHidden,
    imgSize: config.imgSize,
    upsampler: config.upsampler,
    numFeat: config.numFeat ?? 64,
    resi: config.resiConnection ?? "1conv",
    imgRange: config.imgRange ?? 1,
  };
  const problem = swinirProblem(shape);
  if (problem) throw new Error(`SwinIR: ${problem}`);
  return shape;
}

const within = (n: number, max: number, min = 1) => Number.isInteger(n) && n >= min && n <= max;

function swinirProblem(s: SwinirShape): string | null {
  const L = SWINIR_LIMITS;
  if (!SWINIR_SCALES[s.upsampler]?.includes(s.scale)) {
    return `upsampler '${s.upsampler || "none"}' makes scale ${SWINIR_SCALES[s.upsampler]?.join(", ")}, not ${s.scale}`;
  }
  // 3 (RGB, the DIV2K mean subtracted) or 1 (gray, nothing subtracted): the official models.
  if (s.inC !== 1 && s.inC !== 3) return `${s.inC} input channels, not 1 (gray) or 3 (RGB)`;
  if (!within(s.embed, L.embedDim)) return `embed_dim ${s.embed} is outside 1..${L.embedDim}`;
  if (s.depths.length === 0 || s.depths.length > L.groups) {
    return `${s.depths.length} residual groups is outside 1..${L.groups}`;
  }
  if (s.heads.length !== s.depths.length) {
    return `${s.heads.length} head counts for ${s.depths.length} residual groups`;
  }
  if (!s.depths.every((d) => within(d, L.depth))) return `a depth is outside 1..${L.depth}`;
  for (const h of s.heads) {
    if (!within(h, L.heads) || s.embed % h !== 0) {
      return `${h} heads do not divide embed_dim ${s.embed} (or are outside 1..${L.heads})`;
    }
  }
  if (!within(s.ws, L.windowSize, 2)) return `window size ${s.ws} is outside 2..${L.windowSize}`;
  if (!within(s.hidden, L.mlpHidden)) return `MLP width ${s.hidden} is outside 1..${L.mlpHidden}`;
  // Below this the official blocks silently stop shifting and shrink their window.
  if (!within(s.imgSize, L.imgSize) || s.imgSize <= s.ws || s.imgSize % s.ws !== 0) {
    return `img_size ${s.imgSize} must be a multiple of the window size ${s.ws} above it`;
  }
  if (!within(s.numFeat, L.numFeat)) return `num_feat ${s.numFeat} is outside 1..${L.numFeat}`;
  if (s.resi === "3conv" && s.embed % 4 !== 0) {
    return `resi_connection '3conv' needs embed_dim divisible by 4, not ${s.embed}`;
  }
  if (s.imgRange !== 1 && s.imgRange !== 255) return `img_range ${s.imgRange} is not 1 or 255`;
  if (s.upsampler === "" && s.scale !== 1) return "without an upsampler the scale is 1";
  return null;
}

/** Whether a configuration is one the graph builder accepts (for parsing ids and detection). */
export function isValidSwinir(config: SwinirConfig): boolean {
  try {
    swinirShape(config);
    return true;
  } catch {
    return false;
  }
}

const conv = (name: string, outC: number, inC: number, k: number): ParamSpec[] => [
  { name: `${name}.weight`, shape: [outC, inC, k, k], required: true },
  { name: `${name}.bias`, shape: [outC], required: true },
];
const linear = (name: string, outF: number, inF: number): ParamSpec[] => [
  { name: `${name}.weight`, shape: [outF, inF], required: true },
  { name: `${name}.bias`, shape: [outF], required: true },
];
const norm = (name: string, dim: number): ParamSpec[] => [
  { name: `${name}.weight`, shape: [dim], required: true },
  { name: `${name}.bias`, shape: [dim], required: true },
];

/** '1conv' is one 3x3 conv; '3conv' is Sequential(conv3x3 /4, LReLU, conv1x1, LReLU, conv3x3 x4). */
function residualConv(name: string, dim: number, resi: "1conv" | "3conv"): ParamSpec[] {
  if (resi === "1conv") return conv(name, dim, dim, 3);
  const q = dim / 4;
  return [
    ...conv(`${name}.0`, q, dim, 3),
    ...conv(`${name}.2`, q, q, 1),
    ...conv(`${name}.4`, dim, q, 3),
  ];
}

/** log2 of a power of two, else null. */
export function powerOfTwo(n: number): number | null {
  const e = Math.round(Math.log2(n));
  return 2 ** e === n ? e : null;
}

/**
 * The keys of SwinIR's state_dict. relative_position_index and attn_mask are buffers the code
 * recomputes from the window size (and img_size): the graph builds them itself, so they are
 * checked for shape when present but not required, and their int64 dtype is accepted.
 */
export function swinirParameters(config: SwinirConfig): ParamSpec[] {
  const s = swinirShape(config);
  const L = s.ws * s.ws;
  const windows = (s.imgSize / s.ws) ** 2;
  const specs: ParamSpec[] = [...conv("conv_first", s.embed, s.inC, 3)];
  specs.push(...norm("patch_embed.norm", s.embed));
  s.depths.forEach((depth, i) => {
    const heads = s.heads[i] as number;
    for (let j = 0; j < depth; j++) {
      const b = `layers.${i}.residual_group.blocks.${j}`;
      specs.push(...norm(`${b}.norm1`, s.embed));
      specs.push({
        name: `${b}.attn.relative_position_bias_table`,
        shape: [(2 * s.ws - 1) ** 2, heads],
        required: true,
      });
      specs.push({ name: `${b}.attn.relative_position_index`, shape: [L, L], required: false });
      specs.push(...linear(`${b}.attn.qkv`, 3 * s.embed, s.embed));
      specs.push(...linear(`${b}.attn.proj`, s.embed, s.embed));
      specs.push(...norm(`${b}.norm2`, s.embed));
      specs.push(...linear(`${b}.mlp.fc1`, s.hidden, s.embed));
      specs.push(...linear(`${b}.mlp.fc2`, s.embed, s.hidden));
      if (j % 2 === 1)
        specs.push({ name: `${b}.attn_mask`, shape: [windows, L, L], required: false });
    }
    specs.push(...residualConv(`layers.${i}.conv`, s.embed, s.resi));
  });
  specs.push(...norm("norm", s.embed));
  specs.push(...residualConv("conv_after_body", s.embed, s.resi));
  const nf = s.numFeat;
  if (s.upsampler === "pixelshuffle") {
    specs.push(...conv("conv_before_upsample.0", nf, s.embed, 3));
    if (s.scale === 3) specs.push(...conv("upsample.0", 9 * nf, nf, 3));
    else {
      for (let k = 0; k < (powerOfTwo(s.scale) as number); k++) {
        specs.push(...conv(`upsample.${2 * k}`, 4 * nf, nf, 3));
      }
    }
    specs.push(...conv("conv_last", s.inC, nf, 3));
  } else if (s.upsampler === "pixelshuffledirect") {
    specs.push(...conv("upsample.0", s.scale * s.scale * s.inC, s.embed, 3));
  } else if (s.upsampler === "nearest+conv") {
    specs.push(...conv("conv_before_upsample.0", nf, s.embed, 3));
    for (let u = 1; u <= (powerOfTwo(s.scale) as number); u++) {
      specs.push(...conv(`conv_up${u}`, nf, nf, 3));
    }
    specs.push(...conv("conv_hr", nf, nf, 3));
    specs.push(...conv("conv_last", s.inC, nf, 3));
  } else {
    specs.push(...conv("conv_last", s.inC, s.embed, 3));
  }
  return specs;
}
