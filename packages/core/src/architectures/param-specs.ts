// The state_dict keys and shapes each architecture expects: plain data, shared by the metadata
// the API lists (catalog.ts) and the graph builders (unet.ts, srvgg.ts, rrdb.ts).
import type { ParamSpec } from "./types";

export function convParams(
  name: string,
  outC: number,
  inC: number,
  k: number,
  bias = true,
): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: `${name}.weight`, shape: [outC, inC, k, k], required: true }];
  if (bias) specs.push({ name: `${name}.bias`, shape: [outC], required: true });
  return specs;
}

export function batchNormParams(name: string, channels: number): ParamSpec[] {
  return [
    ...["weight", "bias", "running_mean", "running_var"].map((field) => ({
      name: `${name}.${field}`,
      shape: [channels],
      required: true,
    })),
    { name: `${name}.num_batches_tracked`, shape: [], required: false },
  ];
}

/** Encoder block names of a U-Net of the given depth (the OCTA U-Net has 4: enc1..enc4). */
export function unetEncoders(depth: number): string[] {
  return Array.from({ length: depth }, (_, i) => `enc${i + 1}`);
}

/**
 * The convolution indexes of a U-Net block inside its nn.Sequential: with BatchNorm
 * (Conv, BN, ReLU, Conv, BN, ReLU) the convolutions are .0 and .3 and the BatchNorms .1 and .4;
 * without (Conv, ReLU, Conv, ReLU) the convolutions are .0 and .2.
 */
export function unetBlockLayout(batchNorm: boolean): { conv: number; bn: number | null }[] {
  return batchNorm
    ? [
        { conv: 0, bn: 1 },
        { conv: 3, bn: 4 },
      ]
    : [
        { conv: 0, bn: null },
        { conv: 2, bn: null },
      ];
}

/** conv_block(cin, cout): two 3x3 convolutions, each followed by BatchNorm (if any) and ReLU. */
function blockParams(name: string, cin: number, cout: number, batchNorm: boolean): ParamSpec[] {
  return unetBlockLayout(batchNorm).flatMap(({ conv, bn }, i) => [
    ...convParams(`${name}.${conv}`, cout, i === 0 ? cin : cout, 3),
    ...(bn === null ? [] : batchNormParams(`${name}.${bn}`, cout)),
  ]);
}

function upconvParams(name: string, cin: number, cout: number): ParamSpec[] {
  // ConvTranspose2d stores its weight as [in, out, kH, kW].
  return [
    { name: `${name}.weight`, shape: [cin, cout, 2, 2], required: true },
    { name: `${name}.bias`, shape: [cout], required: true },
  ];
}

export function unetParameters(
  inC: number,
  outC: number,
  base: number,
  depth = 4,
  batchNorm = true,
): ParamSpec[] {
  const width = (level: number) => base * 2 ** level;
  const specs: ParamSpec[] = [];
  unetEncoders(depth).forEach((name, level) => {
    specs.push(...blockParams(name, level === 0 ? inC : width(level - 1), width(level), batchNorm));
  });
  specs.push(...blockParams("bottleneck", width(depth - 1), width(depth), batchNorm));
  for (let level = depth; level >= 1; level--) {
    specs.push(...upconvParams(`upconv${level}`, width(level), width(level - 1)));
    specs.push(...blockParams(`dec${level}`, width(level), width(level - 1), batchNorm));
  }
  specs.push(...convParams("final_conv", outC, base, 1));
  return specs;
}

export type SrvggActivation = "prelu" | "relu" | "leakyrelu";

/**
 * body = [Conv(in, feat), act, (Conv(feat, feat), act) x numConv, Conv(feat, out * upscale^2)],
 * so body.{2k}.weight/bias are convolutions and body.{2k+1} the activations (weights only for
 * PReLU: ReLU and LeakyReLU take the index but store nothing); the last convolution is
 * body.{2 * numConv + 2}.
 */
export function srvggParameters(
  inC: number,
  outC: number,
  feat: number,
  numConv: number,
  upscale: number,
  activation: SrvggActivation = "prelu",
): ParamSpec[] {
  const slope = (index: number): ParamSpec[] =>
    activation === "prelu" ? [{ name: `body.${index}.weight`, shape: [feat], required: true }] : [];
  const specs: ParamSpec[] = [...convParams("body.0", feat, inC, 3), ...slope(1)];
  for (let i = 0; i < numConv; i++) {
    specs.push(...convParams(`body.${2 + 2 * i}`, feat, feat, 3), ...slope(3 + 2 * i));
  }
  specs.push(...convParams(`body.${2 * numConv + 2}`, outC * upscale * upscale, feat, 3));
  return specs;
}

/** Key layouts of RRDBNet in the wild: BasicSR's names, or the original ESRGAN Sequential. */
export type RrdbLayout = "basicsr" | "esrgan";

