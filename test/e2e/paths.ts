// Where the product's parts are in this checkout, for the tests that start them.
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const WEB_DIR = join(REPO_ROOT, "apps/web");
export const INFERENCE_DIR = join(REPO_ROOT, "apps/inference");
/** What the browser tests leave for a person to look at: results, reports, screenshots. */
export const ARTIFACTS_DIR = join(REPO_ROOT, "test-results/e2e");
export const SCREENSHOT_DIR = join(REPO_ROOT, "test-results/screenshots");
