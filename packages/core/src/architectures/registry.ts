import {
  ARCHITECTURE_CONFIGS,
  ARCHITECTURE_IDS,
  type ArchitectureConfig,
  architectureConfig,
  unknownArchitecture,
} from "./catalog";
import { createRrdb } from "./rrdb";
import { createSpan } from "./span";
import { createSrvgg } from "./srvgg";
import { createSwinir } from "./swinir";
import type { Architecture } from "./types";
import { createUNet } from "./unet";

export {
  ARCHITECTURE_IDS,
  type ArchitectureSummary,
  describeArchitecture,
  parameterCount,
} from "./catalog";

/** The graph builder of any configuration (a fixed id's, a generated id's or a detected one). */
export function createArchitecture(entry: ArchitectureConfig): Architecture {
  if (entry.family === "unet") return createUNet(entry.config);
  if (entry.family === "srvgg") return createSrvgg(entry.config);
  if (entry.family === "span") return createSpan(entry.config);
  if (entry.family === "swinir") return createSwinir(entry.config);
  return createRrdb(entry.config);
}

const cache = new Map<string, Architecture>();

/** A registered architecture (fixed or generated id) with its graph builder. */
export function getArchitecture(id: string): Architecture {
  const cached = cache.get(id);
  if (cached) return cached;
  const entry = architectureConfig(id);
  if (!entry) throw unknownArchitecture(id);
  const architecture = createArchitecture(entry);
  // Generated ids are unbounded in number; only the fixed ones stay cached.
  if (ARCHITECTURE_CONFIGS[id]) cache.set(id, architecture);
  return architecture;
}

export function listArchitectures(): Architecture[] {
  return ARCHITECTURE_IDS.map(getArchitecture);
}
