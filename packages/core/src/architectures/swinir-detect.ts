// Reads a SwinIR configuration from a state_dict's keys and shapes, as spandrel's SwinIR loader
// does (libs/spandrel/spandrel/architectures/SwinIR/__init__.py), without the weights' values.
// detect.ts then checks every key and shape against the configuration found.
import type { KeyShapes } from "./detect";
import {
  defaultImgSize,
  hasShiftedBlocks,
  SWINIR_LIMITS,
  type SwinirConfig,
  type SwinirUpsampler,
  swinirShape,
} from "./swinir-config";

/** Key names only SwinIR (and its Swin relatives) use: what makes a file "look like SwinIR". */
export const SWINIR_KEY_PATTERN =
  /^(conv_first|conv_after_body(\.[024])?|conv_before_upsample\.0|upsample\.\d+|conv_up\d|conv_hr|conv_last|patch_embed\.norm|norm|layers\.\d+\.conv(\.[024])?)\.(weight|bias)$|^layers\.\d+\.residual_group\.blocks\.\d+\.(attn_mask|(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(weight|bias)|attn\.relative_position_(bias_table|index))$/;

export interface SwinirDetected {
  entry: { family: "swinir"; config: SwinirConfig };
  hyperparameters: Record<string, number | string>;
  notes: string[];
}

const UPSAMPLER_NAME: Record<SwinirUpsampler, string> = {
  pixelshuffle: "pixelshuffle (classical)",
  pixelshuffledirect: "pixelshuffledirect (lightweight)",
  "nearest+conv": "nearest+conv (real-world)",
  "": "none (denoise / JPEG)",
};

/**
 * @param mismatch makes the error detect.ts reports as "looks like SwinIR, but ...".
 */
export function detectSwinir(
  tensors: KeyShapes,
  mismatch: (message: string) => Error,
): SwinirDetected {
  const shapeOf = (key: string, rank: number): number[] => {
    const shape = tensors.get(key)?.shape;
    if (!shape) throw mismatch(`\`${key}\` is missing`);
    if (shape.length !== rank) {
      throw mismatch(`\`${key}\` has shape [${shape.join(", ")}], expected ${rank} dimensions`);
    }
    return [...shape];
  };
  const count = (name: (i: number) => string, start = 0) => {
    let i = start;
    while (tensors.has(name(i))) i++;
    return i - start;
  };
  const block = (i: number, j: number) => `layers.${i}.residual_group.blocks.${j}`;

  if (tensors.has("conv_first.1.weight")) {
    throw mismatch(
      "`conv_first.1.weight` marks spandrel's pixel-unshuffled-input variant (start_unshuffle), which is not supported",
    );
  }
  const first = shapeOf("conv_first.weight", 4);
  const embedDim = first[0] as number;
  const inChannels = first[1] as number;
  const groups = count((i) => `${block(i, 0)}.norm1.weight`);
  if (groups === 0)
    throw mismatch(`\`${block(0, 0)}.norm1.weight\` (the first Swin block) is missing`);
  if (groups > SWINIR_LIMITS.groups) {
    throw mismatch(`${groups} residual groups is more than ${SWINIR_LIMITS.groups}`);
  }
  const depths = Array.from({ length: groups }, (_, i) =>
    count((j) => `${block(i, j)}.norm1.weight`),
  );
  const numHeads = Array.from(
    { length: groups },
    (_, i) => shapeOf(`${block(i, 0)}.attn.relative_position_bias_table`, 2)[1] as number,
  );
  const tableRows = shapeOf(`${block(0, 0)}.attn.relative_position_bias_table`, 2)[0] as number;
  const windowSize = (Math.sqrt(tableRows) + 1) / 2;
  if (!Number.isInteger(windowSize)) {
    throw mismatch(
      `its relative position bias table has ${tableRows} rows, not (2 * window_size - 1)^2`,
    );
  }
  const mlpHidden = shapeOf(`${block(0, 0)}.mlp.fc1.weight`, 2)[0] as number;

  const notes: string[] = [];
  // attn_mask [windows, ws^2, ws^2] of a shifted block tells the training patch size, which
  // changes nothing in the computation; files without the buffer get a size that fits.
  const maskKey = [...tensors.keys()].find((key) => key.endsWith(".attn_mask"));
  let imgSize: number;
  if (maskKey) {
    imgSize = Math.round(Math.sqrt(shapeOf(maskKey, 3)[0] as number)) * windowSize;
  } else {
    imgSize = defaultImgSize(windowSize);
    if (hasShiftedBlocks(depths)) {
      notes.push(
        `the file has no attn_mask buffers (they are recomputed anyway): img_size ${imgSize} was assumed`,
      );
    }
  }

  const resiConnection = tensors.has("conv_after_body.0.weight") ? "3conv" : "1conv";
  let upsampler: SwinirUpsampler;
  let scale: number;
  let numFeat: number | undefined;
  if (tensors.has("conv_before_upsample.0.weight")) {
    numFeat = shapeOf("conv_before_upsample.0.weight", 4)[0] as number;
    if (tensors.has("conv_up1.weight")) {
      upsampler = "nearest+conv";
      scale = 2 ** count((u) => `conv_up${u}.weight`, 1);
    } else {
      upsampler = "pixelshuffle";
      scale = 1;
      for (let k = 0; tensors.has(`upsample.${2 * k}.weight`); k++) {
        const ratio = (shapeOf(`upsample.${2 * k}.weight`, 4)[0] as number) / numFeat;
        scale *= Math.round(Math.sqrt(ratio));
      }
    }
  } else if (tensors.has("upsample.0.weight")) {
    upsampler = "pixelshuffledirect";
    scale = Math.round(Math.sqrt((shapeOf("upsample.0.weight", 4)[0] as number) / inChannels));
  } else {
    upsampler = "";
    scale = 1;
  }
  // Not in the weights: the official JPEG models are the only ones with window 7 and use 255.
  const imgRange = windowSize === 7 ? 255 : 1;
  notes.push(
    `img_range is not stored in the weights: ${imgRange} was assumed (255 for window size 7, the JPEG artifact models, as spandrel does; name the architecture ${imgRange === 255 ? "without" : "with"} -r255 to choose ${imgRange === 255 ? 1 : 255})`,
  );

  const config: SwinirConfig = {
    id: "",
    name: "",
    scale,
    inChannels,
    embedDim,
    depths,
    numHeads,
    windowSize,
    mlpHidden,
    imgSize,
    upsampler,
    resiConnection,
    imgRange,
    ...(numFeat === undefined ? {} : { numFeat }),
  };
  try {
    swinirShape(config);
  } catch (error) {
    throw mismatch((error as Error).message.replace(/^SwinIR: /, ""));
  }
  return {
    entry: { family: "swinir", config },
    hyperparameters: {
      variant: UPSAMPLER_NAME[upsampler],
      scale,
      channels: inChannels,
      embedDim,
      depths: depths.join(", "),
      numHeads: numHeads.join(", "),
      windowSize,
      mlpRatio: mlpHidden / embedDim,
      imgSize,
      imgRange,
      resiConnection,
      ...(numFeat === undefined ? {} : { numFeat }),
    },
    notes: [
      ...notes,
      `window attention: image tiles are cut on the ${windowSize}-px window grid, and inputs are reflect-padded to a multiple of ${windowSize}`,
    ],
  };
}
