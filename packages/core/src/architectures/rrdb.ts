import { GraphBuilder } from "../onnx/write";
import { type RrdbConfig, rrdbInfo, rrdbShape } from "./catalog";
import { conv, leakyRelu, param, scaleBy, upsampleNearest } from "./layers";
import { rrdbKey } from "./param-specs";
import type { Architecture, Weights } from "./types";

export { rrdbParameters } from "./param-specs";
export type { RrdbConfig };

/**
 * PyTorch's pixel_unshuffle puts input pixel (i, j) of channel c in channel c*r*r + i*r + j; ONNX
 * SpaceToDepth puts it in (i*r + j)*C + c. Reordering conv_first's input channels once lets
 * the graph use SpaceToDepth (no shape arithmetic for the dynamic H and W).
 */
function forSpaceToDepth(weight: Float32Array, outC: number, inC: number, r: number): Float32Array {
  const blocks = r * r;
  const kernel = 9;
  const out = new Float32Array(weight.length);
  for (let o = 0; o < outC; o++) {
    for (let c = 0; c < inC; c++) {
      for (let q = 0; q < blocks; q++) {
        const from = (o * inC * blocks + c * blocks + q) * kernel;
        const to = (o * inC * blocks + q * inC + c) * kernel;
        out.set(weight.subarray(from, from + kernel), to);
      }
    }
  }
  return out;
}

export function createRrdb(config: RrdbConfig): Architecture {
  const shape = rrdbShape(config);
  const { inC, outC, feat, grow, blocks, unshuffle } = shape;
  const info = rrdbInfo(config);
  const { input, output } = info;
  const key = (name: string) => rrdbKey(shape, name);

  const convAt = (
    g: GraphBuilder,
    x: string,
    name: string,
    w: Weights,
    outCh: number,
    inCh: number,
    weight = param(w, key(`${name}.weight`)),
  ) =>
    conv(g, x, name, weight, param(w, key(`${name}.bias`)), {
      kernel: 3,
      outC: outCh,
      inC: inCh,
    });

  const denseBlock = (g: GraphBuilder, x: string, name: string, w: Weights): string => {
    const features = [x];
    for (let c = 1; c <= 4; c++) {
      const input = features.length === 1 ? x : g.node("Concat", [...features], { axis: 1 });
      features.push(
        leakyRelu(g, convAt(g, input, `${name}.conv${c}`, w, grow, feat + (c - 1) * grow)),
      );
    }
    const x5 = convAt(
      g,
      g.node("Concat", [...features], { axis: 1 }),
      `${name}.conv5`,
      w,
      feat,
      feat + 4 * grow,
    );
    return g.node("Add", [scaleBy(g, x5, 0.2), x]);
  };

  return {
    ...info,
    build(w: Weights): Uint8Array {
      const g = new GraphBuilder(config.id.replaceAll("-", "_"));
      const x = g.input(input.name, "float32", input.shape);
      const firstIn = inC * unshuffle * unshuffle;
      const first =
        unshuffle === 1
          ? convAt(g, x, "conv_first", w, feat, inC)
          : convAt(
              g,
              g.node("SpaceToDepth", [x], { blocksize: unshuffle }),
              "conv_first",
              w,
              feat,
              firstIn,
              forSpaceToDepth(param(w, key("conv_first.weight")), feat, inC, unshuffle),
            );
      let body = first;
      for (let b = 0; b < blocks; b++) {
        let out = body;
        for (let r = 1; r <= 3; r++) out = denseBlock(g, out, `body.${b}.rdb${r}`, w);
        body = g.node("Add", [scaleBy(g, out, 0.2), body]);
      }
      let out = g.node("Add", [first, convAt(g, body, "conv_body", w, feat, feat)]);
      for (let u = 1; u <= shape.upsamples; u++) {
        out = leakyRelu(g, convAt(g, upsampleNearest(g, out, 2), `conv_up${u}`, w, feat, feat));
      }
      out = convAt(
        g,
        leakyRelu(g, convAt(g, out, "conv_hr", w, feat, feat)),
        "conv_last",
        w,
        outC,
        feat,
      );
      g.node("Identity", [out], undefined, { outputs: [output.name] });
      g.output(output.name, "float32", output.shape);
      return g.toModel({ metadata: { architecture: config.id } });
    },
  };
}
