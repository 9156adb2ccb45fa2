import { tensor } from "../onnx/write";
import { type LayerContext, label, unsupported } from "./layer-context";
import { arrayParam, intParam, type NcnnLayer } from "./param";
import {
  checkWeightShape,
  convolutionParams,
  onnxPads,
  padParams,
  sizeParam,
} from "./window-params";

// The layers of the U-Net style NCNN models (Real-CUGAN, waifu2x CUNet, upconv_7): transposed
// convolution, crops of skip connections, pooling and explicit padding. Each follows ncnn's
// src/layer/<name>.cpp; parameter ids are ncnn's.

/** ncnn uses -233 for "not set / whole axis". */
const NOT_SET = -233;
/** An ONNX Slice end that means "to the end of the axis". */
const TO_END = Number.MAX_SAFE_INTEGER;

/**
 * Deconvolution: ncnn stores the weights as [out][in][kh][kw] and scatters input pixel (i, j)
 * to output (i * stride + ky * dilation, ...) without flipping the kernel, then cuts the pads
 * from the bordered result; ONNX ConvTranspose does the same with weights [in][out][kh][kw].
 */
export function deconvolution(ctx: LayerContext, layer: NcnnLayer): void {
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer);
  const params = convolutionParams(layer);
  const { outC, kernel, dilation, stride, pads, biasTerm, weightSize } = params;
  const outPadRight = intParam(layer, 18, 0);
  const outPadBottom = intParam(layer, 19, outPadRight);
  if (intParam(layer, 28, 0) !== 0)
    unsupported(layer, "dynamic weights (param 28) are not supported");
  if (intParam(layer, 20, 0) !== 0 || intParam(layer, 21, 0) !== 0)
    unsupported(layer, "a fixed output size (params 20/21) is not supported");
  if ([pads.left, pads.right, pads.top, pads.bottom].some((p) => p < 0))
    unsupported(layer, "negative or automatic pads are not supported");
  checkWeightShape(layer, params);
  const inC = weightSize / (outC * kernel.w * kernel.h);
  if (x?.channels != null && x.channels !== inC) {
    unsupported(layer, `weights expect ${inC} input channels, the input blob has ${x.channels}`);
  }
  const stored = ctx.readTagged(weightSize, `${label(layer)} weights`);
  const k = kernel.w * kernel.h;
  const weights = new Float32Array(weightSize);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < inC; i++) {
      weights.set(stored.subarray((o * inC + i) * k, (o * inC + i + 1) * k), (i * outC + o) * k);
    }
  }
  const inputs = [
    x?.value as string,
    ctx.g.constant(tensor.f32([inC, outC, kernel.h, kernel.w], weights), `${layer.name}_w`),
  ];
  if (biasTerm) {
    const bias = ctx.readRaw(outC, `${label(layer)} bias`);
    inputs.push(ctx.g.constant(tensor.f32([outC], bias), `${layer.name}_b`));
  }
  const y = ctx.g.node(
    "ConvTranspose",
    inputs,
    {
      kernel_shape: [kernel.h, kernel.w],
      dilations: [dilation.h, dilation.w],
      strides: [stride.h, stride.w],
      pads: onnxPads(pads),
      output_padding: [outPadBottom, outPadRight],
    },
    { name: layer.name },
  );
  ctx.set(layer, 0, { value: ctx.activation(layer, y), channels: outC, rank: 3 });
}

/**
 * Crop, in the two forms NCNN converters write: numpy-style starts/ends/axes arrays (params
 * 9/10/11, one input), and "crop to the size of a reference blob" at fixed offsets (two inputs,
 * params 0/1/2 = w/h/c offsets), which CUNet uses for its skip connections.
 */
export function crop(ctx: LayerContext, layer: NcnnLayer): void {
  const starts = arrayParam(layer, 9);
  const ends = arrayParam(layer, 10);
  const axes = arrayParam(layer, 11);
  if (layer.bottoms.length === 2) {
    ctx.expectCounts(layer, 2, 1);
    const [x, ref] = ctx.bottoms(layer);
    if (!x || !ref || x.rank !== 3 || ref.rank !== 3)
      unsupported(layer, "a reference crop needs two 3-D blobs");
    const woffset = intParam(layer, 0, 0);
    const hoffset = intParam(layer, 1, 0);
    const coffset = intParam(layer, 2, 0);
    if (woffset === NOT_SET)
      unsupported(layer, "crop offsets read from a blob (param 0 = -233) are not supported");
    if (starts.length > 0) unsupported(layer, "numpy-style params with a reference blob");
    const { g } = ctx;
    const begin = [coffset, hoffset, woffset];
    const refSize = g.node("Slice", [
      g.node("Shape", [ref.value]),
      g.constant(tensor.shape([1]), "start"),
      g.constant(tensor.shape([4]), "end"),
    ]);
    const end = g.node("Add", [refSize, g.constant(tensor.shape(begin), `${layer.name}_begin`)]);
    const y = g.node(
      "Slice",
      [
        x.value,
        g.constant(tensor.shape(begin), `${layer.name}_starts`),
        end,
        g.constant(tensor.shape([1, 2, 3]), "axes"),
      ],
      undefined,
      { name: layer.name },
    );
    ctx.set(layer, 0, { value: y, channels: ref.channels ?? x.channels, rank: 3 });
    return;
  }
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer);
  if (!x) unsupported(layer, "needs one input blob");
  if (starts.length === 0 || ends.length !== starts.length) {
    unsupported(
      layer,
      "only numpy-style crops (starts/ends arrays, params 9 and 10) or crops to a reference blob are supported",
    );
  }
  const dims = x.rank;
  const onnxAxes = (axes.length > 0 ? axes : starts.map((_, i) => i)).map((a) => {
    const axis = a < 0 ? dims + a : a;
    if (axis < 0 || axis >= dims) unsupported(layer, `axis ${a} is out of range for ${dims}-D`);
    return axis + 1;
  });
  if (axes.length > 0 && axes.length !== starts.length)
    unsupported(layer, `${starts.length} starts for ${axes.length} axes`);
  // ncnn: start -233 = 0; end -233 = the whole axis, end <= 0 counts from the end (0 = whole).
  const onnxStarts = starts.map((s) => (s === NOT_SET ? 0 : s));
  const onnxEnds = ends.map((e) => (e === NOT_SET || e === 0 ? TO_END : e));
  const { g } = ctx;
  const y = g.node(
    "Slice",
    [
      x.value,
      g.constant(tensor.shape(onnxStarts), `${layer.name}_starts`),
      g.constant(tensor.shape(onnxEnds), `${layer.name}_ends`),
      g.constant(tensor.shape(onnxAxes), `${layer.name}_axes`),
    ],
    undefined,
    { name: layer.name },
  );
  const slicesChannels = onnxAxes.includes(1);
  ctx.set(layer, 0, { value: y, channels: slicesChannels ? null : x.channels, rank: x.rank });
}

