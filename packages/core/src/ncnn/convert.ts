import { readFile } from "node:fs/promises";
import { attr, GraphBuilder, tensor } from "../onnx/write";
import { NcnnBinReader } from "./bin";
import {
  type Blob,
  type LayerContext,
  label,
  NcnnUnsupportedError,
  unsupported,
} from "./layer-context";
import { arrayParam, intParam, NcnnFormatError, type NcnnLayer, parseNcnnParam } from "./param";
import { crop, deconvolution, padding, pooling } from "./spatial-layers";
import { broadcastOperands, flatten, innerProduct, scale } from "./vector-layers";
import { checkWeightShape, convolutionParams, onnxPads } from "./window-params";

export { NcnnUnsupportedError };

// Converts NCNN .param/.bin pairs to ONNX (float32, opset 17, NCHW with batch 1 and dynamic
// height/width). NCNN blobs have no batch axis: NCNN axis k is ONNX axis k + 1.

export interface NcnnConvertOptions {
  /** ONNX input name; default "input". */
  inputName?: string;
  /** ONNX output name when the net has one output; default "output". */
  outputName?: string;
  graphName?: string;
  /**
   * Pre/post-processing that the model zoo's reference app does around the net, folded into
   * the graph so that an H x W input maps to exactly (H * s) x (W * s) like any other model.
   */
  wrap?: NcnnWrap;
  /**
   * The global averages of squeeze-and-excitation blocks (Real-CUGAN, CUNet) as extra graph
   * outputs `squeeze_<k>` ("outputs"), or taken from extra inputs of those names instead of being
   * computed ("inputs"). A tile sees only itself, so its averages differ from the whole image's;
   * feeding every tile the whole image's averages makes tiles agree with an untiled run.
   */
  squeeze?: "inputs" | "outputs";
}

export interface NcnnWrap {
  /** Border added to the input before the net (the net's valid convolutions eat it). */
  pad: number;
  /** "reflect" excludes the edge pixel (ncnn BORDER_REFLECT), "edge" repeats it. */
  padMode: "reflect" | "edge";
  /** Adds the input upscaled by this factor (nearest) to the output: a residual net. */
  addNearestUpscaled?: number;
}

export interface NcnnConversion {
  bytes: Uint8Array;
  inputName: string;
  outputNames: string[];
  /** Input channels (from the Input layer or the first convolution), null if unknown. */
  inputChannels: number | null;
  outputChannels: (number | null)[];
  layerCount: number;
  /** Counts of weight storage kinds found in the .bin ("float16", "float32", ...). */
  weightStorage: Record<string, number>;
  parameterCount: number;
}

const SUPPORTED = [
  "Input",
  "Split",
  "Convolution",
  "ConvolutionDepthWise",
  "ReLU",
  "PReLU",
  "Sigmoid",
  "TanH",
  "Clip",
  "PixelShuffle",
  "Interp",
  "BinaryOp",
  "Eltwise",
  "Concat",
  "Dropout",
  "Noop",
  "Deconvolution",
  "Crop",
  "Pooling",
  "Padding",
  "InnerProduct",
  "Scale",
  "Flatten",
];

/** Blob -> channel count for the Input, inferred from the first convolution reading it. */
function inferInputChannels(layers: NcnnLayer[]): Map<string, number> {
  const origin = new Map<string, string>();
  const result = new Map<string, number>();
  for (const layer of layers) {
    if (layer.type === "Input") for (const top of layer.tops) origin.set(top, top);
    if (layer.type === "Split") {
      const source = origin.get(layer.bottoms[0] ?? "");
      if (source) for (const top of layer.tops) origin.set(top, source);
    }
    if (layer.type === "Convolution" || layer.type === "ConvolutionDepthWise") {
      const source = origin.get(layer.bottoms[0] ?? "");
      if (!source || result.has(source)) continue;
      const outC = intParam(layer, 0, 0);
      const kw = intParam(layer, 1, 0);
      const kh = intParam(layer, 11, kw);
      const group = layer.type === "ConvolutionDepthWise" ? intParam(layer, 7, 1) : 1;
      const size = intParam(layer, 6, 0);
      if (outC > 0 && kw > 0 && kh > 0) result.set(source, (size / (outC * kh * kw)) * group);
    }
  }
  return result;
}

