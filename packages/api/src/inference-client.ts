// Moved to @studio/contracts/inference-client. Kept only for the importers not yet switched
// over (files/ncnn-weight.ts, files/import-weight.test.ts, and `@studio/api/inference-client`
// in test/integration/pytorch-weight.test.ts); remove it, and its export, with them.
export {
  createInferenceClient,
  InferenceBusyError,
  type InferenceClientOptions,
  InferenceRequestError,
  InferenceUnavailableError,
} from "@studio/contracts/inference-client";
export type { InferenceClient } from "./inference";
