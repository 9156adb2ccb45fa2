// Public API of `@studio/core/official`: the official model manifest and its fetch step.
export {
  ChecksumMismatchError,
  type FetchOfficialOptions,
  type FetchOfficialResult,
  fetchOfficialWeights,
  listOfficialWeights,
  OfficialFetchError,
  type OfficialFetchFailure,
  type OfficialWeightRecord,
  officialDir,
  sha256Hex,
} from "./fetch";
export {
  type DeclaredIo,
  findOfficialModel,
  type InspectedGraph,
  type InspectedIo,
  OFFICIAL_MODELS,
  type OfficialModel,
  type SourceFile,
} from "./manifest";
export {
  defaultNpmCacheDir,
  type NpmPackageRef,
  packNpmTarball,
  readTarballFiles,
} from "./npm-tarball";
