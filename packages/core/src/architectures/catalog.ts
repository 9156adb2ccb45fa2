// `@studio/core/architectures/catalog`: the architectures a state_dict upload can name, as data
// (ids, names, task kinds, documentation, expected keys, default specs). The graph builders
// live in `@studio/core/architectures` (they load the ONNX writer); the API lists and checks
// uploads with this part alone and leaves the conversion to the inference service.
import {
  OCTA_SEGMENTATION_SPEC,
  REAL_ESRGAN_X4_SPEC,
  SegmentationSpec,
  SuperResolutionSpec,
} from "../spec";
import {
  ARCHITECTURE_FAMILIES,
  type ArchitectureConfig,
  type RrdbConfig,
  rrdbShape,
  type SpanConfig,
  type SrvggConfig,
  type UNetConfig,
} from "./configs";
import { parseArchitectureId } from "./ids";
import {
  rrdbParameters,
  type SrvggActivation,
  spanParameters,
  srvggParameters,
  unetParameters,
} from "./param-specs";
import { swinirInfo } from "./swinir-info";
import type { ArchitectureInfo, ParamSpec } from "./types";

export type {
  ArchitectureConfig,
  ArchitectureFamily,
  RrdbConfig,
  RrdbLayout,
  SpanConfig,
  SrvggActivation,
  SrvggConfig,
  UNetConfig,
} from "./configs";
export { ARCHITECTURE_FAMILIES, LIMITS, rrdbShape } from "./configs";
export {
  ARCHITECTURE_FAMILY_DOCS,
  type ArchitectureFamilyDoc,
  type HyperparameterDoc,
} from "./families";
export { architectureId, parseArchitectureId } from "./ids";
export type { ArchitectureInfo, ParamSpec };

export function unetInfo(config: UNetConfig = {}): ArchitectureInfo {
  const inC = config.inChannels ?? 1;
  const outC = config.outChannels ?? 1;
  const base = config.base ?? 64;
  const depth = config.depth ?? 4;
  const size = config.size ?? 256;
  const batchNorm = config.batchNorm ?? true;
  if (size % 2 ** depth !== 0) {
    throw new Error(`U-Net input size ${size} is not a multiple of ${2 ** depth}`);
  }
  const width = (level: number) => base * 2 ** level;
  const encoders = depth === 1 ? "enc1" : `enc1-enc${depth}`;
  return {
    id: config.id ?? "octa-unet",
    name: config.name ?? "U-Net (OCTA segmentation)",
    family: "unet",
    taskKind: "segmentation",
    doc:
      `U-Net with encoder blocks ${encoders} (${width(0)}-${width(depth - 1)} channels), a ${width(depth)}-channel bottleneck, ` +
      `ConvTranspose2d(2, stride 2) upsampling with concatenated skips into dec${depth}-dec1, and a 1x1 final_conv. ` +
      (batchNorm
        ? "Each block is nn.Sequential(Conv3x3, BatchNorm2d, ReLU, Conv3x3, BatchNorm2d, ReLU). "
        : "Each block is nn.Sequential(Conv3x3, ReLU, Conv3x3, ReLU) (no BatchNorm). ") +
      `Input [N,${inC},${size},${size}] normalised as (x/255-0.5)/0.5, output logits [N,${outC},${size},${size}] (sigmoid, threshold 0.5).`,
    parameters: unetParameters(inC, outC, base, depth, batchNorm),
    input: { name: "input", shape: ["N", inC, size, size] },
    output: { name: "logits", shape: ["N", outC, size, size] },
    defaultSpec:
      size === 256 && inC === 1
        ? OCTA_SEGMENTATION_SPEC
        : SegmentationSpec.parse({
            ...OCTA_SEGMENTATION_SPEC,
            colorOrder: inC === 1 ? "gray" : "rgb",
            size: { mode: "fixed", width: size, height: size },
          }),
  };
}

function superResolutionSpec(scale: number, channels: number, multipleOf: number) {
  if (scale === 4 && channels === 3 && multipleOf === 1) return REAL_ESRGAN_X4_SPEC;
  return SuperResolutionSpec.parse({
    ...REAL_ESRGAN_X4_SPEC,
    scale,
    colorOrder: channels === 1 ? "gray" : "rgb",
    size: { mode: "dynamic", multipleOf },
  });
}

const ACTIVATION_DOC: Record<SrvggActivation, string> = {
  prelu: "PReLU",
  relu: "ReLU",
  leakyrelu: "LeakyReLU(0.1)",
};