export function convertNcnnToOnnx(
  paramText: string,
  bin: Uint8Array,
  options: NcnnConvertOptions = {},
): NcnnConversion {
  const { layers } = parseNcnnParam(paramText);
  for (const layer of layers) {
    if (!SUPPORTED.includes(layer.type)) {
      unsupported(
        layer,
        `unsupported NCNN layer type "${layer.type}" (supported: ${SUPPORTED.join(", ")})`,
      );
    }
  }
  const inputName = options.inputName ?? "input";
  const g = new GraphBuilder(options.graphName ?? "ncnn");
  const reader = new NcnnBinReader(bin);
  const weightStorage: Record<string, number> = {};
  let parameterCount = 0;
  /** NCNN blob name -> ONNX value, channel count and rank. */
  const blobs = new Map<string, Blob>();
  const consumed = new Set<string>();
  const inferredInputChannels = inferInputChannels(layers);
  let inputChannels: number | null = null;
  let inputCount = 0;

  const get = (layer: NcnnLayer, blob: string) => {
    const found = blobs.get(blob);
    if (!found) unsupported(layer, `reads blob "${blob}" before any layer produces it`);
    consumed.add(blob);
    return found;
  };
  const setBlob = (layer: NcnnLayer, index: number, produced: Blob) => {
    const blob = layer.tops[index];
    if (blob === undefined) unsupported(layer, `expected at least ${index + 1} output blob(s)`);
    if (blobs.has(blob)) unsupported(layer, `blob "${blob}" is produced twice`);
    blobs.set(blob, produced);
  };
  const set = (layer: NcnnLayer, index: number, value: string, channels: number | null) =>
    setBlob(layer, index, { value, channels, rank: blobRank(layer) });
  const expectCounts = (layer: NcnnLayer, bottoms: number | "any", tops: number) => {
    if ((bottoms !== "any" && layer.bottoms.length !== bottoms) || layer.tops.length !== tops) {
      unsupported(
        layer,
        `expected ${bottoms} input and ${tops} output blob(s), found ${layer.bottoms.length} and ${layer.tops.length}`,
      );
    }
  };
  const readTagged = (count: number, what: string) => {
    const { data, storage } = reader.readTagged(count, what);
    weightStorage[storage] = (weightStorage[storage] ?? 0) + 1;
    parameterCount += count;
    return data;
  };
  const readRaw = (count: number, what: string) => {
    parameterCount += count;
    return reader.readRaw(count, what);
  };
  const ctx: LayerContext = {
    g,
    bottoms: (layer) => layer.bottoms.map((b) => get(layer, b)),
    set: setBlob,
    expectCounts,
    readTagged,
    readRaw,
    activation: (layer, x) => activation(g, layer, x),
  };
  if (options.squeeze) {
    let count = 0;
    ctx.squeeze = { mode: options.squeeze, next: () => `squeeze_${count++}`, outputs: [] };
  }
  /** Element-wise layers keep the rank of their (first) input. */
  const blobRank = (layer: NcnnLayer): 1 | 3 =>
    layer.bottoms.some((b) => blobs.get(b)?.rank === 3) ? 3 : layer.bottoms.length > 0 ? 1 : 3;
  let inputValue = inputName;

  for (const layer of layers) {
    const bottoms = () => layer.bottoms.map((b) => get(layer, b));
    switch (layer.type) {
      case "Input": {
        expectCounts(layer, 0, 1);
        if (inputCount++ > 0) unsupported(layer, "only single-input networks are supported");
        // Input params 0/1 (w, h) are the size the model was exported with; ncnn's Input layer
        // does not enforce them (waifu2x's .param files say 200x200 and run at any size).
        const c =
          intParam(layer, 2, 0) || inferredInputChannels.get(layer.tops[0] as string) || null;
        inputChannels = c;
        g.input(inputName, "float32", [1, c ?? "channels", "height", "width"]);
        if (options.wrap && options.wrap.pad > 0) {
          const p = options.wrap.pad;
          inputValue = g.node(
            "Pad",
            [inputName, g.constant(tensor.shape([0, 0, p, p, 0, 0, p, p]), "input_pads")],
            { mode: options.wrap.padMode },
            { name: "input_pad" },
          );
        }
        set(layer, 0, inputValue, c);
        break;
      }
      case "Split":
      case "Dropout":
      case "Noop": {
        expectCounts(layer, 1, layer.tops.length);
        const [source] = bottoms();
        if (!source) unsupported(layer, "needs one input blob");
        for (let i = 0; i < layer.tops.length; i++) set(layer, i, source.value, source.channels);
        break;
      }
      case "Convolution":
      case "ConvolutionDepthWise": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const params = convolutionParams(layer);
        const { outC, kernel, dilation, stride, pads, biasTerm, weightSize } = params;
        const group = layer.type === "ConvolutionDepthWise" ? intParam(layer, 7, 1) : 1;
        if (intParam(layer, 8, 0) !== 0)
          unsupported(layer, "int8 convolution (param 8) is not supported");
        if (intParam(layer, 19, 0) !== 0)
          unsupported(layer, "dynamic weights (param 19) are not supported");
        if (intParam(layer, 18, 0) !== 0)
          unsupported(layer, "non-zero pad value (param 18) is not supported");
        checkWeightShape(layer, params);
        const inPerGroup = weightSize / (outC * kernel.w * kernel.h);
        const weights = readTagged(weightSize, `${label(layer)} weights`);
        const inputs = [
          x?.value as string,
          g.constant(
            tensor.f32([outC, inPerGroup, kernel.h, kernel.w], weights),
            `${layer.name}_w`,
          ),
        ];
        if (biasTerm)
          inputs.push(
            g.constant(
              tensor.f32([outC], readRaw(outC, `${label(layer)} bias`)),
              `${layer.name}_b`,
            ),
          );
        const attributes: Record<string, number[] | number | string> = {
          kernel_shape: [kernel.h, kernel.w],
          dilations: [dilation.h, dilation.w],
          strides: [stride.h, stride.w],
          group,
        };
        if (pads.left === -233 || pads.left === -234)
          attributes.auto_pad = pads.left === -233 ? "SAME_UPPER" : "SAME_LOWER";
        else if (pads.left < 0) unsupported(layer, `pad mode ${pads.left} is not supported`);
        else attributes.pads = onnxPads(pads);
        const conv = g.node("Conv", inputs, attributes, { name: layer.name });
        set(layer, 0, activation(g, layer, conv), outC);
        break;
      }
      case "ReLU": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const slope = intParam(layer, 0, 0);
        const y =
          slope === 0
            ? g.node("Relu", [x?.value as string], undefined, { name: layer.name })
            : g.node(
                "LeakyRelu",
                [x?.value as string],
                { alpha: attr.float(slope) },
                { name: layer.name },
              );
        set(layer, 0, y, x?.channels ?? null);
        break;
      }
      case "PReLU": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const count = intParam(layer, 0, 0);
        const slopes = readRaw(count, `${label(layer)} slopes`);
        const dims = count === 1 ? [1] : [count, 1, 1];
        const y = g.node(
          "PRelu",
          [x?.value as string, g.constant(tensor.f32(dims, slopes), `${layer.name}_slope`)],
          undefined,
          {
            name: layer.name,
          },
        );
        set(layer, 0, y, x?.channels ?? null);
        break;
      }
      case "Sigmoid":
      case "TanH": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const op = layer.type === "Sigmoid" ? "Sigmoid" : "Tanh";
        set(
          layer,
          0,
          g.node(op, [x?.value as string], undefined, { name: layer.name }),
          x?.channels ?? null,
        );
        break;
      }
      case "Clip": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const min = g.constant(tensor.scalar(intParam(layer, 0, -Number.MAX_VALUE)), "clip_min");
        const max = g.constant(tensor.scalar(intParam(layer, 1, Number.MAX_VALUE)), "clip_max");
        set(
          layer,
          0,
          g.node("Clip", [x?.value as string, min, max], undefined, { name: layer.name }),
          x?.channels ?? null,
        );
        break;
      }
      case "PixelShuffle": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const r = intParam(layer, 0, 1);
        // mode 0 is PyTorch's pixel_shuffle (ONNX CRD); mode 1 is TensorFlow's depth_to_space (DCR)
        const mode = intParam(layer, 1, 0) === 0 ? "CRD" : "DCR";
        const y = g.node(
          "DepthToSpace",
          [x?.value as string],
          { blocksize: r, mode },
          { name: layer.name },
        );
        set(layer, 0, y, x?.channels != null ? x.channels / (r * r) : null);
        break;
      }
      case "Interp": {
        expectCounts(layer, 1, 1);
        const [x] = bottoms();
        const type = intParam(layer, 0, 0);
        const alignCorner = intParam(layer, 6, 0);
        if (intParam(layer, 5, 0) !== 0)
          unsupported(layer, "dynamic target size (param 5) is not supported");
        const modes: Record<number, Record<string, string>> = {
          1: {
            mode: "nearest",
            nearest_mode: "floor",
            coordinate_transformation_mode: "asymmetric",
          },
          2: {
            mode: "linear",
            coordinate_transformation_mode: alignCorner ? "align_corners" : "half_pixel",
          },
          3: {
            mode: "cubic",
            coordinate_transformation_mode: alignCorner ? "align_corners" : "half_pixel",
          },
        };
        const attributes = modes[type];
        if (!attributes)
          unsupported(
            layer,
            `resize type ${type} is not supported (1 nearest, 2 bilinear, 3 bicubic)`,
          );
        const outH = intParam(layer, 3, 0);
        const outW = intParam(layer, 4, 0);
        let y: string;
        if (outH > 0 && outW > 0) {
          const shape = g.node("Shape", [x?.value as string]);
          const nc = g.node("Slice", [
            shape,
            g.constant(tensor.shape([0]), "start"),
            g.constant(tensor.shape([2]), "end"),
          ]);
          const sizes = g.node("Concat", [nc, g.constant(tensor.shape([outH, outW]), "hw")], {
            axis: 0,
          });
          y = g.node("Resize", [x?.value as string, "", "", sizes], attributes, {
            name: layer.name,
          });
        } else {
          const hs = intParam(layer, 1, 1);
          const ws = intParam(layer, 2, 1);
          const scales = g.constant(tensor.f32([4], [1, 1, hs, ws]), `${layer.name}_scales`);
          y = g.node("Resize", [x?.value as string, "", scales], attributes, { name: layer.name });
        }
        set(layer, 0, y, x?.channels ?? null);
        break;
      }
      case "BinaryOp": {
        const opType = intParam(layer, 0, 0);
        const withScalar = intParam(layer, 1, 0) !== 0;
        expectCounts(layer, withScalar ? 1 : 2, 1);
        const xs = bottoms();
        let a = xs[0]?.value as string;
        let b = withScalar
          ? g.constant(tensor.scalar(intParam(layer, 2, 0)), `${layer.name}_b`)
          : (xs[1]?.value as string);
        let shape: Omit<Blob, "value"> = {
          channels: xs[0]?.channels ?? null,
          rank: xs[0]?.rank ?? 3,
        };
        if (!withScalar && xs[0]?.rank !== xs[1]?.rank) {
          const operands = broadcastOperands(ctx, layer, xs[0] as Blob, xs[1] as Blob);
          a = operands.a;
          b = operands.b;
          shape = { channels: operands.channels, rank: operands.rank };
        }
        const ops: Record<number, [string, boolean]> = {
          0: ["Add", false],
          1: ["Sub", false],
          2: ["Mul", false],
          3: ["Div", false],
          4: ["Max", false],
          5: ["Min", false],
          6: ["Pow", false],
          7: ["Sub", true],
          8: ["Div", true],
          9: ["Pow", true],
        };
        const op = ops[opType];
        if (!op) unsupported(layer, `binary op type ${opType} is not supported`);
        const [name, reversed] = op;
        const y = g.node(name, reversed ? [b, a] : [a, b], undefined, { name: layer.name });
        setBlob(layer, 0, { value: y, ...shape });
        break;
      }
      case "Eltwise": {
        expectCounts(layer, "any", 1);
        const xs = bottoms();
        const opType = intParam(layer, 0, 0);
        const coeffs = arrayParam(layer, 1);
        if (xs.length < 2) unsupported(layer, "needs at least two input blobs");
        let values = xs.map((x) => x.value);
        let y: string;
        if (opType === 1) {
          if (coeffs.length > 0 && coeffs.length !== values.length) {
            unsupported(layer, `has ${coeffs.length} coefficients for ${values.length} inputs`);
          }
          if (coeffs.some((c) => c !== 1)) {
            values = values.map((v, i) =>
              coeffs[i] === 1
                ? v
                : g.node("Mul", [v, g.constant(tensor.scalar(coeffs[i] as number), "coeff")]),
            );
          }
          y = g.node("Sum", values, undefined, { name: layer.name });
        } else if (opType === 0) {
          y = values.slice(1).reduce((acc, v) => g.node("Mul", [acc, v]), values[0] as string);
        } else if (opType === 2) {
          y = g.node("Max", values, undefined, { name: layer.name });
        } else {
          unsupported(layer, `eltwise op type ${opType} is not supported`);
        }
        set(layer, 0, y, xs[0]?.channels ?? null);
        break;
      }
      case "Concat": {
        expectCounts(layer, "any", 1);
        const xs = bottoms();
        const axis = intParam(layer, 0, 0);
        const y = g.node(
          "Concat",
          xs.map((x) => x.value),
          { axis: axis >= 0 ? axis + 1 : axis },
          { name: layer.name },
        );
        const channels =
          axis === 0 && xs.every((x) => x.channels != null)
            ? xs.reduce((n, x) => n + (x.channels as number), 0)
            : null;
        set(layer, 0, y, axis === 0 ? channels : (xs[0]?.channels ?? null));
        break;
      }
      case "Deconvolution":
        deconvolution(ctx, layer);
        break;
      case "Crop":
        crop(ctx, layer);
        break;
      case "Pooling":
        pooling(ctx, layer);
        break;
      case "Padding":
        padding(ctx, layer);
        break;
      case "InnerProduct":
        innerProduct(ctx, layer);
        break;
      case "Scale":
        scale(ctx, layer);
        break;
      case "Flatten":
        flatten(ctx, layer);
        break;
      default:
        unsupported(layer, `unsupported NCNN layer type "${layer.type}"`);
    }
  }
  reader.assertConsumed();
  if (inputCount === 0) throw new NcnnFormatError(".param has no Input layer");

  const finals = [...blobs.keys()].filter((b) => !consumed.has(b));
  if (finals.length === 0) throw new NcnnFormatError("the network has no output blob");
  const outputNames: string[] = [];
  const outputChannels: (number | null)[] = [];
  const residual = options.wrap?.addNearestUpscaled;
  if (residual !== undefined && finals.length !== 1)
    throw new NcnnUnsupportedError("a residual wrap needs a network with exactly one output");
  for (const blob of finals) {
    let { value, channels } = blobs.get(blob) as Blob;
    if (residual !== undefined) {
      const upscaled = g.node(
        "Resize",
        [inputName, "", g.constant(tensor.f32([4], [1, 1, residual, residual]), "residual_scales")],
        { mode: "nearest", nearest_mode: "floor", coordinate_transformation_mode: "asymmetric" },
        { name: "residual_upscale" },
      );
      value = g.node("Add", [value, upscaled], undefined, { name: "residual_add" });
    }
    const name = finals.length === 1 ? (options.outputName ?? "output") : freeName(g, blob);
    g.node("Identity", [value], undefined, { outputs: [name] });
    g.output(name, "float32", [1, channels ?? "out_channels", "out_height", "out_width"]);
    outputNames.push(name);
    outputChannels.push(channels);
  }
  for (const [name, value, channels] of ctx.squeeze?.outputs ?? []) {
    g.node("Identity", [value], undefined, { outputs: [name] });
    g.output(name, "float32", [1, channels ?? "channels", 1, 1]);
    outputNames.push(name);
    outputChannels.push(channels);
  }
  return {
    bytes: g.toModel({ producerName: "@studio/core ncnn importer" }),
    inputName,
    outputNames,
    inputChannels,
    outputChannels,
    layerCount: layers.length,
    weightStorage,
    parameterCount,
  };
}

