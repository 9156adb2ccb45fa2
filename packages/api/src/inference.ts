import { env } from "./env";
import { createInferenceClient, type InferenceClient } from "./inference-client";

let shared: InferenceClient | undefined;

/** The process's client for the inference service, from INFERENCE_URL / INFERENCE_TOKEN. */
export function getInferenceClient(): InferenceClient {
  const { INFERENCE_URL, INFERENCE_TOKEN } = env();
  shared ??= createInferenceClient({ baseUrl: INFERENCE_URL, token: INFERENCE_TOKEN });
  return shared;
}

export type { InferenceClient };
