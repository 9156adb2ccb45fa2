// vitest globalSetup of the @studio/db project (vitest.config.ts): one private PostgreSQL
// cluster for the whole run, with a migrated template; each test database is a copy of it.
// When PostgreSQL is missing the SQLite tests still run and every PostgreSQL test fails with
// this message.
import type { TestProject } from "vitest/node";
import { startPostgresServer } from "./postgres-server";
import { prepareTestPostgres } from "./test-postgres";

export default async function setup(project: TestProject) {
  try {
    const server = await startPostgresServer({ prefix: "studio-test-pg-" });
    try {
      project.provide("studioTestPostgres", await prepareTestPostgres(server.urlFor("postgres")));
    } catch (error) {
      await server.stop();
      throw error;
    }
    return () => server.stop();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    project.provide("studioTestPostgres", { error: `PostgreSQL tests cannot run: ${message}` });
    return undefined;
  }
}
