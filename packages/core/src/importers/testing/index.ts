// Test-only writers for the files people upload (torch.save zip + pickle, safetensors), used
// by this package's importer tests and by other packages' upload tests.
export * from "./encode";
export * from "./half";
export * from "./octa-state-dict";
export * from "./pickler";
export * from "./write-pytorch";
export * from "./write-safetensors";
export * from "./zip-writer";
