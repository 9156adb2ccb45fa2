import { tensor } from "../onnx/write";
import { type Blob, type LayerContext, label, unsupported } from "./layer-context";
import { intParam, type NcnnLayer } from "./param";

// Layers on 1-D blobs (vectors [1, n, 1, 1], see Blob): the excitation half of a
// squeeze-and-excitation block (InnerProduct with fused ReLU / sigmoid, then Scale or BinaryOp
// multiplying a feature map by one factor per channel), and Flatten. Each follows ncnn's
// src/layer/<name>.cpp; parameter ids are ncnn's.

/** InnerProduct: weights [out][in] (tagged), bias raw; a 3-D input is flattened (c, h, w). */
export function innerProduct(ctx: LayerContext, layer: NcnnLayer): void {
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer);
  if (!x) unsupported(layer, "needs one input blob");
  const outN = intParam(layer, 0, 0);
  const biasTerm = intParam(layer, 1, 0);
  const weightSize = intParam(layer, 2, 0);
  if (intParam(layer, 8, 0) !== 0) unsupported(layer, "int8 inner product (param 8)");
  if (outN <= 0 || weightSize % outN !== 0)
    unsupported(layer, `inconsistent shape: num_output ${outN}, weight size ${weightSize}`);
  const inN = weightSize / outN;
  const weights = ctx.readTagged(weightSize, `${label(layer)} weights`);
  const bias = biasTerm ? ctx.readRaw(outN, `${label(layer)} bias`) : null;
  const { g } = ctx;
  let y: string;
  if (x.rank === 1) {
    if (x.channels != null && x.channels !== inN)
      unsupported(layer, `weights expect ${inN} inputs, the input vector has ${x.channels}`);
    // a vector is [1, n, 1, 1]: the product is a 1x1 convolution and stays a vector
    const inputs = [x.value, g.constant(tensor.f32([outN, inN, 1, 1], weights), `${layer.name}_w`)];
    if (bias) inputs.push(g.constant(tensor.f32([outN], bias), `${layer.name}_b`));
    y = g.node("Conv", inputs, { kernel_shape: [1, 1] }, { name: layer.name });
  } else {
    const flat = g.node("Flatten", [x.value], { axis: 1 });
    const inputs = [flat, g.constant(tensor.f32([outN, inN], weights), `${layer.name}_w`)];
    if (bias) inputs.push(g.constant(tensor.f32([outN], bias), `${layer.name}_b`));
    const product = g.node("Gemm", inputs, { transB: 1 }, { name: layer.name });
    y = g.node("Reshape", [product, g.constant(tensor.shape([1, outN, 1, 1]), "vector_shape")]);
  }
  ctx.set(layer, 0, { value: ctx.activation(layer, y), channels: outN, rank: 1 });
}

/**
 * Scale: multiply by one factor per channel, either stored (param 0 = count, raw float32, then
 * the bias if param 1) or taken from a second input blob (param 0 = -233, no bias).
 */
export function scale(ctx: LayerContext, layer: NcnnLayer): void {
  const size = intParam(layer, 0, 0);
  const biasTerm = intParam(layer, 1, 0);
  const { g } = ctx;
  if (size === -233) {
    ctx.expectCounts(layer, 2, 1);
    const [x, s] = ctx.bottoms(layer) as [Blob, Blob];
    if (biasTerm) unsupported(layer, "a bias with a scale blob (param 0 = -233)");
    checkPerChannel(layer, x, s.rank === 1 ? s.channels : null);
    const y = g.node("Mul", [x.value, s.value], undefined, { name: layer.name });
    ctx.set(layer, 0, { ...x, value: y });
    return;
  }
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer) as [Blob];
  if (size <= 0) unsupported(layer, `scale size ${size}`);
  checkPerChannel(layer, x, size);
  const factors = ctx.readRaw(size, `${label(layer)} scale`);
  let y = g.node("Mul", [x.value, g.constant(tensor.f32([size, 1, 1], factors), "scale")]);
  if (biasTerm) {
    const bias = ctx.readRaw(size, `${label(layer)} bias`);
    y = g.node("Add", [y, g.constant(tensor.f32([size, 1, 1], bias), "bias")]);
  }
  ctx.set(layer, 0, { ...x, value: y });
}

function checkPerChannel(layer: NcnnLayer, x: Blob, count: number | null): void {
  if (x.rank === 3 && count != null && x.channels != null && count !== x.channels)
    unsupported(layer, `${count} factors for ${x.channels} channels`);
}

/** Flatten: a 3-D blob becomes the vector of its values in (c, h, w) order. */
export function flatten(ctx: LayerContext, layer: NcnnLayer): void {
  ctx.expectCounts(layer, 1, 1);
  const [x] = ctx.bottoms(layer) as [Blob];
  if (x.rank === 1) {
    ctx.set(layer, 0, x);
    return;
  }
  const { g } = ctx;
  const flat = g.node("Flatten", [x.value], { axis: 1 }, { name: layer.name });
  const y = g.node("Unsqueeze", [flat, g.constant(tensor.shape([2, 3]), "hw_axes")]);
  ctx.set(layer, 0, { value: y, channels: null, rank: 1 });
}

/**
 * Broadcasting of a 1-D blob against a 3-D one in BinaryOp: ncnn lines the vector up with the
 * channels when its length equals the channel count, else with the width. Vectors are stored
 * along the channel axis, so only the width case needs a reshape.
 */
export function broadcastOperands(ctx: LayerContext, layer: NcnnLayer, a: Blob, b: Blob) {
  const along = (vector: Blob, other: Blob): string => {
    if (vector.rank !== 1 || other.rank !== 3) return vector.value;
    if (vector.channels == null || other.channels == null)
      unsupported(layer, "cannot tell whether a vector operand lines up with channels or width");
    if (vector.channels === other.channels) return vector.value;
    return ctx.g.node("Reshape", [
      vector.value,
      ctx.g.constant(tensor.shape([1, 1, 1, vector.channels]), "width_vector"),
    ]);
  };
  const rank: 1 | 3 = a.rank === 3 || b.rank === 3 ? 3 : 1;
  const channels = rank === 3 ? (a.rank === 3 ? a.channels : b.channels) : a.channels;
  return { a: along(a, b), b: along(b, a), rank, channels };
}
