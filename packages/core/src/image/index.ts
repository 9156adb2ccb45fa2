export * from "./decode";
export * from "./encode";
export * from "./errors";
export * from "./format";
export * from "./provenance";
export * from "./rendition";
export * from "./types";
