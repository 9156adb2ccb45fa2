// What a SwinIR configuration is, for the catalog: documentation, keys, input/output and the
// default spec (whose size.multipleOf makes the tiler cut tiles on the window grid).
import { REAL_ESRGAN_X4_SPEC, SuperResolutionSpec } from "../spec";
import {
  type SwinirConfig,
  type SwinirShape,
  swinirParameters,
  swinirShape,
} from "./swinir-config";
import type { ArchitectureInfo } from "./types";

/**
 * Receptive field in input px for the tile overlap: a window attention reaches ws - 1 px, a 3x3
 * conv 1 px. The theoretical field of a real SwinIR is hundreds of px (36 blocks of window 8),
 * but like any trained network its effective field is far smaller; SwinIR's own test script
 * tiles with an overlap of 32 px, so 32 is the cap.
 */
export function swinirReceptiveField(s: SwinirShape): number {
  const blocks = s.depths.reduce((a, b) => a + b, 0);
  const convs = 2 + s.depths.length * (s.resi === "3conv" ? 2 : 1) + (s.resi === "3conv" ? 2 : 1);
  return Math.min(32, blocks * (s.ws - 1) + convs);
}

export function swinirInfo(config: SwinirConfig): ArchitectureInfo {
  const s = swinirShape(config);
  const variant = {
    pixelshuffle: `'pixelshuffle' (classical SR: conv to num_feat=${s.numFeat}, LeakyReLU, conv + PixelShuffle stages)`,
    pixelshuffledirect: "'pixelshuffledirect' (lightweight SR: one conv + PixelShuffle)",
    "nearest+conv": `'nearest+conv' (real-world SR: num_feat=${s.numFeat}, nearest x2 upsampling + conv stages)`,
    "": "'' (denoising / JPEG artifact removal: the output is added to the input)",
  }[s.upsampler];
  return {
    id: config.id,
    name: config.name,
    family: "swinir",
    taskKind: "super_resolution",
    doc:
      `SwinIR (JingyunLiang/SwinIR, models/network_swinir.py) with in_chans=${s.inC}, upscale=${s.scale}, embed_dim=${s.embed}, ` +
      `depths=[${s.depths.join(", ")}], num_heads=[${s.heads.join(", ")}], window_size=${s.ws}, mlp_ratio=${s.hidden / s.embed}, ` +
      `img_size=${s.imgSize}, img_range=${s.imgRange}, resi_connection='${s.resi}', upsampler=${variant}. ` +
      "Shifted-window self-attention with relative position bias; the input is reflect-padded to a multiple of the window size " +
      `and cropped back; tiles are cut on the ${s.ws}-px window grid. ${s.inC === 1 ? "Gray" : "RGB"} in 0..1, any size.`,
    parameters: swinirParameters(config),
    input: { name: "input", shape: ["N", s.inC, "H", "W"] },
    output: { name: "output", shape: ["N", s.inC, `H*${s.scale}`, `W*${s.scale}`] },
    defaultSpec: SuperResolutionSpec.parse({
      ...REAL_ESRGAN_X4_SPEC,
      scale: s.scale,
      colorOrder: s.inC === 1 ? "gray" : "rgb",
      // Window attention is not translation invariant: a tile gives the untiled result only
      // when its windows are the untiled run's windows, so every model input starts on the
      // window grid and is a whole number of windows.
      size: { mode: "dynamic", multipleOf: s.ws },
      receptiveField: swinirReceptiveField(s),
    }),
  };
}
