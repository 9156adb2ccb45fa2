import { GraphBuilder, tensor } from "../onnx/write";
import { REAL_ESRGAN_X4_SPEC, SuperResolutionSpec } from "../spec";
import { conv, convParams, param, upsampleNearest } from "./layers";
import type { Architecture, ParamSpec, Weights } from "./types";

export interface SrvggConfig {
  id: string;
  name: string;
  inChannels?: number;
  outChannels?: number;
  numFeat?: number;
  numConv: number;
  upscale?: number;
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

export function createSrvgg(config: SrvggConfig): Architecture {
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const upscale = config.upscale ?? 4;
  const { numConv } = config;
  const input = { name: "input", shape: ["N", inC, "H", "W"] as (number | string)[] };
  const output = {
    name: "output",
    shape: ["N", outC, `H*${upscale}`, `W*${upscale}`] as (number | string)[],
  };
  return {
    id: config.id,
    name: config.name,
    family: "srvgg",
    taskKind: "super_resolution",
    doc:
      `SRVGGNetCompact (Real-ESRGAN, basicsr/archs/srvgg_arch.py) with num_in_ch=${inC}, num_out_ch=${outC}, ` +
      `num_feat=${feat}, num_conv=${numConv}, upscale=${upscale}, act_type='prelu': ${numConv + 2} 3x3 convolutions ` +
      "with PReLU between them, PixelShuffle, plus the nearest-upsampled input as a residual. RGB in 0..1, any size.",
    parameters: srvggParameters(inC, outC, feat, numConv, upscale),
    input,
    output,
    defaultSpec:
      upscale === 4
        ? REAL_ESRGAN_X4_SPEC
        : SuperResolutionSpec.parse({ ...REAL_ESRGAN_X4_SPEC, scale: upscale }),
    build(w: Weights): Uint8Array {
      const g = new GraphBuilder(config.id.replaceAll("-", "_"));
      const x = g.input(input.name, "float32", input.shape);
      let out = x;
      for (let i = 0; i <= numConv; i++) {
        const index = 2 * i;
        const name = `body.${index}`;
        out = conv(g, out, name, param(w, `${name}.weight`), param(w, `${name}.bias`), {
          kernel: 3,
          outC: feat,
          inC: i === 0 ? inC : feat,
        });
        const slope = g.initializer(
          `body.${index + 1}.weight`,
          tensor.f32([feat, 1, 1], param(w, `body.${index + 1}.weight`)),
        );
        out = g.node("PRelu", [out, slope]);
      }
      const last = `body.${2 * numConv + 2}`;
      out = conv(g, out, last, param(w, `${last}.weight`), param(w, `${last}.bias`), {
        kernel: 3,
        outC: outC * upscale * upscale,
        inC: feat,
      });
      // PixelShuffle is DepthToSpace in column-row-depth order.
      const shuffled = g.node("DepthToSpace", [out], { blocksize: upscale, mode: "CRD" });
      const base = upsampleNearest(g, x, upscale);
      g.node("Add", [shuffled, base], undefined, { outputs: [output.name] });
      g.output(output.name, "float32", output.shape);
      return g.toModel({ metadata: { architecture: config.id } });
    },
  };
}
