import { GraphBuilder, tensor } from "../onnx/write";
import { SPAN_IMG_RANGE, SPAN_RGB_MEAN, type SpanConfig, spanInfo } from "./catalog";
import { conv, param, pixelShuffle } from "./layers";
import type { Architecture, Weights } from "./types";

export { spanParameters } from "./param-specs";
export type { SpanConfig };

/**
 * The 3x3 convolution a Conv3XC evaluates with, computed as SPAN's `update_params` does on every
 * eval-mode forward (the stored `eval_conv` is overwritten there, so it is not used here either):
 * 1x1 w1 [m1, cin] then 3x3 w2 [m2, m1] then 1x1 w3 [cout, m2] compose into
 * W[o, i] = sum w3[o, b] w2[b, a] w1[a, i] per tap; a bias b1 reaches all nine taps (the training
 * branch pads the input before the first 1x1, so padded pixels carry b1 too); the 1x1 skip adds
 * to the centre tap. Summed in float64 to stay closer to the exact value than PyTorch's float32.
 */
export function foldConv3xc(
  w: Weights,
  name: string,
  cin: number,
  cout: number,
): { weight: Float32Array; bias: Float32Array } {
  const w1 = param(w, `${name}.conv.0.weight`);
  const b1 = param(w, `${name}.conv.0.bias`);
  const w2 = param(w, `${name}.conv.1.weight`);
  const b2 = param(w, `${name}.conv.1.bias`);
  const w3 = param(w, `${name}.conv.2.weight`);
  const b3 = param(w, `${name}.conv.2.bias`);
  const sk = param(w, `${name}.sk.weight`);
  const skBias = param(w, `${name}.sk.bias`);
  const m1 = b1.length;
  const m2 = b2.length;
  // W12[b, i, t] = sum_a w2[b, a, t] w1[a, i]; b12[b] = b2[b] + sum_{a,t} w2[b, a, t] b1[a].
  const w12 = new Float64Array(m2 * cin * 9);
  const b12 = new Float64Array(m2);
  for (let b = 0; b < m2; b++) {
    let bias = b2[b] as number;
    for (let a = 0; a < m1; a++) {
      for (let t = 0; t < 9; t++) {
        const k = w2[(b * m1 + a) * 9 + t] as number;
        bias += k * (b1[a] as number);
        for (let i = 0; i < cin; i++) {
          const at = (b * cin + i) * 9 + t;
          w12[at] = (w12[at] as number) + k * (w1[a * cin + i] as number);
        }
      }
    }
    b12[b] = bias;
  }
  const weight = new Float32Array(cout * cin * 9);
  const bias = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    let sum = (b3[o] as number) + (skBias[o] as number);
    for (let b = 0; b < m2; b++) sum += (w3[o * m2 + b] as number) * (b12[b] as number);
    bias[o] = sum;
    for (let i = 0; i < cin; i++) {
      for (let t = 0; t < 9; t++) {
        let v = t === 4 ? (sk[o * cin + i] as number) : 0;
        for (let b = 0; b < m2; b++)
          v += (w3[o * m2 + b] as number) * (w12[(b * cin + i) * 9 + t] as number);
        weight[(o * cin + i) * 9 + t] = v;
      }
    }
  }
  return { weight, bias };
}

export function createSpan(config: SpanConfig): Architecture {
  const info = spanInfo(config);
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 48;
  const upscale = config.upscale ?? 4;
  const norm = config.norm ?? true;
  const { input, output } = info;
  return {
    ...info,
    build(w: Weights): Uint8Array {
      const g = new GraphBuilder(config.id.replaceAll("-", "_"));
      const x = g.input(input.name, "float32", input.shape);
      const conv3xc = (t: string, name: string, cin: number) => {
        const folded = foldConv3xc(w, name, cin, feat);
        return conv(g, t, name, folded.weight, folded.bias, { kernel: 3, outC: feat, inC: cin });
      };
      const silu = (t: string) => g.node("Mul", [t, g.node("Sigmoid", [t])]);
      /** SPAB: returns the block output and its first convolution's output (before SiLU). */
      const block = (t: string, name: string): [string, string] => {
        const out1 = conv3xc(t, `${name}.c1_r`, feat);
        const out2 = conv3xc(silu(out1), `${name}.c2_r`, feat);
        const out3 = conv3xc(silu(out2), `${name}.c3_r`, feat);
        const half = g.constant(tensor.scalar(0.5), "half");
        const attention = g.node("Sub", [g.node("Sigmoid", [out3]), half]);
        return [g.node("Mul", [g.node("Add", [out3, t]), attention]), out1];
      };

      let start = x;
      if (norm) {
        const mean = g.constant(tensor.f32([1, 3, 1, 1], [...SPAN_RGB_MEAN]), "rgb_mean");
        const range = g.constant(tensor.scalar(SPAN_IMG_RANGE), "img_range");
        start = g.node("Mul", [g.node("Sub", [x, mean]), range]);
      }
      const feature = conv3xc(start, "conv_1", inC);
      const [b1] = block(feature, "block_1");
      let out = b1;
      for (let b = 2; b <= 5; b++) [out] = block(out, `block_${b}`);
      const [b6, b6First] = block(out, "block_6");
      const b6Conv = conv3xc(b6, "conv_2", feat);
      const cat = conv(
        g,
        g.node("Concat", [feature, b6Conv, b1, b6First], { axis: 1 }),
        "conv_cat",
        param(w, "conv_cat.weight"),
        param(w, "conv_cat.bias"),
        { kernel: 1, outC: feat, inC: feat * 4 },
      );
      const shuffledIn = conv(
        g,
        cat,
        "upsampler.0",
        param(w, "upsampler.0.weight"),
        param(w, "upsampler.0.bias"),
        { kernel: 3, outC: outC * upscale * upscale, inC: feat },
      );
      // PixelShuffle does nothing at scale 1.
      if (upscale === 1) g.node("Identity", [shuffledIn], undefined, { outputs: [output.name] });
      else pixelShuffle(g, shuffledIn, upscale, { outputs: [output.name] });
      g.output(output.name, "float32", output.shape);
      return g.toModel({ metadata: { architecture: config.id } });
    },
  };
}
