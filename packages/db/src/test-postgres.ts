// The PostgreSQL that tests make their databases in. Under the @studio/db vitest project one
// cluster serves the whole run (postgres-global-setup.ts starts it and hands its address to the
// test files); anywhere else (another project with STUDIO_TEST_DATABASE=postgresql, a bench
// script) the first test database of a process starts a private cluster for that process,
// which its watchdog stops when the process ends.
import { migrateDatabase } from "./migrate";
import { createDatabase, startPostgresServer, withDatabase } from "./postgres-server";

/** Where test databases are made: a superuser URL and a migrated template to copy. */
export interface TestPostgres {
  adminUrl: string;
  template: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by postgres-global-setup.ts; `error` when PostgreSQL could not be started. */
    studioTestPostgres: TestPostgres | { error: string };
  }
}

const TEMPLATE = "studio_template";

/**
 * Migrates a template database once; every test database is a copy of it (CREATE DATABASE ...
 * TEMPLATE, a file copy of a few milliseconds) instead of running the migrations again.
 */
export async function prepareTestPostgres(adminUrl: string): Promise<TestPostgres> {
  // migrateDatabase closes its connections: a template must have none when it is copied.
  await migrateDatabase(await createDatabase(adminUrl, TEMPLATE));
  return { adminUrl, template: TEMPLATE };
}

async function fromVitest(): Promise<TestPostgres | { error: string } | undefined> {
  try {
    const { inject } = await import("vitest");
    return inject("studioTestPostgres");
  } catch {
    return undefined; // not inside a vitest worker
  }
}

let local: Promise<TestPostgres> | undefined;

/** The cluster of this test run, or of this process when the run did not start one. */
export async function testPostgres(): Promise<TestPostgres> {
  const provided = await fromVitest();
  if (provided && "error" in provided) throw new Error(provided.error);
  if (provided) return provided;
  local ??= startPostgresServer({ prefix: "studio-test-pg-" }).then((server) =>
    prepareTestPostgres(server.urlFor("postgres")),
  );
  return local;
}

/** A fresh migrated database for one test; returns its URL. */
export async function createTestPostgresDatabase(name: string): Promise<string> {
  const { adminUrl, template } = await testPostgres();
  await createDatabase(adminUrl, name, { template });
  return withDatabase(adminUrl, name);
}