/**
 * Pooling: global max/average pooling (param 4) makes a 1-D blob of one value per channel, the
 * squeeze of a squeeze-and-excitation block; windowed pooling with explicit pads or SAME
 * padding maps to MaxPool/AveragePool.
 */
export function pooling(ctx: LayerContext, layer: NcnnLayer): void {
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer);
  if (x?.rank !== 3) unsupported(layer, "pooling needs a 3-D input blob");
  const type = intParam(layer, 0, 0);
  if (type !== 0 && type !== 1) unsupported(layer, `pooling type ${type} (0 max, 1 average)`);
  const { g } = ctx;
  if (intParam(layer, 7, 0) !== 0) unsupported(layer, "adaptive pooling (param 7)");
  if (intParam(layer, 4, 0) !== 0) {
    const op = type === 0 ? "GlobalMaxPool" : "GlobalAveragePool";
    if (ctx.squeeze && op === "GlobalAveragePool") {
      const name = ctx.squeeze.next();
      if (ctx.squeeze.mode === "inputs") {
        // the mean comes from outside (the whole image's), not from this tile
        g.input(name, "float32", [1, x.channels ?? "channels", 1, 1]);
        ctx.set(layer, 0, { value: name, channels: x.channels, rank: 1 });
        return;
      }
      const y = g.node(op, [x.value], undefined, { name: layer.name });
      ctx.squeeze.outputs.push([name, y, x.channels]);
      ctx.set(layer, 0, { value: y, channels: x.channels, rank: 1 });
      return;
    }
    const y = g.node(op, [x.value], undefined, { name: layer.name });
    ctx.set(layer, 0, { value: y, channels: x.channels, rank: 1 });
    return;
  }
  const kernel = sizeParam(layer, 1, 0);
  const stride = sizeParam(layer, 2, 1);
  const pads = padParams(layer, 3);
  const padMode = intParam(layer, 5, 0);
  const attributes: Record<string, number | number[] | string> = {
    kernel_shape: [kernel.h, kernel.w],
    strides: [stride.h, stride.w],
  };
  if (padMode === 1) attributes.pads = onnxPads(pads);
  else if (padMode === 2) attributes.auto_pad = "SAME_UPPER";
  else if (padMode === 3) attributes.auto_pad = "SAME_LOWER";
  else {
    unsupported(
      layer,
      `pad mode ${padMode} is not supported (1 valid with explicit pads, 2 same-upper, 3 same-lower)`,
    );
  }
  if (type === 1) attributes.count_include_pad = intParam(layer, 6, 0);
  const y = g.node(type === 0 ? "MaxPool" : "AveragePool", [x.value], attributes, {
    name: layer.name,
  });
  ctx.set(layer, 0, { value: y, channels: x.channels, rank: 3 });
}

/** Padding: constant, replicate (edge) or reflect borders; per-channel pad values are refused. */
export function padding(ctx: LayerContext, layer: NcnnLayer): void {
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer);
  if (x?.rank !== 3) unsupported(layer, "padding needs a 3-D input blob");
  const top = intParam(layer, 0, 0);
  const bottom = intParam(layer, 1, 0);
  const left = intParam(layer, 2, 0);
  const right = intParam(layer, 3, 0);
  const type = intParam(layer, 4, 0);
  const value = intParam(layer, 5, 0);
  const front = intParam(layer, 7, 0);
  const behind = intParam(layer, 8, front);
  if (intParam(layer, 6, 0) !== 0) unsupported(layer, "per-channel pad values (param 6)");
  const modes: Record<number, string> = { 0: "constant", 1: "edge", 2: "reflect" };
  const mode = modes[type];
  if (!mode) unsupported(layer, `padding type ${type} (0 constant, 1 replicate, 2 reflect)`);
  if ([top, bottom, left, right, front, behind].some((p) => p < 0))
    unsupported(layer, "negative pads");
  const { g } = ctx;
  const inputs = [
    x.value,
    g.constant(tensor.shape([0, front, top, left, 0, behind, bottom, right]), `${layer.name}_pads`),
  ];
  if (mode === "constant") inputs.push(g.constant(tensor.scalar(value), `${layer.name}_value`));
  const y = g.node("Pad", inputs, { mode }, { name: layer.name });
  const channels = x.channels != null ? x.channels + front + behind : null;
  ctx.set(layer, 0, { value: y, channels, rank: 3 });
}
