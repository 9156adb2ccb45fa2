// Public API of `@studio/core/architectures`: known networks buildable from a state_dict. The
// metadata alone (no graph builders) is `@studio/core/architectures/catalog`.
export {
  ARCHITECTURE_IDS,
  type ArchitectureSummary,
  describeArchitecture,
  getArchitectureInfo,
  listArchitectureInfos,
  parameterCount,
} from "./catalog";
export { getArchitecture, listArchitectures } from "./registry";
export { createRrdb, type RrdbConfig } from "./rrdb";
export { createSrvgg, type SrvggConfig } from "./srvgg";
export type { Architecture, ArchitectureInfo, ParamSpec, Weights } from "./types";
export { createUNet, type UNetConfig } from "./unet";
