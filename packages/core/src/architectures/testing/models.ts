import type { Architecture } from "../types";
import type { Image } from "./reference";
import * as ref from "./reference";

type W = Record<string, { shape: number[]; values: number[] }>;
const v = (w: W, key: string): number[] => {
  const entry = w[key];
  if (!entry) throw new Error(`reference: no weight ${key}`);
  return entry.values;
};

/** Deterministic weights for every parameter, scaled so activations stay in a sane range. */
export function randomStateDict(architecture: Architecture, seed = 1): W {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out: W = {};
  for (const spec of architecture.parameters) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const fanIn =
      spec.shape.length === 4
        ? (spec.shape[1] as number) * (spec.shape[2] as number) * (spec.shape[3] as number)
        : 1;
    const values = Array.from({ length: n }, () => {
      if (spec.name.endsWith("num_batches_tracked")) return 100;
      if (spec.name.endsWith("running_var")) return 0.5 + random();
      if (spec.name.endsWith("running_mean")) return (random() - 0.5) * 0.2;
      if (spec.shape.length === 4) return ((random() - 0.5) * 2 * Math.sqrt(3)) / Math.sqrt(fanIn);
      if (/body\.\d*[13579]\.weight$/.test(spec.name) && spec.shape.length === 1)
        return random() * 0.3;
      if (spec.name.endsWith(".weight")) return 0.8 + random() * 0.4; // BatchNorm gamma
      return (random() - 0.5) * 0.2;
    });
    out[spec.name] = { shape: spec.shape, values };
  }
  return out;
}

function block(x: Image, w: W, name: string, cout: number): Image {
  let out = x;
  for (const [c, b] of [
    [0, 1],
    [3, 4],
  ]) {
    out = ref.conv2d(out, v(w, `${name}.${c}.weight`), v(w, `${name}.${c}.bias`), cout, 3, 1);
    out = ref.batchNorm(
      out,
      v(w, `${name}.${b}.weight`),
      v(w, `${name}.${b}.bias`),
      v(w, `${name}.${b}.running_mean`),
      v(w, `${name}.${b}.running_var`),
    );
    out = ref.relu(out);
  }
  return out;
}

/** The U-Net forward pass exactly as the README's PyTorch module computes it. */
export function unetReference(x: Image, w: W, base: number, outC: number): Image {
  const e1 = block(x, w, "enc1", base);
  const e2 = block(ref.maxPool2(e1), w, "enc2", base * 2);
  const e3 = block(ref.maxPool2(e2), w, "enc3", base * 4);
  const e4 = block(ref.maxPool2(e3), w, "enc4", base * 8);
  let d = block(ref.maxPool2(e4), w, "bottleneck", base * 16);
  const skips = [e1, e2, e3, e4];
  for (let level = 4; level >= 1; level--) {
    const width = base * 2 ** (level - 1);
    const up = ref.convTranspose2x2(
      d,
      v(w, `upconv${level}.weight`),
      v(w, `upconv${level}.bias`),
      width,
    );
    d = block(ref.concat(up, skips[level - 1] as Image), w, `dec${level}`, width);
  }
  return ref.conv2d(d, v(w, "final_conv.weight"), v(w, "final_conv.bias"), outC, 1, 0);
}

/** basicsr SRVGGNetCompact.forward. */
export function srvggReference(
  x: Image,
  w: W,
  feat: number,
  numConv: number,
  upscale: number,
  outC: number,
): Image {
  let out = x;
  for (let i = 0; i <= numConv; i++) {
    out = ref.conv2d(out, v(w, `body.${2 * i}.weight`), v(w, `body.${2 * i}.bias`), feat, 3, 1);
    out = ref.prelu(out, v(w, `body.${2 * i + 1}.weight`));
  }
  const last = 2 * numConv + 2;
  out = ref.conv2d(
    out,
    v(w, `body.${last}.weight`),
    v(w, `body.${last}.bias`),
    outC * upscale * upscale,
    3,
    1,
  );
  return ref.add(ref.pixelShuffle(out, upscale), ref.upsampleNearest(x, upscale));
}

/** basicsr RRDBNet.forward at scale 4. */
export function rrdbReference(
  x: Image,
  w: W,
  feat: number,
  blocks: number,
  grow: number,
  outC: number,
): Image {
  const conv = (t: Image, name: string, outCh: number) =>
    ref.conv2d(t, v(w, `${name}.weight`), v(w, `${name}.bias`), outCh, 3, 1);
  const rdb = (t: Image, name: string) => {
    const x1 = ref.leakyRelu(conv(t, `${name}.conv1`, grow));
    const x2 = ref.leakyRelu(conv(ref.concat(t, x1), `${name}.conv2`, grow));
    const x3 = ref.leakyRelu(conv(ref.concat(t, x1, x2), `${name}.conv3`, grow));
    const x4 = ref.leakyRelu(conv(ref.concat(t, x1, x2, x3), `${name}.conv4`, grow));
    const x5 = conv(ref.concat(t, x1, x2, x3, x4), `${name}.conv5`, feat);
    return ref.add(x5, t, 0.2);
  };
  const first = conv(x, "conv_first", feat);
  let body = first;
  for (let b = 0; b < blocks; b++) {
    let out = body;
    for (let r = 1; r <= 3; r++) out = rdb(out, `body.${b}.rdb${r}`);
    body = ref.add(out, body, 0.2);
  }
  let feat2 = ref.add(first, conv(body, "conv_body", feat));
  feat2 = ref.leakyRelu(conv(ref.upsampleNearest(feat2, 2), "conv_up1", feat));
  feat2 = ref.leakyRelu(conv(ref.upsampleNearest(feat2, 2), "conv_up2", feat));
  return conv(ref.leakyRelu(conv(feat2, "conv_hr", feat)), "conv_last", outC);
}
