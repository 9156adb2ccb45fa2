// Test helpers for packages that test against this API (packages/client, test/).

export { resetEnvForTests } from "./env";
export { contextFor, useTempDataDir } from "./files/test-context";
export {
  makeImage,
  makeTeam,
  makeUser,
  makeWeight,
  TEST_PASSWORD,
  type TestUser,
  testDb,
} from "./test-helpers";
