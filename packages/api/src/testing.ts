// Test helpers for packages that test against this API (packages/client, test/).

export { resetEnvForTests } from "./env";
export { contextFor, post, useTempDataDir } from "./http/files/test-context";
export { architectureFor, importStateDict } from "./services/import-weight";
export { receiveToTemp, removeQuietly } from "./storage/files";
export {
  makeAdminAndMember,
  makeImage,
  makeTeam,
  makeUser,
  makeWeight,
  TEST_PASSWORD,
  type TestStore,
  type TestUser,
  testDb,
  testStore,
} from "./test-helpers";
export { beforeAllTests, useTestDb, useTestStore } from "./test-hooks";
