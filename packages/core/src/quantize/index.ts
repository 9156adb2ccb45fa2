// Public API of `@studio/core/quantize`: the INT8 fast CPU mode (int8 contract).
export { buildInt8Model, gateInt8Model, SPEED_SIDE } from "./build";
export { CALIBRATION_DIR, CALIBRATION_IMAGES } from "./calibration-images";
export { QuantizeUnsupportedError } from "./graph";
export { type QuantizedModel, quantizeModel } from "./quantize-model";
export { INT8_GATE, type Int8Report } from "./report";
export { hasVnni } from "./vnni";
