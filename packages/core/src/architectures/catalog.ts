// `@studio/core/architectures/catalog`: the architectures a state_dict upload can name, as data
// (ids, names, task kinds, documentation, expected keys, default specs). The graph builders
// live in `@studio/core/architectures` (they load the ONNX writer); the API lists and checks
// uploads with this part alone and leaves the conversion to the inference service.
import { OCTA_SEGMENTATION_SPEC, REAL_ESRGAN_X4_SPEC, SuperResolutionSpec } from "../spec";
import { rrdbParameters, srvggParameters, unetParameters } from "./param-specs";
import type { ArchitectureInfo, ParamSpec } from "./types";

export type { ArchitectureInfo, ParamSpec };

export interface UNetConfig {
  id?: string;
  inChannels?: number;
  outChannels?: number;
  /** Channels of enc1; each level doubles it (64 -> 1024 in the bottleneck). */
  base?: number;
  /** Fixed input side; must be a multiple of 16 (four 2x2 poolings). */
  size?: number;
}

export interface SrvggConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  numFeat?: number;
  numConv: number;
  upscale?: number;
}

export interface RrdbConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  numFeat?: number;
  numBlock: number;
  numGrowCh?: number;
}

export function unetInfo(config: UNetConfig = {}): ArchitectureInfo {
  const inC = config.inChannels ?? 1;
  const outC = config.outChannels ?? 1;
  const base = config.base ?? 64;
  const size = config.size ?? 256;
  if (size % 16 !== 0) throw new Error(`U-Net input size ${size} is not a multiple of 16`);
  const width = (level: number) => base * 2 ** level;
  return {
    id: config.id ?? "octa-unet",
    name: "U-Net (OCTA segmentation)",
    family: "unet",
    taskKind: "segmentation",
    doc:
      `U-Net with encoder blocks enc1-enc4 (${width(0)}-${width(3)} channels), a ${width(4)}-channel bottleneck, ` +
      "ConvTranspose2d(2, stride 2) upsampling with concatenated skips into dec4-dec1, and a 1x1 final_conv. " +
      "Each block is nn.Sequential(Conv3x3, BatchNorm2d, ReLU, Conv3x3, BatchNorm2d, ReLU). " +
      `Input [N,${inC},${size},${size}] normalised as (x/255-0.5)/0.5, output logits [N,${outC},${size},${size}] (sigmoid, threshold 0.5). ` +
      "See packages/core/src/architectures/README.md for the PyTorch module.",
    parameters: unetParameters(inC, outC, base),
    input: { name: "input", shape: ["N", inC, size, size] },
    output: { name: "logits", shape: ["N", outC, size, size] },
    defaultSpec: OCTA_SEGMENTATION_SPEC,
  };
}

