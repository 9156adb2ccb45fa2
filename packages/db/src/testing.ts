import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDb, type Db } from "./client";
import { DATABASE_PROVIDERS, type DatabaseProvider, testDatabaseProvider } from "./env";
import { closeHotReads } from "./hot-reads";
import { migrateDatabase } from "./migrate";
import { dropDatabase } from "./postgres-server";
import { type CreateTaskInput, createTask } from "./queue/tasks";
import { createTestPostgresDatabase, testPostgres } from "./test-postgres";

export {
  findPostgresBinDir,
  PostgresNotInstalledError,
  type PostgresServer,
  startPostgresServer,
} from "./postgres-server";

/**
 * The `--name value` options of a benchmark script (`pnpm bench -- --tasks 100`), each with its
 * default. pnpm passes the "--" on, where parseArgs would end its options, so it is dropped.
 */
export function benchOptions<Name extends string>(
  defaults: Record<Name, string>,
): Record<Name, string> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: Object.fromEntries(
      Object.entries<string>(defaults).map(([name, value]) => [
        name,
        { type: "string" as const, default: value },
      ]),
    ),
  });
  return values as Record<Name, string>;
}

/** Both stores, for `describe.each(PROVIDERS)`: every store test runs on each. */
export const PROVIDERS: readonly DatabaseProvider[] = DATABASE_PROVIDERS;
export type { DatabaseProvider };

export interface TestDatabase {
  provider: DatabaseProvider;
  /** `file:<absolute path>` or `postgresql://...`, for DATABASE_URL of a child process. */
  url: string;
  /** Absolute path of the SQLite file; null on PostgreSQL. */
  file: string | null;
  /** A temp directory of this store (on SQLite it holds the file); free for other test files. */
  dir: string;
  /** A client on the store; more can be made with `createDb(url)`. */
  db: Db;
  /** Disconnects `db`, drops the store and deletes the directory. */
  cleanup(): Promise<void>;
}

/**
 * A fresh, fully migrated store for tests: a SQLite file in a temp directory, or a database of
 * its own in the test run's private PostgreSQL cluster (test-postgres.ts). The provider is
 * `options.provider`, else STUDIO_TEST_DATABASE (default sqlite).
 */
export async function createTestDatabase(
  options: { prefix?: string; provider?: DatabaseProvider } = {},
): Promise<TestDatabase> {
  const provider = options.provider ?? testDatabaseProvider();
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? "studio-test-db-"));
  try {
    if (provider === "postgresql") {
      const name = `studio_test_${Math.random().toString(36).slice(2, 12)}`;
      const url = await createTestPostgresDatabase(name);
      const db = createDb(url);
      return {
        provider,
        url,
        file: null,
        dir,
        db,
        async cleanup() {
          await db.$disconnect();
          await dropDatabase((await testPostgres()).adminUrl, name);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    const file = join(dir, "studio.db");
    const url = `file:${file}`;
    await migrateDatabase(url);
    const db = createDb(url);
    return {
      provider,
      url,
      file,
      dir,
      db,
      async cleanup() {
        closeHotReads(db);
        await db.$disconnect();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A queued super-resolution task of the fixtures' team on their weight and images. */
export async function createFixtureTask(
  db: Db,
  fx: TestFixtures,
  overrides: Partial<CreateTaskInput> = {},
): Promise<string> {
  const { id } = await createTask(db, {
    teamId: fx.teamId,
    createdById: fx.userId,
    weightId: fx.weightId,
    weightSha256: fx.weightSha256,
    taskKind: "super_resolution",
    params: {},
    paramSignature: "sig",
    imageIds: fx.imageIds,
    ...overrides,
  });
  return id;
}

/** A fresh store holding one set of `createTestFixtures`. */
export async function createTestStoreWithFixtures(
  options: { images?: number; provider?: DatabaseProvider } = {},
) {
  const store = await createTestDatabase({ provider: options.provider });
  return { store, db: store.db, fx: await createTestFixtures(store.db, options) };
}

export interface TestFixtures {
  userId: string;
  teamId: string;
  weightId: string;
  weightSha256: string;
  imageIds: string[];
}

/**
 * A user with a team, a ready weight and `images` image rows (no files behind them), enough
 * to create tasks in tests. `suffix` keeps several fixture sets in one store apart.
 */
export async function createTestFixtures(
  db: Db,
  options: { images?: number; taskKind?: string; suffix?: string } = {},
): Promise<TestFixtures> {
  const suffix = options.suffix ?? Math.random().toString(36).slice(2, 10);
  const taskKind = options.taskKind ?? "super_resolution";
  const user = await db.user.create({
    data: { email: `fixture-${suffix}@example.test`, name: `Fixture ${suffix}`, passwordHash: "x" },
    select: { id: true },
  });
  const team = await db.team.create({
    data: { name: `Team ${suffix}`, memberships: { create: { userId: user.id, role: "ADMIN" } } },
    select: { id: true },
  });
  const weightSha256 = createHash("sha256").update(`fixture-weight-${suffix}`).digest("hex");
  const weight = await db.weight.create({
    data: {
      teamId: team.id,
      uploadedById: user.id,
      taskKind,
      name: "fixture",
      family: "fixture",
      version: "1",
      sha256: weightSha256,
      sizeBytes: 1,
      spec: "{}",
      status: "ready",
    },
    select: { id: true },
  });
  const imageIds: string[] = [];
  for (let i = 0; i < (options.images ?? 1); i++) {
    const image = await db.image.create({
      data: {
        teamId: team.id,
        uploadedById: user.id,
        originalName: `image-${i}.png`,
        storagePath: `uploads/fixture-${suffix}-${i}.png`,
        sha256: "f".repeat(64),
        sizeBytes: 100,
        format: "png",
        width: 8,
        height: 8,
        channels: 3,
      },
      select: { id: true },
    });
    imageIds.push(image.id);
  }
  return { userId: user.id, teamId: team.id, weightId: weight.id, weightSha256, imageIds };
}
