// `@studio/core/image/formats`: what a file's bytes say about its image type (magic bytes, MIME
// types, extensions), the decoder's error type and the output sizes a result can have, without
// loading sharp, so the API process can check uploads, name content types and refuse a size
// while all pixel work stays in the inference service.
export * from "./errors";
export * from "./format";
export * from "./output-size";
