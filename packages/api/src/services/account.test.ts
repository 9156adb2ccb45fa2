import { expect, it } from "vitest";
import { MAX_CONCURRENT_HASHES, runningHashes } from "../auth/password";
import { makeUser, TEST_PASSWORD } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { changePassword, register } from "./account";

const t = useTestDb();

it("hashes registrations and password changes in the shared scrypt slots", async () => {
  const users = await Promise.all([makeUser(t.db), makeUser(t.db)]);
  let peak = 0;
  const watch = setInterval(() => {
    peak = Math.max(peak, runningHashes());
  }, 2);
  try {
    await Promise.all([
      ...Array.from({ length: 3 }, (_, i) =>
        register(
          t.db,
          { email: `burst${i}@example.com`, name: `Burst ${i}`, password: "long enough" },
          null,
        ),
      ),
      ...users.map((user) =>
        changePassword(t.db, user.id, {
          currentPassword: TEST_PASSWORD,
          newPassword: "another long one",
        }),
      ),
    ]);
  } finally {
    clearInterval(watch);
  }
  // Seven derivations (three hashes, two verifications, two hashes) never exceed the slots,
  // and they did go through them.
  expect(peak).toBe(MAX_CONCURRENT_HASHES);
  expect(runningHashes()).toBe(0);
  expect(await t.db.user.count({ where: { email: { startsWith: "burst" } } })).toBe(3);
}, 120_000);
