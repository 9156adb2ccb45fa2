// Public API of `@studio/core/ncnn`: NCNN .param/.bin -> ONNX.
export { NcnnBinReader } from "./bin";
export {
  convertNcnnFiles,
  convertNcnnToOnnx,
  type NcnnConversion,
  type NcnnConvertOptions,
  NcnnUnsupportedError,
  type NcnnWrap,
} from "./convert";
export { NcnnFormatError, type NcnnLayer, type NcnnParam, parseNcnnParam } from "./param";
