// The package's one subpath for other packages' tests: writers of the files people upload
// (torch.save zip + pickle, safetensors, zip, BMP), small ONNX models built in memory, catching the
// error a call is expected to fail with, and comparing computed numbers.
export * from "./image/testing-bmp";
export * from "./importers/testing";
export * from "./onnx/testing-models";
export * from "./testing-errors";
export * from "./testing-numbers";
