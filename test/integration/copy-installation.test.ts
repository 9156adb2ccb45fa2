// Moving a one-machine installation (SQLite + files in DATA_DIR) to PostgreSQL + S3, as an
// operator does it: an installation built through the API (an image, a weight, a finished task),
// then `pnpm db:copy` and `pnpm blob:copy` run as commands from the repository root, then the
// API started on PostgreSQL and the bucket with an empty data directory serves the same original
// and the same result, byte for byte, to the same API token.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { makeUser, resetEnvForTests } from "@studio/api/testing";
import { S3BlobStore } from "@studio/blob/s3";
import { startTestS3Server, type TestS3Server } from "@studio/blob/testing";
import { createClient } from "@studio/client";
import { createDb, type Db } from "@studio/db/client";
import { type PostgresServer, startPostgresServer } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceClient, useServiceForApi } from "./api-on-service";
import { filesUnder, uploadTinySr, useDataDirForApi } from "./inference-node";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const png = readFileSync(fixturePath("chelsea.png"));

const svc = useServiceForApi({ overrides: { WORKER_ENABLED: "true", WORKER_POLL_MS: "100" } });

/** What the installation held before the move, as its users downloaded it. */
const before = {
  token: "",
  teamId: "",
  imageId: "",
  taskId: "",
  itemId: "",
  result: new Uint8Array(),
};
let postgres: PostgresServer | undefined;
let s3: TestS3Server | undefined;
/** The bucket's variables as web and inference will read them, in a folder of the bucket. */
let s3Env: Record<string, string> = {};
let emptyDir: string | undefined;
let movedDb: Db | undefined;
const servers: Awaited<ReturnType<typeof serveNode>>[] = [];

/**
 * Stops an API server now: the client's idle keep-alive connections would otherwise hold
 * `close()` for the server's keep-alive time (a minute).
 */
async function stopServer(server: Awaited<ReturnType<typeof serveNode>>) {
  server.server.closeAllConnections();
  await server.close();
}

