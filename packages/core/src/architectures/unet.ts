import { GraphBuilder, tensor } from "../onnx/write";
import { OCTA_SEGMENTATION_SPEC } from "../spec";
import { batchNormParams, conv, convParams, foldBatchNorm, param } from "./layers";
import type { Architecture, ParamSpec, Weights } from "./types";

export interface UNetConfig {
  id?: string;
  inChannels?: number;
  outChannels?: number;
  /** Channels of enc1; each level doubles it (64 -> 1024 in the bottleneck). */
  base?: number;
  /** Fixed input side; must be a multiple of 16 (four 2x2 poolings). */
  size?: number;
}

const ENCODERS = ["enc1", "enc2", "enc3", "enc4"] as const;

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
  ENCODERS.forEach((name, level) => {
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

function block(
  g: GraphBuilder,
  x: string,
  name: string,
  cin: number,
  cout: number,
  w: Weights,
): string {
  let out = x;
  for (const [convIndex, bnIndex, inC] of [
    [0, 1, cin],
    [3, 4, cout],
  ] as const) {
    const bn = `${name}.${bnIndex}`;
    const folded = foldBatchNorm(
      param(w, `${name}.${convIndex}.weight`),
      param(w, `${name}.${convIndex}.bias`),
      {
        gamma: param(w, `${bn}.weight`),
        beta: param(w, `${bn}.bias`),
        mean: param(w, `${bn}.running_mean`),
        variance: param(w, `${bn}.running_var`),
      },
    );
    out = conv(g, out, `${name}.${convIndex}`, folded.weight, folded.bias, {
      kernel: 3,
      outC: cout,
      inC,
    });
    out = g.node("Relu", [out]);
  }
  return out;
}

export function createUNet(config: UNetConfig = {}): Architecture {
  const inC = config.inChannels ?? 1;
  const outC = config.outChannels ?? 1;
  const base = config.base ?? 64;
  const size = config.size ?? 256;
  if (size % 16 !== 0) throw new Error(`U-Net input size ${size} is not a multiple of 16`);
  const width = (level: number) => base * 2 ** level;
  const input = { name: "input", shape: ["N", inC, size, size] as (number | string)[] };
  const output = { name: "logits", shape: ["N", outC, size, size] as (number | string)[] };

  return {
    id: config.id ?? "octa-unet",
    name: "U-Net (OCTA segmentation)",
    family: "unet",
    taskKind: "segmentation",
    doc:
      `U-Net with encoder blocks enc1-enc4 (${width(0)}-${width(3)} channels), a ${width(4)}-channel bottleneck, ` +
      "ConvTranspose2d(2, stride 2) upsampling with concatenated skips into dec4-dec1, and a 1x1 final_conv. " +
      "Each block is nn.Sequential(Conv3x3, BatchNorm2d, ReLU, Conv3x3, BatchNorm2d, ReLU). " +
      `Input [N,${inC},${size},${size}] normalised as (x/255-0.5)/0.5, output logits [N,${outC},${size},${size}] (sigmoid, threshold 0.5). ` +
      "See packages/core/src/architectures/README.md for the PyTorch module.",
    parameters: unetParameters(inC, outC, base),
    input,
    output,
    defaultSpec: OCTA_SEGMENTATION_SPEC,
    build(w: Weights): Uint8Array {
      const g = new GraphBuilder("octa_unet");
      const x = g.input(input.name, "float32", input.shape);
      const skips: string[] = [];
      let out = x;
      ENCODERS.forEach((name, level) => {
        out = block(g, out, name, level === 0 ? inC : width(level - 1), width(level), w);
        skips.push(out);
        out = g.node("MaxPool", [out], { kernel_shape: [2, 2], strides: [2, 2] });
      });
      out = block(g, out, "bottleneck", width(3), width(4), w);
      for (let level = 4; level >= 1; level--) {
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
        out = block(g, merged, `dec${level}`, width(level), width(level - 1), w);
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
