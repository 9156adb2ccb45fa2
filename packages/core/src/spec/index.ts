// Browser-safe: zod only. The web app, the API and the inference service share these schemas.
export * from "./mask";
export * from "./model-spec";
export * from "./params";
export * from "./tuning";