/** Runs a root package script as a user types it; resolves with its exit code and output. */
async function pnpm(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)("pnpm", args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** Files of a data directory that the move must carry (uploads, weights, results), sorted. */
const sharedFiles = (dir: string) =>
  filesUnder(dir)
    .filter((file) => /^(uploads|weights|results)\//.test(file))
    .sort();

beforeAll(async () => {
  // The one-machine installation: SQLite and the local data directory.
  expect(svc.databaseUrl).toMatch(/^file:/);
  await svc.worker.start();
  const server = await serveNode(createApiHandler({ db: svc.db, inference: serviceClient(svc) }));
  servers.push(server);
  const user = await makeUser(svc.db);
  before.token = (await createApiToken(svc.db, user.id, { name: "moving" })).token;
  before.teamId = user.personalTeamId;
  const client = createClient({ url: server.url, token: before.token });

  const image = await client.uploadImage({ data: png, name: "chelsea.png" });
  const weight = await uploadTinySr(client);
  expect(weight.status).toBe("ready");
  const { id: taskId } = await client.trpc.tasks.create.mutate({
    teamId: before.teamId,
    weightId: weight.id,
    target: { type: "image", imageId: image.id },
    params: {},
  });
  // No deadline of its own: however long this machine takes, the test's time-out bounds it.
  const task = await client.waitForTask(taskId, { intervalMs: 100 });
  expect(task.status).toBe("succeeded");
  const itemId = task.items[0]?.id as string;
  before.result = await client.downloadResult({ taskId, itemId });
  expect(before.result.length).toBeGreaterThan(0);
  Object.assign(before, { imageId: image.id, taskId, itemId });
  // A thumbnail: a rendition the move leaves behind (it is made again on demand).
  await client.downloadImage({ imageId: image.id, rendition: "thumb" });
  expect(filesUnder(svc.dataDir).some((file) => file.startsWith("renditions/"))).toBe(true);

  // The operator stops the services before moving.
  await stopServer(server);
  servers.length = 0;
  await svc.worker.stop(0);
  await svc.stop();

  postgres = await startPostgresServer({ prefix: "copy-installation-pg-" });
  s3 = await startTestS3Server();
  s3Env = { ...s3.env, S3_PREFIX: "acme" };
}, 180_000);

afterAll(async () => {
  for (const server of servers) await stopServer(server);
  await movedDb?.$disconnect();
  for (const name of Object.keys(s3Env)) delete process.env[name];
  resetEnvForTests();
  await postgres?.stop();
  await s3?.cleanup();
  if (emptyDir) rmSync(emptyDir, { recursive: true, force: true });
});

describe("moving an installation from SQLite and DATA_DIR to PostgreSQL and S3", () => {
  it("copies rows and files with the two commands, and the moved installation serves the same bytes", async () => {
    if (!postgres || !s3) throw new Error("set-up did not finish");
    const databaseUrl = await postgres.createDatabase("studio");

    const rows = await pnpm(["db:copy", "--to", databaseUrl, "--from", svc.databaseUrl]);
    expect(rows.code, rows.stderr).toBe(0);
    expect(rows.stdout).toContain("done:");

    // The installation still says BLOB_STORE=local; the copy goes to the bucket S3_* describes,
    // from its DATA_DIR (this process's, inherited by the command) since no --from is given.
    expect(process.env.DATA_DIR).toBe(svc.dataDir);
    const files = await pnpm(["blob:copy"], { ...s3Env, BLOB_STORE: "local" });
    expect(files.code, files.stderr).toBe(0);
    const local = sharedFiles(svc.dataDir);
    const results = local.filter((file) => file.startsWith("results/"));
    expect(results.length).toBeGreaterThan(0);
    expect(files.stdout).toMatch(/uploads\/\s+1 copied \(\d+\.\d MB\), 0 already there/);
    expect(files.stdout).toMatch(/weights\/\s+1 copied/);
    expect(files.stdout).toMatch(new RegExp(`results/\\s+${results.length} copied`));
    expect(files.stdout).toContain(`total: ${local.length} copied`);
    expect(files.stdout).toContain("BLOB_STORE=s3");
    expect(files.stdout + files.stderr).not.toContain(s3Env.S3_SECRET_ACCESS_KEY);

    // The bucket holds exactly the shared files (no rendition, nothing staged), byte for byte.
    const bucket = new S3BlobStore({ ...s3.config, prefix: s3Env.S3_PREFIX });
    try {
      const keys: string[] = [];
      for await (const { key } of bucket.list("")) keys.push(key);
      expect(keys.sort()).toEqual(local);
      for (const key of local) {
        const same = (await bucket.getBytes(key)).equals(readFileSync(path.join(svc.dataDir, key)));
        expect({ key, same }).toEqual({ key, same: true });
      }
    } finally {
      bucket.close();
    }

    // Run again (as after an interruption): nothing to copy.
    const again = await pnpm(["blob:copy"], { ...s3Env, BLOB_STORE: "local" });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`total: 0 copied (0.0 MB), ${local.length} already there`);

    // The API on PostgreSQL and the bucket, on a machine whose data directory is empty.
    emptyDir = mkdtempSync(path.join(os.tmpdir(), "copy-installation-web-"));
    useDataDirForApi(emptyDir, s3Env);
    movedDb = createDb(databaseUrl);
    const server = await serveNode(createApiHandler({ db: movedDb }));
    servers.push(server);
    const client = createClient({ url: server.url, token: before.token });

    const original = await client.downloadImage({ imageId: before.imageId });
    expect(Buffer.from(original).equals(png)).toBe(true);
    const result = await client.downloadResult({ taskId: before.taskId, itemId: before.itemId });
    expect(Buffer.from(result).equals(Buffer.from(before.result))).toBe(true);
    const task = await client.trpc.tasks.get.query({
      teamId: before.teamId,
      taskId: before.taskId,
    });
    expect(task.status).toBe("succeeded");
    // The bytes came from the bucket: the new machine's disk holds none of them.
    expect(sharedFiles(emptyDir)).toEqual([]);
  }, 120_000);

  it("answers a missing bucket or data directory with exit 2, and a damaged file with exit 1 naming it", async () => {
    const noBucket = await pnpm(["blob:copy"], { S3_BUCKET: "", AWS_ENDPOINT_URL_S3: "" });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain("S3_BUCKET is required to copy to S3");

    const missing = path.join(os.tmpdir(), "copy-installation-no-such-dir");
    const noSource = await pnpm(["blob:copy", "--from", missing], s3Env);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toContain(`The data directory ${missing} does not exist`);

    // A weight whose bytes do not match the sha256 its name promises.
    const damaged = mkdtempSync(path.join(os.tmpdir(), "copy-installation-damaged-"));
    try {
      const key = `weights/${"0".repeat(64)}.onnx`;
      mkdirSync(path.join(damaged, "weights"));
      writeFileSync(path.join(damaged, key), "not the promised bytes");
      const failed = await pnpm(["blob:copy", "--from", damaged], {
        ...s3Env,
        S3_PREFIX: "damaged",
      });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(`"${key}"`);
      expect(failed.stderr).toContain("run the copy again");
    } finally {
      rmSync(damaged, { recursive: true, force: true });
    }
  }, 60_000);
});
