// SwinIR's forward pass as an ONNX graph built from a state_dict: reflect padding to whole
// windows, mean / img_range, conv_first, the residual groups of Swin blocks (swinir-attention.ts),
// conv_after_body, one of the four reconstruction modules, and the crop back to H*scale x W*scale.
import { GraphBuilder, tensor } from "../onnx/write";
import { conv, leakyRelu, param, pixelShuffle, upsampleNearest } from "./layers";
import {
  gelu,
  layerNorm,
  linear,
  partition,
  roll,
  shiftMask,
  unpartition,
  windowAttention,
} from "./swinir-attention";
import {
  powerOfTwo,
  SWINIR_RGB_MEAN,
  type SwinirConfig,
  type SwinirShape,
  swinirShape,
} from "./swinir-config";
import { swinirInfo } from "./swinir-info";
import type { Architecture, Weights } from "./types";

export type { SwinirConfig };

const i64 = (g: GraphBuilder, values: number[], hint: string) =>
  g.constant(tensor.i64([values.length], values), hint);

const toTokens = (g: GraphBuilder, x: string) => g.node("Transpose", [x], { perm: [0, 2, 3, 1] });
const toImage = (g: GraphBuilder, x: string) => g.node("Transpose", [x], { perm: [0, 3, 1, 2] });

/** RSTB.conv / conv_after_body: one 3x3 conv, or '3conv' (3x3 to dim/4, 1x1, 3x3 back). */
function residualConv(
  g: GraphBuilder,
  x: string,
  w: Weights,
  name: string,
  s: SwinirShape,
): string {
  const c = (t: string, key: string, outC: number, inC: number, kernel: number) =>
    conv(g, t, key, param(w, `${key}.weight`), param(w, `${key}.bias`), { kernel, outC, inC });
  if (s.resi === "1conv") return c(x, name, s.embed, s.embed, 3);
  const q = s.embed / 4;
  let out = leakyRelu(g, c(x, `${name}.0`, q, s.embed, 3), 0.2);
  out = leakyRelu(g, c(out, `${name}.2`, q, q, 1), 0.2);
  return c(out, `${name}.4`, s.embed, q, 3);
}

/** SwinTransformerBlock.forward on tokens [N, H, W, C]. */
function swinBlock(
  g: GraphBuilder,
  x: string,
  w: Weights,
  name: string,
  s: SwinirShape,
  heads: number,
  shift: number,
  mask: (windows: string) => string,
): string {
  const dim = s.embed;
  let y = layerNorm(g, x, w, `${name}.norm1`, dim);
  if (shift > 0) y = roll(g, y, -shift);
  const windows = partition(g, y, s.ws, dim);
  const attended = windowAttention(g, windows, w, `${name}.attn`, {
    dim,
    heads,
    ws: s.ws,
    ...(shift > 0 ? { mask: mask(windows) } : {}),
  });
  y = unpartition(g, attended, s.ws, dim);
  if (shift > 0) y = roll(g, y, shift);
  const h = g.node("Add", [x, y]);
  const hidden = gelu(
    g,
    linear(g, layerNorm(g, h, w, `${name}.norm2`, dim), w, `${name}.mlp.fc1`, s.hidden, dim),
  );
  return g.node("Add", [h, linear(g, hidden, w, `${name}.mlp.fc2`, dim, s.hidden)]);
}

