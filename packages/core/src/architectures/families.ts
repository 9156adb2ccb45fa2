// What each architecture family accepts, as data the API lists and the web shows: how a file is
// recognised, which hyperparameters are read from its shapes (with the ranges accepted, the
// same LIMITS detection and id parsing enforce) and what the weights cannot tell. The keys of
// `hyperparameters` are those of a detection's `hyperparameters`, so the UI can label both.
import type { TaskKind } from "../spec";
import { type ArchitectureFamily, LIMITS } from "./configs";
import { SWINIR_LIMITS, SWINIR_SCALES } from "./swinir-config";

export interface HyperparameterDoc {
  /** The key in a detection's `hyperparameters` (and the UI's label key). */
  key: string;
  /** The PyTorch constructor argument it corresponds to. */
  pytorch: string;
  /** Accepted whole numbers, inclusive... */
  range?: { min: number; max: number };
  /** ...or the accepted values. */
  values?: (number | string)[];
  /** Where detection reads it. */
  readFrom: string;
}

export interface ArchitectureFamilyDoc {
  family: ArchitectureFamily;
  name: string;
  taskKind: TaskKind;
  summary: string;
  /** Key names that identify the family (N, K: indexes). */
  recognisedBy: string[];
  /** The generated id that spells every hyperparameter (ids.ts). */
  idPattern: string;
  hyperparameters: HyperparameterDoc[];
  /** What the weights cannot tell, and what is assumed. */
  assumed: string[];
  /** Ids that name a configuration of this family (fixed or generated). */
  examples: string[];
}

/** A whole-number hyperparameter from 1 to `max`. */
const upTo = (key: string, pytorch: string, max: number, readFrom: string): HyperparameterDoc => ({
  key,
  pytorch,
  range: { min: 1, max },
  readFrom,
});
const channels = (key: string, pytorch: string, readFrom: string) =>
  upTo(key, pytorch, LIMITS.channels, readFrom);

