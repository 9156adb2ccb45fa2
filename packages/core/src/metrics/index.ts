// Quality scores against references: plain functions on pixel arrays (no sharp, no
// onnxruntime), so the worker computes them and tests check them against independent values.
export * from "./binary";
export * from "./classification";
export * from "./cldice";
export * from "./image-quality";
export * from "./records";
export * from "./skeleton";
export * from "./threshold-sweep";
