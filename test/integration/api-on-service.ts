// The API as the web app runs it, in this test process, against the real inference service
// started for the test: one store, one data dir, a real HTTP client between them.
import { readdirSync } from "node:fs";
import path from "node:path";
import { createCaller, createInnerContext } from "@studio/api";
import { beforeAllTests, resetEnvForTests, type TestUser } from "@studio/api/testing";
import {
  createInferenceClient,
  type InferenceClientOptions,
} from "@studio/contracts/inference-client";
import { startTestService, type TestService } from "@studio/inference/testing";
import { afterAll, beforeAll, expect } from "vitest";

/** Starts the service and points this process's API (DATA_DIR) at the service's data dir. */
export async function startServiceForApi(overrides?: Record<string, string>): Promise<TestService> {
  const svc = await startTestService(overrides);
  process.env.DATA_DIR = svc.dataDir;
  resetEnvForTests();
  return svc;
}

/**
 * The service (with `overrides`) for the calling file's tests, started before them with this
 * process's API pointed at it and given `apiEnv`, stopped after them.
 */
export function useServiceForApi(
  options: { overrides?: Record<string, string>; apiEnv?: Record<string, string> } = {},
): TestService {
  const apiEnv = options.apiEnv ?? {};
  beforeAll(() => {
    Object.assign(process.env, apiEnv);
  });
  afterAll(() => {
    for (const name of Object.keys(apiEnv)) delete process.env[name];
    resetEnvForTests();
  });
  return beforeAllTests(
    () => startServiceForApi(options.overrides),
    (svc) => svc.cleanup(),
  );
}

/** Service limits that let the full-size OCTA U-Net (31M parameters) validate on a shared machine. */
export const LARGE_MODEL_LIMITS = { VALIDATE_MAX_RUN_MS: "180000", VALIDATE_TIMEOUT_MS: "240000" };
/** The API's wait for that validation: longer than the service's own limit. */
export const LARGE_MODEL_CLIENT = { validateTimeoutMs: 300_000 };

type ClientOptions = Omit<InferenceClientOptions, "baseUrl" | "token">;

/** A client of the service as the API's own (its URL and token). */
export const serviceClient = (svc: TestService, options: ClientOptions = {}) =>
  createInferenceClient({ baseUrl: svc.url, token: svc.token, ...options });

/** The API context of a signed-in user, or of an anonymous caller (null). */
export const contextOn = (svc: TestService, userId: string | null, options?: ClientOptions) =>
  createInnerContext({
    db: svc.db,
    userId,
    via: userId ? "session" : null,
    inference: serviceClient(svc, options),
  });

/** The API context of a signed-in user. */
export const sessionContext = (svc: TestService, userId: string, options?: ClientOptions) =>
  contextOn(svc, userId, options);

/** Every file below the service's DATA_DIR (the API's too), relative, sorted. */
export function dataFiles(svc: TestService): string[] {
  return readdirSync(svc.dataDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(svc.dataDir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Every file below DATA_DIR is a stored image's: nothing half-written, extracted or temporary. */
export async function expectOnlyStoredImages(svc: TestService): Promise<void> {
  const images = await svc.db.image.findMany({ select: { storagePath: true } });
  expect(dataFiles(svc)).toEqual(images.map((i) => i.storagePath).sort());
}

export const sessionCaller = async (svc: TestService, user: TestUser, options?: ClientOptions) =>
  createCaller(await sessionContext(svc, user.id, options));
