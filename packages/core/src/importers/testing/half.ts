// The writer's own converter: test files encode half floats exactly as ONNX initialisers do.
export { float32ToFloat16Bits as floatToHalf } from "../../onnx/float16";

/** float32 -> bfloat16 bits, round to nearest even. */
export function floatToBfloat16(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0] as number;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
