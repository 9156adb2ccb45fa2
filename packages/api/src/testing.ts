// Test helpers for packages that test against this API (packages/client, test/).
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
export { resetEnvForTests } from "./env";
