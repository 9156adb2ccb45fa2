// The API's side of the inference service: which nodes to call and the client type the context
// carries. The client, the pool over several nodes and the wire schemas live in
// @studio/contracts, so the API never depends on the service's code.

import { createInferencePool, type InferenceNodeInfo } from "@studio/contracts/inference/pool";
import type { InferenceClient as SingleNodeClient } from "@studio/contracts/inference-client";
import { listNodes } from "@studio/db/nodes";
import { type Db, getDb } from "./db";
import { env } from "./env";

/** What procedures and route handlers reach the service through (`ctx.inference`). */
export type InferenceClient = SingleNodeClient;

/** How long one read of the node registry is reused (a call per request would be wasteful). */
const REGISTRY_TTL_MS = 1_000;
/** Weight ids whose sha256 is remembered (a plain bound: the map starts over when full). */
const WEIGHT_SHA_CACHE_SIZE = 10_000;

/**
 * A client over the installation's inference nodes: the ones the store's registry shows up,
 * or INFERENCE_URL while none is registered (a node that cannot reach the store, an
 * installation that names its one service). Previews prefer a node that holds their weight.
 */
export function createRegistryClient(
  db: Db,
  options: { fallbackUrl: string; token?: string },
): InferenceClient {
  let cached: { at: number; nodes: Promise<InferenceNodeInfo[]> } | undefined;
  const weightShas = new Map<string, string>();
  const fallback: InferenceNodeInfo[] = [
    { url: options.fallbackUrl, load: 0, capacity: 1, weights: [] },
  ];
  async function readRegistry(): Promise<InferenceNodeInfo[]> {
    const up = (await listNodes(db).catch(() => [])).filter((node) => node.state === "up");
    return up.length > 0 ? up : fallback;
  }
  return createInferencePool({
    token: options.token,
    listNodes() {
      const now = Date.now();
      if (!cached || now - cached.at > REGISTRY_TTL_MS) {
        cached = { at: now, nodes: readRegistry() };
      }
      return cached.nodes;
    },
    async weightOf(method, input) {
      if (method !== "preview") return undefined;
      const { weightId } = input as { weightId: string };
      // A weight's bytes never change under its id, so its sha256 is read once, not per preview.
      let sha256 = weightShas.get(weightId);
      if (!sha256) {
        const weight = await db.weight
          .findUnique({ where: { id: weightId }, select: { sha256: true } })
          .catch(() => null);
        if (!weight) return undefined;
        if (weightShas.size >= WEIGHT_SHA_CACHE_SIZE) weightShas.clear();
        sha256 = weight.sha256;
        weightShas.set(weightId, sha256);
      }
      return sha256;
    },
  });
}

let shared: InferenceClient | undefined;

/** The process's client over the inference nodes (registry, INFERENCE_URL, INFERENCE_TOKEN). */
export function getInferenceClient(): InferenceClient {
  const { INFERENCE_URL, INFERENCE_TOKEN } = env();
  shared ??= createRegistryClient(getDb(), {
    fallbackUrl: INFERENCE_URL,
    token: INFERENCE_TOKEN,
  });
  return shared;
}
