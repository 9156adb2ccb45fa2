import { GraphBuilder, tensor } from "../onnx/write";
import { type SrvggConfig, srvggInfo } from "./catalog";
import { conv, leakyRelu, param, pixelShuffle, upsampleNearest } from "./layers";
import type { Architecture, Weights } from "./types";

export { srvggParameters } from "./param-specs";
export type { SrvggConfig };

export function createSrvgg(config: SrvggConfig): Architecture {
  const info = srvggInfo(config);
  const inC = config.inChannels ?? 3;
  const outC = config.outChannels ?? 3;
  const feat = config.numFeat ?? 64;
  const upscale = config.upscale ?? 4;
  const activation = config.activation ?? "prelu";
  const { numConv } = config;
  const { input, output } = info;
  return {
    ...info,
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
        if (activation === "prelu") {
          const slope = g.initializer(
            `body.${index + 1}.weight`,
            tensor.f32([feat, 1, 1], param(w, `body.${index + 1}.weight`)),
          );
          out = g.node("PRelu", [out, slope]);
        } else {
          // basicsr's SRVGGNetCompact uses nn.LeakyReLU(negative_slope=0.1).
          out = activation === "relu" ? g.node("Relu", [out]) : leakyRelu(g, out, 0.1);
        }
      }
      const last = `body.${2 * numConv + 2}`;
      out = conv(g, out, last, param(w, `${last}.weight`), param(w, `${last}.bias`), {
        kernel: 3,
        outC: outC * upscale * upscale,
        inC: feat,
      });
      const shuffled = pixelShuffle(g, out, upscale);
      const base = upsampleNearest(g, x, upscale);
      g.node("Add", [shuffled, base], undefined, { outputs: [output.name] });
      g.output(output.name, "float32", output.shape);
      return g.toModel({ metadata: { architecture: config.id } });
    },
  };
}
