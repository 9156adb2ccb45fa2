// `@studio/core/image/formats`: what a file's bytes say about its image type (magic bytes, MIME
// types, extensions) and the decoder's error type, without loading sharp, so the API process
// can check uploads and name content types while all pixel work stays in the inference service.
export * from "./errors";
export * from "./format";