export function srvggInfo(config: SrvggConfig): ArchitectureInfo {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const upscale = config.upscale ?? 4;
  const { numConv } = config;
  const defaultSpec =
    upscale === 4
      ? REAL_ESRGAN_X4_SPEC
      : SuperResolutionSpec.parse({ ...REAL_ESRGAN_X4_SPEC, scale: upscale });
  return {
    id: config.id,
    name: config.name,
    family: "srvgg",
    taskKind: "super_resolution",
    doc:
      `SRVGGNetCompact (Real-ESRGAN, basicsr/archs/srvgg_arch.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `num_feat=${feat}, num_conv=${numConv}, upscale=${upscale}, act_type='prelu': ${numConv + 2} 3x3 convolutions ` +
      "with PReLU between them, PixelShuffle, plus the nearest-upsampled input as a residual. RGB in 0..1, any size.",
    parameters: srvggParameters(inC, outC, feat, numConv, upscale),
    input: { name: "input", shape: ["N", inC, "H", "W"] },
    output: { name: "output", shape: ["N", outC, `H*${upscale}`, `W*${upscale}`] },
    defaultSpec,
  };
}

export function rrdbInfo(config: RrdbConfig): ArchitectureInfo {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const grow = config.numGrowCh ?? 32;
  const blocks = config.numBlock;
  return {
    id: config.id,
    name: config.name,
    family: "rrdb",
    taskKind: "super_resolution",
    doc:
      `RRDBNet (ESRGAN / Real-ESRGAN, basicsr/archs/rrdbnet_arch.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `scale=4, num_feat=${feat}, num_block=${blocks}, num_grow_ch=${grow}: ${blocks} residual-in-residual dense blocks, ` +
      "two nearest x2 upsamplings with convolutions, LeakyReLU(0.2). RGB in 0..1, any size.",
    parameters: rrdbParameters(inC, outC, feat, blocks, grow),
    input: { name: "input", shape: ["N", inC, "H", "W"] },
    output: { name: "output", shape: ["N", outC, "H*4", "W*4"] },
    defaultSpec: REAL_ESRGAN_X4_SPEC,
  };
}

/** How each registered architecture is configured; the graph builders read the same table. */
export type ArchitectureConfig =
  | { family: "unet"; config: UNetConfig }
  | { family: "srvgg"; config: SrvggConfig }
  | { family: "rrdb"; config: RrdbConfig };

export const ARCHITECTURE_CONFIGS: Readonly<Record<string, ArchitectureConfig>> = {
  "octa-unet": { family: "unet", config: { id: "octa-unet" } },
  "realesr-general-x4v3": {
    family: "srvgg",
    config: {
      id: "realesr-general-x4v3",
      name: "Real-ESRGAN general x4 v3 (SRVGGNetCompact)",
      numConv: 32,
    },
  },
  "realesr-animevideov3": {
    family: "srvgg",
    config: {
      id: "realesr-animevideov3",
      name: "Real-ESRGAN anime video v3 (SRVGGNetCompact)",
      numConv: 16,
    },
  },
  "realesrgan-x4plus": {
    family: "rrdb",
    config: {
      id: "realesrgan-x4plus",
      name: "Real-ESRGAN x4plus (RRDBNet, 23 blocks)",
      numBlock: 23,
    },
  },
  "realesrgan-x4plus-anime-6b": {
    family: "rrdb",
    config: {
      id: "realesrgan-x4plus-anime-6b",
      name: "Real-ESRGAN x4plus anime 6B (RRDBNet, 6 blocks)",
      numBlock: 6,
    },
  },
};

/** The architectures a PyTorch/safetensors upload can be registered for. */
export const ARCHITECTURE_IDS = Object.keys(ARCHITECTURE_CONFIGS);

export function unknownArchitecture(id: string): Error {
  return new Error(`unknown architecture '${id}' (known: ${ARCHITECTURE_IDS.join(", ")})`);
}

// Parameter lists are built lazily because RRDBNet alone has ~700 keys.
const infos = new Map<string, ArchitectureInfo>();

export function getArchitectureInfo(id: string): ArchitectureInfo {
  const cached = infos.get(id);
  if (cached) return cached;
  const entry = ARCHITECTURE_CONFIGS[id];
  if (!entry) throw unknownArchitecture(id);
  const info =
    entry.family === "unet"
      ? unetInfo(entry.config)
      : entry.family === "srvgg"
        ? srvggInfo(entry.config)
        : rrdbInfo(entry.config);
  infos.set(id, info);
  return info;
}

export function listArchitectureInfos(): ArchitectureInfo[] {
  return ARCHITECTURE_IDS.map(getArchitectureInfo);
}

export function parameterCount(architecture: ArchitectureInfo): number {
  return architecture.parameters
    .filter((p) => p.required)
    .reduce((sum, p) => sum + p.shape.reduce((n, d) => n * d, 1), 0);
}

/** JSON-safe description of an architecture, for listing it in the API and the UI. */
export interface ArchitectureSummary {
  id: string;
  name: string;
  family: ArchitectureInfo["family"];
  taskKind: ArchitectureInfo["taskKind"];
  doc: string;
  input: ArchitectureInfo["input"];
  output: ArchitectureInfo["output"];
  defaultSpec: ArchitectureInfo["defaultSpec"];
  parameterCount: number;
  requiredKeys: number;
}

export function describeArchitecture(architecture: ArchitectureInfo): ArchitectureSummary {
  return {
    id: architecture.id,
    name: architecture.name,
    family: architecture.family,
    taskKind: architecture.taskKind,
    doc: architecture.doc,
    input: architecture.input,
    output: architecture.output,
    defaultSpec: architecture.defaultSpec,
    parameterCount: parameterCount(architecture),
    requiredKeys: architecture.parameters.filter((p) => p.required).length,
  };
}
