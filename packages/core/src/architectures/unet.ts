import { GraphBuilder, tensor } from "../onnx/write";
import { type UNetConfig, unetInfo } from "./catalog";
import { conv, foldBatchNorm, param } from "./layers";
import { unetBlockLayout, unetEncoders } from "./param-specs";
import type { Architecture, Weights } from "./types";

export { unetParameters } from "./param-specs";
export type { UNetConfig };

function block(
  g: GraphBuilder,
  x: string,
  name: string,
  cin: number,
  cout: number,
  w: Weights,
  batchNorm: boolean,
): string {
  let out = x;
  unetBlockLayout(batchNorm).forEach(({ conv: convIndex, bn: bnIndex }, i) => {
    const weight = param(w, `${name}.${convIndex}.weight`);
    const bias = param(w, `${name}.${convIndex}.bias`);
    const bn = `${name}.${bnIndex}`;
    const folded =
      bnIndex === null
        ? { weight, bias }
        : foldBatchNorm(weight, bias, {
            gamma: param(w, `${bn}.weight`),
            beta: param(w, `${bn}.bias`),
            mean: param(w, `${bn}.running_mean`),
            variance: param(w, `${bn}.running_var`),
          });
    out = conv(g, out, `${name}.${convIndex}`, folded.weight, folded.bias, {
      kernel: 3,
      outC: cout,
      inC: i === 0 ? cin : cout,
    });
    out = g.node("Relu", [out]);
  });
  return out;
}

export function createUNet(config: UNetConfig = {}): Architecture {
  const info = unetInfo(config);
  const inC = config.inChannels ?? 1;
  const outC = config.outChannels ?? 1;
  const base = config.base ?? 64;
  const depth = config.depth ?? 4;
  const batchNorm = config.batchNorm ?? true;
  const width = (level: number) => base * 2 ** level;
  const { input, output } = info;

  return {
    ...info,
    build(w: Weights): Uint8Array {
      const g = new GraphBuilder((config.id ?? "octa-unet").replaceAll("-", "_"));
      const x = g.input(input.name, "float32", input.shape);
      const skips: string[] = [];
      let out = x;
      unetEncoders(depth).forEach((name, level) => {
        out = block(g, out, name, level === 0 ? inC : width(level - 1), width(level), w, batchNorm);
        skips.push(out);
        out = g.node("MaxPool", [out], { kernel_shape: [2, 2], strides: [2, 2] });
      });
      out = block(g, out, "bottleneck", width(depth - 1), width(depth), w, batchNorm);
      for (let level = depth; level >= 1; level--) {
        const name = `upconv${level}`;
        const weight = g.initializer(
          `${name}.weight`,
          tensor.f32([width(level), width(level - 1), 2, 2], param(w, `${name}.weight`)),
        );
        const bias = g.initializer(
          `${name}.bias`,
          tensor.f32([width(level - 1)], param(w, `${name}.bias`)),
        );
        const up = g.node(
          "ConvTranspose",
          [out, weight, bias],
          { kernel_shape: [2, 2], strides: [2, 2] },
          { name },
        );
        const merged = g.node("Concat", [up, skips[level - 1] as string], { axis: 1 });
        out = block(g, merged, `dec${level}`, width(level), width(level - 1), w, batchNorm);
      }
      const logits = conv(
        g,
        out,
        "final_conv",
        param(w, "final_conv.weight"),
        param(w, "final_conv.bias"),
        {
          kernel: 1,
          outC,
          inC: base,
        },
      );
      g.node("Identity", [logits], undefined, { outputs: [output.name] });
      g.output(output.name, "float32", output.shape);
      return g.toModel({ metadata: { architecture: config.id ?? "octa-unet" } });
    },
  };
}
