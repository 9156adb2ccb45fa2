// A private PostgreSQL cluster for tests and for `pnpm db:diff`: initdb into a temp directory,
// started with pg_ctl on a free port of 127.0.0.1, stopped and deleted afterwards. No Docker,
// no systemd, no system cluster: only Debian's (or any) PostgreSQL binaries.
import { execFile, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** PostgreSQL refuses to run as root; a root process runs it as this user (created if missing). */
export const POSTGRES_OS_USER = "postgres";
const SUPERUSER = "postgres";

export class PostgresNotInstalledError extends Error {
  constructor() {
    super(
      "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH). " +
        "`node scripts/setup.mjs --postgres` installs Debian's postgresql package.",
    );
    this.name = "PostgresNotInstalledError";
  }
}

/**
 * The directory holding initdb and pg_ctl: Debian keeps them out of PATH under
 * /usr/lib/postgresql/<major>/bin (the newest major wins); elsewhere they are on PATH.
 */
export function findPostgresBinDir(): string | null {
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(debian, name, "bin/initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(debian, majors[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const onPath = which.status === 0 ? which.stdout.trim() : "";
  return onPath ? join(onPath, "..") : null;
}

export interface PostgresServer {
  host: string;
  port: number;
  /** Directory of the cluster (data, socket, log); deleted by stop(). */
  dir: string;
  /** `postgresql://postgres@127.0.0.1:<port>/<database>` (trust authentication). */
  urlFor(database: string): string;
  /** Creates an empty database (a fresh name when none is given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database, closing whatever connections are still open on it. */
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown (open connections are closed), then the directory is deleted. */
  stop(): Promise<void>;
  /** An outage: the server shuts down (connections cut) but keeps its data and port... */
  pause(): Promise<void>;
  /** ... and comes back on the same port with the same data. */
  resume(): Promise<void>;
}

/** Identifiers made here are plain; refuse anything else rather than quote it. */
function databaseName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name "${name}"`);
  return name;
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${databaseName(database)}`;
  return parsed.toString();
}

async function asAdmin<T>(adminUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database on the server of `adminUrl` (a superuser's URL), empty or as a copy of
 * `template` (which must have no open connections), and returns its URL.
 */
export async function createDatabase(
  adminUrl: string,
  name = `studio_${Math.random().toString(36).slice(2, 12)}`,
  options: { template?: string } = {},
): Promise<string> {
  const template = options.template ? ` TEMPLATE "${databaseName(options.template)}"` : "";
  await asAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${databaseName(name)}"${template}`));
  return withDatabase(adminUrl, name);
}

/** Drops a database, closing whatever connections are still open on it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await asAdmin(adminUrl, (c) =>
    c.query(`DROP DATABASE IF EXISTS "${databaseName(name)}" WITH (FORCE)`),
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

function ensureOsUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync("id", [flag, POSTGRES_OS_USER], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    const made = spawnSync(
      "useradd",
      ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", POSTGRES_OS_USER],
      { encoding: "utf8" },
    );
    if (made.status !== 0)
      throw new Error(`cannot create the ${POSTGRES_OS_USER} user: ${made.stderr.trim()}`);
  }
  return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/**
 * Starts a private cluster. As root the cluster belongs to the `postgres` OS user (created when
 * missing) and every PostgreSQL command runs through runuser; otherwise it runs as the caller.
 */
export async function startPostgresServer(
  options: { prefix?: string } = {},
): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new PostgresNotInstalledError();
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? "studio-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = ensureOsUser();
    chownSync(dir, uid, gid);
  }
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot
      ? ["runuser", ["-u", POSTGRES_OS_USER, "--", join(binDir, tool), ...args]]
      : [join(binDir, tool), args];
  const data = join(dir, "data");
  const log = join(dir, "postgres.log");
  const host = "127.0.0.1";
  const pgCtl = (args: string[]) => run(...command("pg_ctl", ["-D", data, ...args]));

  try {
    await run(
      ...command("initdb", [
        "-D",
        data,
        "-U",
        SUPERUSER,
        "-A",
        "trust",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
      ]),
    );
    let port = 0;
    let settings = "";
    // Another process may take the free port before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // A throwaway cluster: durability settings off, enough connections for parallel tests.
      settings = [
        `-p ${port}`,
        `-k ${dir}`,
        `-c listen_addresses=${host}`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=300",
      ].join(" ");
      try {
        await pgCtl(["-l", log, "-w", "-t", "60", "-o", settings, "start"]);
        break;
      } catch (error) {
        if (attempt >= 3) throw withLog(error, log);
      }
    }
    const watchdog = startWatchdog(command("pg_ctl", ["-D", data, "-m", "immediate", "stop"]), dir);
    const urlFor = (database: string) =>
      `postgresql://${SUPERUSER}@${host}:${port}/${databaseName(database)}`;
    let stopped = false;
    return {
      host,
      port,
      dir,
      urlFor,
      createDatabase: (name) => createDatabase(urlFor("postgres"), name),
      dropDatabase: (name) => dropDatabase(urlFor("postgres"), name),
      async pause() {
        await pgCtl(["-m", "fast", "-w", "stop"]);
      },
      async resume() {
        await pgCtl(["-l", log, "-w", "-t", "60", "-o", settings, "start"]);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        watchdog.kill("SIGKILL");
        await pgCtl(["-m", "fast", "-w", "stop"]).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await pgCtl(["-m", "immediate", "stop"]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A test run that is killed (or a vitest worker that crashes) never calls stop(); PostgreSQL
 * would live on and its temp directory stay. A tiny detached shell waits for this process to
 * go, then stops the cluster and deletes the directory. PostgreSQL has no "exit with parent"
 * option, which is why this is written here.
 */
function startWatchdog([cmd, args]: [string, string[]], dir: string) {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `${[cmd, ...args].map(quote).join(" ")} >/dev/null 2>&1`,
    `rm -rf ${quote(dir)}`,
  ].join("\n");
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

function withLog(error: unknown, logFile: string): Error {
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().slice(-2000) : "";
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`PostgreSQL did not start: ${message}${log ? `\n${log}` : ""}`);
}