export const ARCHITECTURE_FAMILY_DOCS: readonly ArchitectureFamilyDoc[] = [
  {
    family: "rrdb",
    name: "RRDBNet (ESRGAN / Real-ESRGAN)",
    taskKind: "super_resolution",
    summary:
      "Residual-in-residual dense blocks, nearest x2 upsamplings; x1 and x2 models pixel-unshuffle their input (sides must be multiples of 4 or 2).",
    recognisedBy: [
      "BasicSR: conv_first, body.N.rdbK.convM, conv_body, conv_up1..3, conv_hr, conv_last",
      "original ESRGAN: model.0, model.1.sub.N.RDBK.convM.0, model.3/6/9, conv_hr and conv_last at the end",
    ],
    idPattern: "rrdbnet-x{scale}-nf{numFeat}-nb{numBlock}-gc{numGrowCh}[-in{C}][-out{C}][-esrgan]",
    hyperparameters: [
      {
        key: "scale",
        pytorch: "scale",
        values: [1, 2, 4, 8],
        readFrom: "upsamplings and pixel-unshuffle",
      },
      upTo("numFeat", "num_feat", LIMITS.features, "conv_first output channels"),
      upTo("numBlock", "num_block", LIMITS.rrdbBlocks, "count of body.N"),
      upTo("numGrowCh", "num_grow_ch", LIMITS.features, "rdb1.conv1 output channels"),
      channels("inChannels", "num_in_ch", "conv_first input channels / unshuffle^2"),
      channels("outChannels", "num_out_ch", "conv_last output channels"),
      {
        key: "layout",
        pytorch: "(key layout)",
        values: ["BasicSR", "ESRGAN (model.N)"],
        readFrom: "key names",
      },
    ],
    assumed: [],
    examples: ["realesrgan-x4plus", "realesrgan-x4plus-anime-6b", "rrdbnet-x2-nf64-nb23-gc32"],
  },
  {
    family: "srvgg",
    name: "SRVGGNetCompact (Real-ESRGAN compact)",
    taskKind: "super_resolution",
    summary:
      "A plain stack of 3x3 convolutions with activations, a pixel shuffle, plus the nearest-upsampled input.",
    recognisedBy: ["body.N.weight / body.N.bias only"],
    idPattern: "srvgg-x{scale}-nf{numFeat}-nc{numConv}[-ch{C}][-relu|-lrelu]",
    hyperparameters: [
      upTo("scale", "upscale", 8, "last conv output = channels x scale^2"),
      upTo("numFeat", "num_feat", LIMITS.features, "body.0 output channels"),
      upTo("numConv", "num_conv", LIMITS.srvggConvs, "last index = 2 num_conv + 2"),
      channels("channels", "num_in_ch = num_out_ch", "body.0 input channels"),
      {
        key: "activation",
        pytorch: "act_type",
        values: ["PReLU", "ReLU", "LeakyReLU"],
        readFrom: "PReLU slopes at body.1 (ReLU and LeakyReLU store none)",
      },
    ],
    assumed: [
      "ReLU and LeakyReLU(0.1) store no weights: ReLU is assumed unless the id ends in -lrelu",
    ],
    examples: ["realesr-general-x4v3", "realesr-animevideov3", "srvgg-x2-nf64-nc16"],
  },
  {
    family: "span",
    name: "SPAN (Swift Parameter-free Attention Network)",
    taskKind: "super_resolution",
    summary:
      "Six parameter-free attention blocks of re-parameterisable Conv3XC convolutions and a pixel shuffle (the 4x-spanx4_ch48 family).",
    recognisedBy: [
      "conv_1.sk / .conv.0-2 / .eval_conv, block_1..6.c1_r..c3_r (same), conv_cat, conv_2, upsampler.0, optional no_norm",
    ],
    idPattern: "span-x{scale}-nf{featureChannels}[-in{C}][-out{C}][-nonorm]",
    hyperparameters: [
      upTo("scale", "upscale", LIMITS.spanScale, "upsampler.0 output = out channels x scale^2"),
      upTo("featureChannels", "feature_channels", LIMITS.features, "conv_1.sk output channels"),
      channels("inChannels", "num_in_ch", "conv_1.sk input channels"),
      channels("outChannels", "num_out_ch", "upsampler.0 (tried: the input channels, 3, 4, 1)"),
      {
        key: "normalisation",
        pytorch: "norm",
        values: ["(x - rgb_mean) * 255", "none (no_norm)"],
        readFrom:
          "the no_norm buffer (present: no normalisation, which any channel count allows; absent: 3 input channels)",
      },
    ],
    assumed: [
      "img_range 255 and rgb_mean (0.4488, 0.4371, 0.4040) are not stored: SPAN's defaults are assumed, as spandrel does",
      "the stored eval_conv tensors are recomputed from each Conv3XC's branches, as PyTorch does in eval mode",
    ],
    examples: ["span-x4-nf48", "span-x2-nf48-nonorm"],
  },
  {
    family: "unet",
    name: "U-Net (OCTA segmentation layout)",
    taskKind: "segmentation",
    summary:
      "encK / bottleneck / upconvK / decK / final_conv blocks of two 3x3 convolutions, with or without BatchNorm; input fixed at 256x256.",
    recognisedBy: [
      "encK.{0,1,3,4}, bottleneck, upconvK, decK, final_conv (with BatchNorm)",
      "encK.{0,2}, bottleneck, upconvK, decK, final_conv (without)",
    ],
    idPattern: "unet-d{depth}-b{base}-in{C}-out{C}[-nobn]",
    hyperparameters: [
      upTo("depth", "(encoder blocks)", LIMITS.unetDepth, "count of encK"),
      upTo("base", "(enc1 width)", LIMITS.unetBase, "enc1.0 output channels"),
      channels("inChannels", "in_channels", "enc1.0 input channels"),
      channels("outChannels", "out_channels", "final_conv output channels"),
      {
        key: "batchNorm",
        pytorch: "(block layout)",
        values: ["yes", "no"],
        readFrom: "enc1.1 (BatchNorm) or enc1.2 (second conv)",
      },
    ],
    assumed: ["the input size is fixed at 256x256 (the OCTA contract)"],
    examples: ["octa-unet", "unet-d4-b32-in3-out1-nobn"],
  },
  {
    family: "swinir",
    name: "SwinIR (Swin transformer image restoration)",
    taskKind: "super_resolution",
    summary:
      "Residual groups of shifted-window attention blocks; classical (pixelshuffle), lightweight (pixelshuffledirect), real-world (nearest+conv) and denoise / JPEG (no upsampler) variants. Tiles follow the window grid.",
    recognisedBy: [
      "conv_first, patch_embed.norm, layers.N.residual_group.blocks.K.attn / mlp / norm1 / norm2, layers.N.conv, norm, conv_after_body, then the upsampler's keys",
    ],
    idPattern:
      "swinir-x{scale}-e{embedDim}-d{depths}-h{numHeads}-w{windowSize}-mlp{hidden}-s{imgSize}-{pixelshuffle|pixelshuffledirect|nearestconv|none}[-nf{numFeat}][-3conv][-ch{C}][-r255]",
    hyperparameters: [
      {
        key: "variant",
        pytorch: "upsampler",
        values: ["pixelshuffle", "pixelshuffledirect", "nearest+conv", "(none)"],
        readFrom: "which reconstruction keys exist",
      },
      {
        key: "scale",
        pytorch: "upscale",
        values: [...new Set(Object.values(SWINIR_SCALES).flat())].sort((a, b) => a - b),
        readFrom: "the upsampler's convolutions",
      },
      {
        key: "channels",
        pytorch: "in_chans",
        values: [1, 3],
        readFrom: "conv_first input channels",
      },
      upTo("embedDim", "embed_dim", SWINIR_LIMITS.embedDim, "conv_first output channels"),
      {
        key: "depths",
        pytorch: "depths",
        range: { min: 1, max: SWINIR_LIMITS.depth },
        readFrom: `blocks per layers.N (up to ${SWINIR_LIMITS.groups} groups)`,
      },
      upTo(
        "numHeads",
        "num_heads",
        SWINIR_LIMITS.heads,
        "relative_position_bias_table columns (must divide embed_dim)",
      ),
      {
        key: "windowSize",
        pytorch: "window_size",
        range: { min: 2, max: SWINIR_LIMITS.windowSize },
        readFrom: "relative_position_bias_table rows = (2 window - 1)^2",
      },
      {
        key: "mlpRatio",
        pytorch: "mlp_ratio",
        readFrom: `mlp.fc1 output / embed_dim (hidden width up to ${SWINIR_LIMITS.mlpHidden})`,
      },
      upTo(
        "imgSize",
        "img_size",
        SWINIR_LIMITS.imgSize,
        "attn_mask windows (a multiple of the window size)",
      ),
      {
        key: "imgRange",
        pytorch: "img_range",
        values: [1, 255],
        readFrom: "not stored: 255 assumed for window size 7 (the JPEG models), else 1",
      },
      {
        key: "resiConnection",
        pytorch: "resi_connection",
        values: ["1conv", "3conv"],
        readFrom: "layers.N.conv keys",
      },
      upTo("numFeat", "num_feat", SWINIR_LIMITS.numFeat, "conv_before_upsample.0 output channels"),
    ],
    assumed: [
      "img_range is not stored: 255 is assumed for window size 7 (the JPEG artifact models), else 1, as spandrel does; the -r255 id suffix chooses",
    ],
    examples: ["swinir-x2-e180-d6x6-h6x6-w8-mlp360-s64-pixelshuffle-nf64"],
  },
];
