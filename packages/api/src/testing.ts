// Test helpers for packages that test against this API (packages/client, test/).

export { resetEnvForTests } from "./env";
export { architectureFor, importStateDict } from "./files/import-weight";
export { receiveToTemp, removeQuietly } from "./files/storage";
export { contextFor, post, useTempDataDir } from "./files/test-context";
export {
  makeImage,
  makeTeam,
  makeUser,
  makeWeight,
  TEST_PASSWORD,
  type TestUser,
  testDb,
} from "./test-helpers";
