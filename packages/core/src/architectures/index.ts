// Public API of `@studio/core/architectures`: known networks buildable from a state_dict.
export {
  ARCHITECTURE_IDS,
  type ArchitectureSummary,
  describeArchitecture,
  getArchitecture,
  listArchitectures,
  parameterCount,
} from "./registry";
export { createRrdb, type RrdbConfig } from "./rrdb";
export { createSrvgg, type SrvggConfig } from "./srvgg";
export type { Architecture, ParamSpec, Weights } from "./types";
export { createUNet, type UNetConfig } from "./unet";
