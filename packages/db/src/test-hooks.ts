// Per-test setup on vitest's hooks. Apart from testing.ts, which bench scripts import outside
// vitest, where hooks cannot be registered.
import { afterEach, beforeEach } from "vitest";
import { createTestDatabase, type DatabaseProvider, type TestDatabase } from "./testing";

/**
 * A fresh store on `provider` for each test of the calling describe block, dropped after that
 * test. The object returned stands for the running test's store (a Proxy: each test gets
 * another one).
 */
export function freshStoreEach(provider: DatabaseProvider): TestDatabase {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await createTestDatabase({ provider });
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as TestDatabase, {
    get: (_, key) => Reflect.get(current ?? unavailable(), key),
  });
}

function unavailable(): never {
  throw new Error("a test's store is only there while the test runs");
}
