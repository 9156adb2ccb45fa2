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

export const UNET_ENCODERS = ["enc1", "enc2", "enc3", "enc4"] as const;

/**
 * conv_block(cin, cout) = nn.Sequential(Conv2d(cin, cout, 3, padding=1), BatchNorm2d(cout),
 * ReLU, Conv2d(cout, cout, 3, padding=1), BatchNorm2d(cout), ReLU): keys .0, .1, .3, .4.
 */
function blockParams(name: string, cin: number, cout: number): ParamSpec[] {
  return [
    ...convParams(`${name}.0`, cout, cin, 3),
    ...batchNormParams(`${name}.1`, cout),
    ...convParams(`${name}.3`, cout, cout, 3),
    ...batchNormParams(`${name}.4`, cout),
  ];
}

function upconvParams(name: string, cin: number, cout: number): ParamSpec[] {
  // ConvTranspose2d stores its weight as [in, out, kH, kW].
  return [
    { name: `${name}.weight`, shape: [cin, cout, 2, 2], required: true },
    { name: `${name}.bias`, shape: [cout], required: true },
  ];
}

export function unetParameters(inC: number, outC: number, base: number): ParamSpec[] {
  const width = (level: number) => base * 2 ** level;
  const specs: ParamSpec[] = [];
  UNET_ENCODERS.forEach((name, level) => {
    specs.push(...blockParams(name, level === 0 ? inC : width(level - 1), width(level)));
  });
  specs.push(...blockParams("bottleneck", width(3), width(4)));
  for (let level = 4; level >= 1; level--) {
    specs.push(...upconvParams(`upconv${level}`, width(level), width(level - 1)));
    specs.push(...blockParams(`dec${level}`, width(level), width(level - 1)));
  }
  specs.push(...convParams("final_conv", outC, base, 1));
  return specs;
}

/**
 * body = [Conv(in, feat), PReLU(feat), (Conv(feat, feat), PReLU(feat)) x numConv,
 * Conv(feat, out * upscale^2)], so body.{2k}.weight/bias are convolutions and body.{2k+1}.weight
 * are PReLU slopes; the last convolution is body.{2 * numConv + 2}.
 */
export function srvggParameters(
  inC: number,
  outC: number,
  feat: number,
  numConv: number,
  upscale: number,
): ParamSpec[] {
  const specs: ParamSpec[] = [...convParams("body.0", feat, inC, 3)];
  specs.push({ name: "body.1.weight", shape: [feat], required: true });
  for (let i = 0; i < numConv; i++) {
    specs.push(...convParams(`body.${2 + 2 * i}`, feat, feat, 3));
    specs.push({ name: `body.${3 + 2 * i}.weight`, shape: [feat], required: true });
  }
  specs.push(...convParams(`body.${2 * numConv + 2}`, outC * upscale * upscale, feat, 3));
  return specs;
}

/** Keys of basicsr's RRDBNet at scale 4 (no pixel-unshuffle), in state_dict order. */
export function rrdbParameters(
  inC: number,
  outC: number,
  feat: number,
  blocks: number,
  grow: number,
): ParamSpec[] {
  const specs: ParamSpec[] = [...convParams("conv_first", feat, inC, 3)];
  for (let b = 0; b < blocks; b++) {
    for (let r = 1; r <= 3; r++) {
      for (let c = 1; c <= 5; c++) {
        const out = c === 5 ? feat : grow;
        specs.push(...convParams(`body.${b}.rdb${r}.conv${c}`, out, feat + (c - 1) * grow, 3));
      }
    }
  }
  specs.push(...convParams("conv_body", feat, feat, 3));
  specs.push(...convParams("conv_up1", feat, feat, 3));
  specs.push(...convParams("conv_up2", feat, feat, 3));
  specs.push(...convParams("conv_hr", feat, feat, 3));
  specs.push(...convParams("conv_last", outC, feat, 3));
  return specs;
}
