import type { ModelSpec, TaskKind } from "../spec";
import { createRrdb } from "./rrdb";
import { createSrvgg } from "./srvgg";
import type { Architecture } from "./types";
import { createUNet } from "./unet";

/**
 * The architectures a PyTorch/safetensors upload can be registered for. Parameter lists are
 * built lazily because RRDBNet alone has ~700 keys.
 */
const FACTORIES: Record<string, () => Architecture> = {
  "octa-unet": () => createUNet({ id: "octa-unet" }),
  "realesr-general-x4v3": () =>
    createSrvgg({
      id: "realesr-general-x4v3",
      name: "Real-ESRGAN general x4 v3 (SRVGGNetCompact)",
      numConv: 32,
    }),
  "realesr-animevideov3": () =>
    createSrvgg({
      id: "realesr-animevideov3",
      name: "Real-ESRGAN anime video v3 (SRVGGNetCompact)",
      numConv: 16,
    }),
  "realesrgan-x4plus": () =>
    createRrdb({
      id: "realesrgan-x4plus",
      name: "Real-ESRGAN x4plus (RRDBNet, 23 blocks)",
      numBlock: 23,
    }),
  "realesrgan-x4plus-anime-6b": () =>
    createRrdb({
      id: "realesrgan-x4plus-anime-6b",
      name: "Real-ESRGAN x4plus anime 6B (RRDBNet, 6 blocks)",
      numBlock: 6,
    }),
};

export const ARCHITECTURE_IDS = Object.keys(FACTORIES);

const cache = new Map<string, Architecture>();

export function getArchitecture(id: string): Architecture {
  const cached = cache.get(id);
  if (cached) return cached;
  const factory = FACTORIES[id];
  if (!factory) {
    throw new Error(`unknown architecture '${id}' (known: ${ARCHITECTURE_IDS.join(", ")})`);
  }
  const architecture = factory();
  cache.set(id, architecture);
  return architecture;
}

export function listArchitectures(): Architecture[] {
  return ARCHITECTURE_IDS.map(getArchitecture);
}

export function parameterCount(architecture: Architecture): number {
  return architecture.parameters
    .filter((p) => p.required)
    .reduce((sum, p) => sum + p.shape.reduce((n, d) => n * d, 1), 0);
}

/** JSON-safe description of an architecture, for listing it in the API and the UI. */
export interface ArchitectureSummary {
  id: string;
  name: string;
  family: Architecture["family"];
  taskKind: TaskKind;
  doc: string;
  input: Architecture["input"];
  output: Architecture["output"];
  defaultSpec: ModelSpec;
  parameterCount: number;
  requiredKeys: number;
}

export function describeArchitecture(architecture: Architecture): ArchitectureSummary {
  return {
    id: architecture.id,
    name: architecture.name,
    family: architecture.family,
    taskKind: architecture.taskKind,
    doc: architecture.doc,
    input: architecture.input,
    output: architecture.output,
    defaultSpec: architecture.defaultSpec,
    parameterCount: parameterCount(architecture),
    requiredKeys: architecture.parameters.filter((p) => p.required).length,
  };
}
