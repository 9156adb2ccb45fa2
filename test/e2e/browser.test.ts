// Browser tests against the real built web app and inference service (see harness.ts).
// One harness for the whole file: starting Next and the inference service costs most of the time.
import { afterAll, beforeAll, describe } from "vitest";
import { type Studio, startStudio } from "./harness";
import { authSuite } from "./suites/auth";
import { moreSuite } from "./suites/more";
import { studioSuite } from "./suites/studio";

let studio: Studio | undefined;
const getStudio = (): Studio => {
  if (!studio) throw new Error("studio not started");
  return studio;
};

beforeAll(async () => {
  studio = await startStudio();
}, 600_000);

afterAll(async () => {
  await studio?.stop();
}, 60_000);

// Browser flows wait for real model runs: allow minutes, not the default minute.
const slow = { timeout: 240_000 };

describe("accounts", slow, () => authSuite(getStudio));
describe("studio", slow, () => studioSuite(getStudio));
describe("datasets and segmentation", slow, () => moreSuite(getStudio));
