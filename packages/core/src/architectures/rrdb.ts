import { GraphBuilder } from "../onnx/write";
import { type RrdbConfig, rrdbInfo } from "./catalog";
import { conv, leakyRelu, param, scaleBy, upsampleNearest } from "./layers";
import type { Architecture, Weights } from "./types";

export { rrdbParameters } from "./param-specs";
export type { RrdbConfig };

export function createRrdb(config: RrdbConfig): Architecture {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const grow = config.numGrowCh ?? 32;
  const blocks = config.numBlock;
  const info = rrdbInfo(config);
  const { input, output } = info;

  const convAt = (
    g: GraphBuilder,
    x: string,
    name: string,
    w: Weights,
    outCh: number,
    inCh: number,
  ) =>
    conv(g, x, name, param(w, `${name}.weight`), param(w, `${name}.bias`), {
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
      const first = convAt(g, x, "conv_first", w, feat, inC);
      let body = first;
      for (let b = 0; b < blocks; b++) {
        let out = body;
        for (let r = 1; r <= 3; r++) out = denseBlock(g, out, `body.${b}.rdb${r}`, w);
        body = g.node("Add", [scaleBy(g, out, 0.2), body]);
      }
      let out = g.node("Add", [first, convAt(g, body, "conv_body", w, feat, feat)]);
      out = leakyRelu(g, convAt(g, upsampleNearest(g, out, 2), "conv_up1", w, feat, feat));
      out = leakyRelu(g, convAt(g, upsampleNearest(g, out, 2), "conv_up2", w, feat, feat));
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
