// `@studio/core/official/catalog`: the official model manifest (names, sources, checksums, task
// kinds, specs, inspected graph I/O) and the records of the models fetched into DATA_DIR, without
// the fetch step (npm tarballs, NCNN conversion, ONNX inspection), which only setup runs.
export {
  type DeclaredIo,
  findOfficialModel,
  type InspectedGraph,
  type InspectedIo,
  OFFICIAL_MODELS,
  type OfficialModel,
  type OfficialPurpose,
  type OfficialPurposeGroup,
  type SourceFile,
} from "./manifest";
export { listOfficialWeights, type OfficialWeightRecord, officialDir } from "./records";
