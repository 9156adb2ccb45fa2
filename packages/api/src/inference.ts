// The API's side of the inference service: which service to call (INFERENCE_URL,
// INFERENCE_TOKEN) and the client type the context carries. The client itself and the wire
// schemas live in @studio/contracts, so the API never depends on the service's code.
import { createInferenceClient } from "@studio/contracts/inference-client";
import { env } from "./env";

/** What procedures and route handlers reach the service through (`ctx.inference`). */
export type InferenceClient = ReturnType<typeof createInferenceClient>;

let shared: InferenceClient | undefined;

/** The process's client for the inference service, from INFERENCE_URL / INFERENCE_TOKEN. */
export function getInferenceClient(): InferenceClient {
  const { INFERENCE_URL, INFERENCE_TOKEN } = env();
  shared ??= createInferenceClient({ baseUrl: INFERENCE_URL, token: INFERENCE_TOKEN });
  return shared;
}
