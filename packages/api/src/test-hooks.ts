// Per-file test setup on vitest's hooks. Apart from test-helpers.ts, which bench scripts import
// outside vitest, where hooks cannot be registered.
import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll } from "vitest";
import { type TestStore, testDb, testStore } from "./test-helpers";

/**
 * What `create` makes before the calling file's tests, handed to `destroy` after them. Returned
 * at once as a stand-in that reads through to it once made, so a test file needs neither a `let`
 * nor hooks of its own for it. (A Proxy, because what is made is only known in the hook.)
 */
export function beforeAllTests<T extends object>(
  create: () => Promise<T>,
  destroy: (made: T) => Promise<unknown> | unknown,
): T {
  let made: T | undefined;
  beforeAll(async () => {
    made = await create();
  });
  afterAll(async () => {
    if (made) await destroy(made);
  });
  return new Proxy({} as T, {
    get(_, key) {
      if (!made) throw new Error("read before this file's beforeAll hook made it");
      return Reflect.get(made, key);
    },
  });
}

/** A migrated database for the calling file's tests, deleted after them. */
export const useTestDb = (): TestDatabase => beforeAllTests(testDb, (t) => t.cleanup());

/** A migrated database and a temp DATA_DIR for the calling file's tests, deleted after them. */
export const useTestStore = (): TestStore => beforeAllTests(testStore, (t) => t.cleanup());