/** The hyperparameters that fix RRDBNet's keys and shapes. */
export interface RrdbShape {
  inC: number;
  outC: number;
  feat: number;
  blocks: number;
  grow: number;
  /** Nearest x2 upsampling stages (conv_up1..conv_upN): 2 in BasicSR, 3 for x8. */
  upsamples: number;
  /** Pixel-unshuffle factor of the input (1, 2 or 4): BasicSR's x2 and x1 models. */
  unshuffle: number;
  layout: RrdbLayout;
}

/**
 * The original ESRGAN code (xinntao/ESRGAN, "old arch") builds one flattened nn.Sequential:
 * model.0 conv_first, model.1 = ShortcutBlock(sub = [RRDB x nb, conv_body]), then per upsampling
 * [Upsample, conv, LeakyReLU] (3 slots each), then conv_hr, LeakyReLU, conv_last. Each conv of
 * an RDB is Sequential(conv[, act]), hence the `.0`.
 */
export function rrdbKey(shape: RrdbShape, basicsrName: string): string {
  if (shape.layout === "basicsr") return basicsrName;
  const [module, ...rest] = basicsrName.split(".");
  const field = rest.at(-1);
  const u = shape.upsamples;
  if (module === "body") {
    const [block, rdb, convName] = rest;
    return `model.1.sub.${block}.${rdb?.toUpperCase()}.${convName}.0.${field}`;
  }
  const index: Record<string, string> = {
    conv_first: "model.0",
    conv_body: `model.1.sub.${shape.blocks}`,
    conv_hr: `model.${3 * u + 2}`,
    conv_last: `model.${3 * u + 4}`,
  };
  const up = /^conv_up(\d+)$/.exec(module ?? "");
  const prefix = up ? `model.${3 * Number(up[1])}` : index[module ?? ""];
  if (!prefix) throw new Error(`no ESRGAN key for '${basicsrName}'`);
  return `${prefix}.${field}`;
}

/** Keys of RRDBNet in state_dict order, named as the shape's layout names them. */
export function rrdbParameters(shape: RrdbShape): ParamSpec[] {
  const { inC, outC, feat, blocks, grow } = shape;
  const specs: ParamSpec[] = [...convParams("conv_first", feat, inC * shape.unshuffle ** 2, 3)];
  for (let b = 0; b < blocks; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let c = 1; c <= 5; c++) {
        const out = c === 5 ? feat : grow;
        specs.push(...convParams(`body.${b}.rdb${r}.conv${c}`, out, feat + (c - 1) * grow, 3));
      }
    }
  }
  specs.push(...convParams("conv_body", feat, feat, 3));
  for (let u = 1; u <= shape.upsamples; u++)
    specs.push(...convParams(`conv_up${u}`, feat, feat, 3));
  specs.push(...convParams("conv_hr", feat, feat, 3));
  specs.push(...convParams("conv_last", outC, feat, 3));
  return specs.map((spec) => ({ ...spec, name: rrdbKey(shape, spec.name) }));
}

/** SPAN's Conv3XC modules in state_dict order: the stem, 6 blocks of 3, then conv_2. */
export function spanConv3xcNames(): string[] {
  const names = ["conv_1"];
  for (let b = 1; b <= 6; b++) names.push(...[1, 2, 3].map((c) => `block_${b}.c${c}_r`));
  names.push("conv_2");
  return names;
}

/**
 * Conv3XC(cin, cout, gain1=2): a 1x1 skip `sk`, the training branch `conv` = 1x1 (cin -> 2 cin),
 * 3x3 unpadded (2 cin -> 2 cout), 1x1 (2 cout -> cout), and `eval_conv`, the 3x3 they fold into.
 */
function conv3xcParams(name: string, cin: number, cout: number): ParamSpec[] {
  return [
    ...convParams(`${name}.sk`, cout, cin, 1),
    ...convParams(`${name}.conv.0`, cin * 2, cin, 1),
    ...convParams(`${name}.conv.1`, cout * 2, cin * 2, 3),
    ...convParams(`${name}.conv.2`, cout, cout * 2, 1),
    ...convParams(`${name}.eval_conv`, cout, cin, 3),
  ];
}

/**
 * SPAN(num_in_ch, num_out_ch, feature_channels, upscale, norm) as spandrel's span.py defines it:
 * conv_1, block_1..block_6 (c1_r, c2_r, c3_r), conv_cat (1x1 over 4 feature maps), conv_2 and
 * upsampler.0 (3x3 conv to out * upscale^2, then PixelShuffle). A model saved with norm=False
 * carries the buffer `no_norm` [1].
 */
export function spanParameters(
  inC: number,
  outC: number,
  feat: number,
  upscale: number,
  norm: boolean,
): ParamSpec[] {
  const specs: ParamSpec[] = norm
    ? []
    : [{ name: "no_norm", shape: [1], required: true, counted: false }];
  for (const name of spanConv3xcNames()) {
    specs.push(...conv3xcParams(name, name === "conv_1" ? inC : feat, feat));
    if (name === "block_6.c3_r") specs.push(...convParams("conv_cat", feat, feat * 4, 1));
  }
  specs.push(...convParams("upsampler.0", outC * upscale * upscale, feat, 3));
  return specs;
}
