// Public API of `@studio/core/official`: the catalogue (manifest and fetched records, also on
// its own as `./catalog`) and the fetch step.

export * from "./catalog";
export {
  ChecksumMismatchError,
  type FetchOfficialOptions,
  type FetchOfficialResult,
  fetchOfficialWeights,
  OfficialFetchError,
  type OfficialFetchFailure,
  sha256Hex,
} from "./fetch";
export {
  defaultNpmCacheDir,
  type NpmPackageRef,
  packNpmTarball,
  readTarballFiles,
} from "./npm-tarball";