export function srvggInfo(config: SrvggConfig): ArchitectureInfo {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const upscale = config.upscale ?? 4;
  const activation = config.activation ?? "prelu";
  const { numConv } = config;
  return {
    id: config.id,
    name: config.name,
    family: "srvgg",
    taskKind: "super_resolution",
    doc:
      `SRVGGNetCompact (Real-ESRGAN, basicsr/archs/srvgg_arch.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `num_feat=${feat}, num_conv=${numConv}, upscale=${upscale}, act_type='${activation}': ${numConv + 2} 3x3 convolutions ` +
      `with ${ACTIVATION_DOC[activation]} between them, PixelShuffle, plus the nearest-upsampled input as a residual. RGB in 0..1, any size.`,
    parameters: srvggParameters(inC, outC, feat, numConv, upscale, activation),
    input: { name: "input", shape: ["N", inC, "H", "W"] },
    output: { name: "output", shape: ["N", outC, `H*${upscale}`, `W*${upscale}`] },
    defaultSpec: superResolutionSpec(upscale, inC, 1),
  };
}

export function rrdbInfo(config: RrdbConfig): ArchitectureInfo {
  const shape = rrdbShape(config);
  const { inC, outC, feat, blocks, grow, scale, unshuffle, upsamples } = shape;
  const unshuffled =
    unshuffle > 1
      ? `pixel-unshuffle by ${unshuffle} (input sides must be multiples of ${unshuffle}), `
      : "";
  return {
    id: config.id,
    name: config.name,
    family: "rrdb",
    taskKind: "super_resolution",
    doc:
      `RRDBNet (ESRGAN / Real-ESRGAN, basicsr/archs/rrdbnet_arch.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `scale=${scale}, num_feat=${feat}, num_block=${blocks}, num_grow_ch=${grow}${
        shape.layout === "esrgan"
          ? " in the original ESRGAN key layout (model.0, model.1.sub.N...)"
          : ""
      }: ${unshuffled}${blocks} residual-in-residual dense blocks, ` +
      `${upsamples} nearest x2 upsampling(s) with convolutions, LeakyReLU(0.2). RGB in 0..1, any size.`,
    parameters: rrdbParameters(shape),
    input: { name: "input", shape: ["N", inC, "H", "W"] },
    output: { name: "output", shape: ["N", outC, `H*${scale}`, `W*${scale}`] },
    defaultSpec: superResolutionSpec(scale, inC, unshuffle),
  };
}

/** SPAN's input normalisation: not stored in the weights, so the defaults spandrel assumes. */
export const SPAN_RGB_MEAN = [0.4488, 0.4371, 0.404] as const;
export const SPAN_IMG_RANGE = 255;

export function spanInfo(config: SpanConfig): ArchitectureInfo {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 48;
  const upscale = config.upscale ?? 4;
  const norm = config.norm ?? true;
  return {
    id: config.id,
    name: config.name,
    family: "span",
    taskKind: "super_resolution",
    doc:
      `SPAN (Swift Parameter-free Attention Network, as spandrel's span.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `feature_channels=${feat}, upscale=${upscale}, norm=${norm ? "True" : "False"}: ` +
      (norm
        ? `the input is normalised as (x - (${SPAN_RGB_MEAN.join(", ")})) * ${SPAN_IMG_RANGE}, then `
        : "the input is used as it is (the file carries `no_norm`), then ") +
      "a Conv3XC stem, 6 parameter-free attention blocks (three Conv3XC with SiLU, attention sigmoid(x) - 0.5), " +
      "a 1x1 conv over 4 feature maps, a Conv3XC and a PixelShuffle convolution. Each Conv3XC is evaluated as the 3x3 " +
      "convolution PyTorch folds from its 1x1-3x3-1x1 branch and 1x1 skip (the stored eval_conv is recomputed, as in eval mode). " +
      `RGB in 0..1, any size.`,
    parameters: spanParameters(inC, outC, feat, upscale, norm),
    input: { name: "input", shape: ["N", inC, "H", "W"] },
    output: { name: "output", shape: ["N", outC, `H*${upscale}`, `W*${upscale}`] },
    defaultSpec: superResolutionSpec(upscale, inC, 1),
  };
}

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
  return new Error(
    `unknown architecture '${id}' (known: ${ARCHITECTURE_IDS.join(", ")}, a family to detect: ${Object.keys(ARCHITECTURE_FAMILIES).join(", ")}, or a detected id such as rrdbnet-x4-nf64-nb23-gc32)`,
  );
}

// Parameter lists are built lazily because RRDBNet alone has ~700 keys.
const infos = new Map<string, ArchitectureInfo>();

/** The configuration of a fixed id (octa-unet, ...) or of a generated one (rrdbnet-x2-nf64-...). */
export function architectureConfig(id: string): ArchitectureConfig | null {
  return ARCHITECTURE_CONFIGS[id] ?? parseArchitectureId(id);
}

/** Whether `id` names a concrete architecture: one of the fixed ids or a generated one. */
export function isArchitectureId(id: string): boolean {
  return architectureConfig(id) !== null;
}

export function infoFor(entry: ArchitectureConfig): ArchitectureInfo {
  if (entry.family === "unet") return unetInfo(entry.config);
  if (entry.family === "srvgg") return srvggInfo(entry.config);
  if (entry.family === "span") return spanInfo(entry.config);
  if (entry.family === "swinir") return swinirInfo(entry.config);
  return rrdbInfo(entry.config);
}

export function getArchitectureInfo(id: string): ArchitectureInfo {
  const cached = infos.get(id);
  if (cached) return cached;
  const entry = architectureConfig(id);
  if (!entry) throw unknownArchitecture(id);
  const info = infoFor(entry);
  // Generated ids are unbounded in number; only the fixed ones stay cached.
  if (ARCHITECTURE_CONFIGS[id]) infos.set(id, info);
  return info;
}

export function listArchitectureInfos(): ArchitectureInfo[] {
  return ARCHITECTURE_IDS.map(getArchitectureInfo);
}

export function parameterCount(architecture: ArchitectureInfo): number {
  return architecture.parameters
    .filter((p) => p.required && p.counted !== false)
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