function freeName(g: GraphBuilder, hint: string): string {
  let name = hint;
  for (let i = 1; g.has(name); i++) name = `${hint}_${i}`;
  return name;
}

function activation(g: GraphBuilder, layer: NcnnLayer, x: string): string {
  const type = intParam(layer, 9, 0);
  const params = arrayParam(layer, 10);
  switch (type) {
    case 0:
      return x;
    case 1:
      return g.node("Relu", [x]);
    case 2:
      return g.node("LeakyRelu", [x], { alpha: attr.float(params[0] ?? 0) });
    case 3:
      return g.node("Clip", [
        x,
        g.constant(tensor.scalar(params[0] ?? -Number.MAX_VALUE), "clip_min"),
        g.constant(tensor.scalar(params[1] ?? Number.MAX_VALUE), "clip_max"),
      ]);
    case 4:
      return g.node("Sigmoid", [x]);
    case 5: // mish(x) = x * tanh(softplus(x))
      return g.node("Mul", [x, g.node("Tanh", [g.node("Softplus", [x])])]);
    case 6: // hardswish(x) = x * clamp(alpha * x + beta, 0, 1)
      return g.node("Mul", [
        x,
        g.node("HardSigmoid", [x], {
          alpha: attr.float(params[0] ?? 0.2),
          beta: attr.float(params[1] ?? 0.5),
        }),
      ]);
    default:
      return unsupported(layer, `fused activation type ${type} (param 9) is not supported`);
  }
}

export async function convertNcnnFiles(
  paramPath: string,
  binPath: string,
  options: NcnnConvertOptions = {},
): Promise<NcnnConversion> {
  const [param, bin] = await Promise.all([readFile(paramPath, "utf8"), readFile(binPath)]);
  return convertNcnnToOnnx(param, bin, options);
}
