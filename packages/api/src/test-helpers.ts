// Shared setup for this package's tests: a migrated SQLite file and users created with one
// precomputed scrypt hash (scrypt at N=2^17 costs about a second; tests need many users).
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import type { Db } from "./db";
import { hashPassword } from "./auth/password";

export const TEST_PASSWORD = "correct horse battery";
let testHash: Promise<string> | undefined;
export const testPasswordHash = () => {
  testHash ??= hashPassword(TEST_PASSWORD);
  return testHash;
};

let counter = 0;

export interface TestUser {
  id: string;
  email: string;
  personalTeamId: string;
}

export async function makeUser(
  db: Db,
  options: { email?: string; name?: string; siteAdmin?: boolean } = {},
): Promise<TestUser> {
  counter += 1;
  const email = options.email ?? `user${counter}-${Date.now()}@example.com`;
  const user = await db.user.create({
    data: {
      email,
      name: options.name ?? `User ${counter}`,
      passwordHash: await testPasswordHash(),
      isSiteAdmin: options.siteAdmin ?? false,
    },
    select: { id: true, email: true },
  });
  const team = await db.team.create({
    data: { name: `${email} personal`, isPersonal: true, memberships: { create: { userId: user.id, role: "ADMIN" } } },
    select: { id: true },
  });
  return { ...user, personalTeamId: team.id };
}

export async function makeTeam(db: Db, members: Array<{ userId: string; role: "ADMIN" | "MEMBER" }>) {
  counter += 1;
  return db.team.create({
    data: { name: `Team ${counter}`, memberships: { create: members } },
    select: { id: true },
  });
}

export async function testDb(): Promise<TestDatabase> {
  return createTestDatabase({ prefix: "studio-api-test-" });
}
