// Shared setup for this package's tests: a migrated SQLite file and users created with one
// precomputed scrypt hash (scrypt at N=2^17 costs about a second; tests need many users).
import type { TaskKind } from "@studio/contracts/task";
import { createTask } from "@studio/db/queue";
import { createTestDatabase, type TestDatabase } from "@studio/db/testing";
import { hashPassword } from "./auth/password";
import type { Db } from "./db";
import { useTempDataDir } from "./http/files/test-context";

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
    data: {
      name: `${email} personal`,
      isPersonal: true,
      memberships: { create: { userId: user.id, role: "ADMIN" } },
    },
    select: { id: true },
  });
  return { ...user, personalTeamId: team.id };
}

export async function makeTeam(
  db: Db,
  members: Array<{ userId: string; role: "ADMIN" | "MEMBER" }>,
) {
  counter += 1;
  return db.team.create({
    data: { name: `Team ${counter}`, memberships: { create: members } },
    select: { id: true },
  });
}

/** A new team with one admin and one member. */
export async function makeAdminAndMember(db: Db) {
  const admin = await makeUser(db);
  const member = await makeUser(db);
  const team = await makeTeam(db, [
    { userId: admin.id, role: "ADMIN" },
    { userId: member.id, role: "MEMBER" },
  ]);
  return { admin, member, teamId: team.id };
}

export async function testDb(): Promise<TestDatabase> {
  return createTestDatabase({ prefix: "studio-api-test-" });
}

/** A queued super-resolution task of `user`'s personal team running `weight` on `imageIds`. */
export function makeTask(
  db: Db,
  user: TestUser,
  weight: { id: string; sha256: string },
  imageIds: string[],
) {
  return createTask(db, {
    teamId: user.personalTeamId,
    createdById: user.id,
    weightId: weight.id,
    weightSha256: weight.sha256,
    taskKind: "super_resolution",
    params: {},
    paramSignature: "x",
    imageIds,
  });
}

export interface TestStore {
  db: Db;
  /** DATA_DIR of this process while the store is in use. */
  dataDir: string;
  /** Deletes the database and the data dir. */
  cleanup(): Promise<void>;
}

/** A migrated database and a temp DATA_DIR: what the routers and file routes write to. */
export async function testStore(): Promise<TestStore> {
  const data = useTempDataDir();
  const database = await testDb();
  return {
    db: database.db,
    dataDir: data.dir,
    async cleanup() {
      await database.cleanup();
      data.cleanup();
    },
  };
}

let weightCounter = 0;

/** A weight row as the upload flow leaves it after validation (no file needed by the API). */
export async function makeWeight(
  db: Db,
  options: {
    teamId?: string | null;
    taskKind?: TaskKind;
    status?: string;
    family?: string;
  } = {},
) {
  weightCounter += 1;
  const teamId = options.teamId ?? null;
  return db.weight.create({
    data: {
      teamId,
      isOfficial: teamId === null,
      taskKind: options.taskKind ?? "super_resolution",
      name: `Weight ${weightCounter}`,
      family: options.family ?? "test-family",
      version: `v${weightCounter}`,
      sha256: weightCounter.toString(16).padStart(64, "a"),
      sizeBytes: 1234,
      spec: "{}",
      status: options.status ?? "ready",
    },
    select: { id: true, sha256: true },
  });
}

/** An image row of a team (the file itself is not needed by queries). */
export async function makeImage(db: Db, teamId: string, uploadedById: string, name = "img.png") {
  return db.image.create({
    data: {
      teamId,
      uploadedById,
      originalName: name,
      storagePath: `uploads/${teamId}/${Math.random().toString(16).slice(2)}.png`,
      sha256: "0".repeat(64),
      sizeBytes: 100,
      format: "png",
      width: 64,
      height: 48,
      channels: 3,
    },
    select: { id: true },
  });
}
