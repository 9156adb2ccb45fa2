import {
  ARCHITECTURE_CONFIGS,
  ARCHITECTURE_IDS,
  type ArchitectureConfig,
  unknownArchitecture,
} from "./catalog";
import { createRrdb } from "./rrdb";
import { createSrvgg } from "./srvgg";
import type { Architecture } from "./types";
import { createUNet } from "./unet";

export {
  ARCHITECTURE_IDS,
  type ArchitectureSummary,
  describeArchitecture,
  parameterCount,
} from "./catalog";

function create(entry: ArchitectureConfig): Architecture {
  if (entry.family === "unet") return createUNet(entry.config);
  if (entry.family === "srvgg") return createSrvgg(entry.config);
  return createRrdb(entry.config);
}

const cache = new Map<string, Architecture>();

/** A registered architecture with its graph builder. */
export function getArchitecture(id: string): Architecture {
  const cached = cache.get(id);
  if (cached) return cached;
  const entry = ARCHITECTURE_CONFIGS[id];
  if (!entry) throw unknownArchitecture(id);
  const architecture = create(entry);
  cache.set(id, architecture);
  return architecture;
}

export function listArchitectures(): Architecture[] {
  return ARCHITECTURE_IDS.map(getArchitecture);
}
