export * from "./cache";
export * from "./errors";
export * from "./memory";
export * from "./providers";
export * from "./runner";
export * from "./session";
export * from "./timings";
export * from "./working-memory";
