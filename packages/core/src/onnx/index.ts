// Public API of `@studio/core/onnx`: writing and inspecting ONNX graphs. No onnxruntime import.
export * from "./float16";
export * from "./inspect";
export * from "./write";
