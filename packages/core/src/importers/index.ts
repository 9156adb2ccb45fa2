// Public API of `@studio/core/importers`: PyTorch / safetensors state_dicts -> ONNX.
export { DEFAULT_MAX_BYTES, ImportError, type ImportErrorCode } from "./errors";
export {
  detectFormat,
  IMPORTABLE_EXTENSIONS,
  type ImportInput,
  type ImportReport,
  type ImportResult,
  importWeights,
  stripModulePrefix,
  type WeightFormat,
} from "./import-weights";
export { checkKeys, type KeyReport } from "./keys";
export { type PytorchFile, readPytorch, WRAPPER_KEYS } from "./pytorch";
export { readSafetensors, type SafetensorsFile } from "./safetensors";
export { type DType, type StateDict, toFloat32, type WeightTensor } from "./tensor";
