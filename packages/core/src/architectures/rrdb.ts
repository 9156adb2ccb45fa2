import { GraphBuilder } from "../onnx/write";
import { REAL_ESRGAN_X4_SPEC } from "../spec";
import { conv, convParams, leakyRelu, param, scaleBy, upsampleNearest } from "./layers";
import type { Architecture, ParamSpec, Weights } from "./types";

export interface RrdbConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  numFeat?: number;
  numBlock: number;
  numGrowCh?: number;
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

export function createRrdb(config: RrdbConfig): Architecture {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const grow = config.numGrowCh ?? 32;
  const blocks = config.numBlock;
  const input = { name: "input", shape: ["N", inC, "H", "W"] as (number | string)[] };
  const output = { name: "output", shape: ["N", outC, "H*4", "W*4"] as (number | string)[] };

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
    id: config.id,
    name: config.name,
    family: "rrdb",
    taskKind: "super_resolution",
    doc:
      `RRDBNet (ESRGAN / Real-ESRGAN, basicsr/archs/rrdbnet_arch.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `scale=4, num_feat=${feat}, num_block=${blocks}, num_grow_ch=${grow}: ${blocks} residual-in-residual dense blocks, ` +
      "two nearest x2 upsamplings with convolutions, LeakyReLU(0.2). RGB in 0..1, any size.",
    parameters: rrdbParameters(inC, outC, feat, blocks, grow),
    input,
    output,
    defaultSpec: REAL_ESRGAN_X4_SPEC,
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
