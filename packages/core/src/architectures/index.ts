// Public API of `@studio/core/architectures`: known networks buildable from a state_dict. The
// metadata alone (no graph builders) is `@studio/core/architectures/catalog`.
export {
  ARCHITECTURE_FAMILIES,
  ARCHITECTURE_IDS,
  type ArchitectureConfig,
  type ArchitectureFamily,
  type ArchitectureSummary,
  architectureId,
  describeArchitecture,
  getArchitectureInfo,
  isArchitectureId,
  listArchitectureInfos,
  parameterCount,
  parseArchitectureId,
} from "./catalog";
export {
  type DetectedArchitecture,
  type Detection,
  detectArchitecture,
  type KeyShapes,
} from "./detect";
export { createArchitecture, getArchitecture, listArchitectures } from "./registry";
export { createRrdb, type RrdbConfig } from "./rrdb";
export { createSpan, type SpanConfig } from "./span";
export { createSrvgg, type SrvggConfig } from "./srvgg";
export type { Architecture, ArchitectureInfo, ParamSpec, Weights } from "./types";
export { createUNet, type UNetConfig } from "./unet";
