import { execFileSync, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { findPostgresBinDir, POSTGRES_OS_USER, startPostgresServer } from "./postgres-server";

const here = dirname(fileURLToPath(import.meta.url));
// Node itself with tsx's loader: the tsx CLI would run the script in a grandchild process,
// and killing the CLI would leave the real owner alive.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 100));
}

describe("startPostgresServer", () => {
  it("finds the installed PostgreSQL", () => {
    expect(findPostgresBinDir()).toMatch(/bin$/);
  });

  it("runs a private cluster on a free local port and removes it on stop", async () => {
    const server = await startPostgresServer();
    try {
      expect(server.host).toBe("127.0.0.1");
      expect(existsSync(join(server.dir, "data", "PG_VERSION"))).toBe(true);
      const url = await server.createDatabase("probe");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query("SELECT current_database() AS db, current_user AS u");
      await client.end();
      expect(rows).toEqual([{ db: "probe", u: "postgres" }]);
      // PostgreSQL refuses root: as root the cluster belongs to the unprivileged postgres user.
      const owner = statSync(join(server.dir, "data")).uid;
      if (process.getuid?.() === 0) {
        expect(owner).not.toBe(0);
        expect(String(owner)).toBe(execFileSync("id", ["-u", POSTGRES_OS_USER]).toString().trim());
      } else expect(owner).toBe(process.getuid?.());
      await server.dropDatabase("probe");
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
    expect(await accepts(server.port)).toBe(false);
  });

  it("is stopped and deleted by its watchdog when the process that started it is killed", async () => {
    const owner = join(here, "race-scripts/postgres-owner.ts");
    const child = spawn(process.execPath, ["--import", TSX_LOADER, owner], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const started = await new Promise<{ dir: string; port: number }>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0] ?? "") as never);
      });
      child.once("exit", (code) => reject(new Error(`owner exited ${code} before starting`)));
    });
    expect(await accepts(started.port)).toBe(true);
    child.kill("SIGKILL");
    await until(async () => !existsSync(started.dir) && !(await accepts(started.port)));
  });
});
