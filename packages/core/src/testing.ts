// The package's one subpath for other packages' tests: writers of the files people upload
// (torch.save zip + pickle, safetensors, zip) and small ONNX models built in memory.
export * from "./importers/testing";
export * from "./onnx/testing-models";
