import type { ExecutionProvider } from "@studio/contracts/inference/system";

type Ort = typeof import("onnxruntime-node");

let loaded: Promise<Ort> | undefined;

/**
 * onnxruntime-node, loaded on first use. A missing or broken native binding then shows up as
 * a failed readiness check instead of a service that cannot start at all.
 */
export function loadOrt(): Promise<Ort> {
  loaded ??= import("onnxruntime-node").then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return loaded;
}

export interface OrtInfo {
  version: string;
  providers: ExecutionProvider[];
}

export async function ortInfo(): Promise<OrtInfo> {
  const ort = await loadOrt();
  return {
    version: ort.env.versions?.node ?? ort.env.versions?.common ?? "unknown",
    providers: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
  };
}