export function createSwinir(config: SwinirConfig): Architecture {
  const s = swinirShape(config);
  const info = swinirInfo(config);
  const { input, output } = info;
  const shift = Math.floor(s.ws / 2);

  return {
    ...info,
    build(w: Weights): Uint8Array {
      const g = new GraphBuilder(config.id.replaceAll("-", "_").replaceAll(".", "_"));
      const x = g.input(input.name, "float32", input.shape);
      const c = (t: string, key: string, outC: number, inC: number) =>
        conv(g, t, key, param(w, `${key}.weight`), param(w, `${key}.bias`), {
          kernel: 3,
          outC,
          inC,
        });

      // check_image_size: reflect-pad bottom and right to a multiple of the window size.
      const inShape = g.node("Shape", [x]);
      const sides = g.node("Gather", [inShape, i64(g, [2, 3], "hw")], { axis: 0 });
      const pad = g.node("Mod", [g.node("Neg", [sides]), i64(g, [s.ws, s.ws], "ws")], { fmod: 0 });
      const pads = g.node("Concat", [i64(g, [0, 0, 0, 0, 0, 0], "pads"), pad], { axis: 0 });
      let img = g.node("Pad", [x, pads], { mode: "reflect" });
      const mean = g.constant(
        tensor.f32([1, s.inC, 1, 1], s.inC === 3 ? SWINIR_RGB_MEAN : [0]),
        "mean",
      );
      img = g.node("Sub", [img, mean]);
      if (s.imgRange !== 1)
        img = g.node("Mul", [img, g.constant(tensor.scalar(s.imgRange), "range")]);

      // Shallow features, then the residual Swin transformer groups.
      const first = c(img, "conv_first", s.embed, s.inC);
      let tokens = layerNorm(g, toTokens(g, first), w, "patch_embed.norm", s.embed);
      let mask: string | undefined;
      // The mask depends only on the window grid: built once, from the first shifted windows.
      const maskFor = (windows: string) => {
        mask ??= shiftMask(g, windows, s.ws, shift);
        return mask;
      };
      s.depths.forEach((depth, i) => {
        const groupInput = tokens;
        for (let j = 0; j < depth; j++) {
          const blockShift = j % 2 === 1 ? shift : 0;
          tokens = swinBlock(
            g,
            tokens,
            w,
            `layers.${i}.residual_group.blocks.${j}`,
            s,
            s.heads[i] as number,
            blockShift,
            maskFor,
          );
        }
        const convolved = residualConv(g, toImage(g, tokens), w, `layers.${i}.conv`, s);
        tokens = g.node("Add", [toTokens(g, convolved), groupInput]);
      });
      const deep = toImage(g, layerNorm(g, tokens, w, "norm", s.embed));
      const body = g.node("Add", [residualConv(g, deep, w, "conv_after_body", s), first]);

      // Reconstruction.
      let out: string;
      const nf = s.numFeat;
      if (s.upsampler === "pixelshuffle") {
        out = leakyRelu(g, c(body, "conv_before_upsample.0", nf, s.embed), 0.01);
        const stages = s.scale === 3 ? [3] : Array(powerOfTwo(s.scale) as number).fill(2);
        stages.forEach((r: number, k: number) => {
          out = c(out, `upsample.${2 * k}`, r * r * nf, nf);
          out = pixelShuffle(g, out, r);
        });
        out = c(out, "conv_last", s.inC, nf);
      } else if (s.upsampler === "pixelshuffledirect") {
        out = c(body, "upsample.0", s.scale * s.scale * s.inC, s.embed);
        out = pixelShuffle(g, out, s.scale);
      } else if (s.upsampler === "nearest+conv") {
        out = leakyRelu(g, c(body, "conv_before_upsample.0", nf, s.embed), 0.01);
        for (let u = 1; u <= (powerOfTwo(s.scale) as number); u++) {
          out = leakyRelu(g, c(upsampleNearest(g, out, 2), `conv_up${u}`, nf, nf), 0.2);
        }
        out = c(leakyRelu(g, c(out, "conv_hr", nf, nf), 0.2), "conv_last", s.inC, nf);
      } else {
        out = g.node("Add", [img, c(body, "conv_last", s.inC, s.embed)]);
      }

      if (s.imgRange !== 1)
        out = g.node("Div", [out, g.constant(tensor.scalar(s.imgRange), "range")]);
      out = g.node("Add", [out, mean]);
      // Crop the padding back off: [:H*scale, :W*scale].
      const ends = g.node("Mul", [sides, i64(g, [s.scale, s.scale], "scale")]);
      g.node("Slice", [out, i64(g, [0, 0], "starts"), ends, i64(g, [2, 3], "axes")], undefined, {
        outputs: [output.name],
      });
      g.output(output.name, "float32", output.shape);
      return g.toModel({ metadata: { architecture: config.id } });
    },
  };
}
