// Wake-ups for idle workers. On PostgreSQL, storing a claimable task sends NOTIFY on one
// channel and every worker process LISTENs on it, so an idle worker claims a new task at once
// instead of at its next poll. SQLite has no cross-process signal, but `PRAGMA data_version`
// changes on a connection whenever another connection commits: a watcher reads it every few
// milliseconds (a read of a page SQLite keeps in shared memory, no query) and, after a change,
// wakes the waiters when a claimable task exists. Polling stays the fallback: a task that becomes
// due later (retry backoff) and a wake-up lost while the listening connection was down are found
// by the next poll.
import Database from "better-sqlite3";
import pg from "pg";
import { type DbOrTx, providerOf } from "../client";
import { databaseProvider, sqlitePathFromUrl } from "../env";

export const TASK_QUEUED_CHANNEL = "studio_task_queued";

/**
 * Tells listening workers that a task may be claimable now. Inside a transaction PostgreSQL
 * delivers it at commit (and drops it on rollback), so a woken worker finds the row. Nothing on
 * SQLite.
 */
export async function notifyTaskQueued(db: DbOrTx): Promise<void> {
  if (providerOf(db) !== "postgresql") return;
  await db.$executeRaw`SELECT pg_notify(${TASK_QUEUED_CHANNEL}, '')`;
}

export type WakeReason = "notified" | "timeout" | "aborted";

export interface QueueWakeups {
  /**
   * Resolves when a task was queued (PostgreSQL), after `timeoutMs` (the poll), or at once when
   * `signal` aborts or the wake-ups are closed. A notification that came while nobody was
   * waiting is kept for the next call, so one sent between an empty claim and this call is not
   * lost.
   */
  waitForWork(timeoutMs: number, signal?: AbortSignal): Promise<WakeReason>;
  /** True while the LISTEN connection (PostgreSQL) or the data_version watcher (SQLite) is up. */
  readonly listening: boolean;
  /** Calls of waitForWork waiting now (an idle worker slot each). */
  readonly waiting: number;
  /** Resolves once LISTEN is active (at once on SQLite); never rejects. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface QueueWakeupOptions {
  /** Called for every notification, besides waking the waiters. */
  onQueued?: () => void;
  /** The listening connection failed or could not be opened; it is retried with backoff. */
  onError?: (error: Error) => void;
  /** First and longest pause before reconnecting (default 500 ms and 30 s). */
  reconnectMs?: { min: number; max: number };
  /** SQLite: how often the watcher reads data_version (default 10 ms). */
  sqliteCheckMs?: number;
}

/** Waiters of one process, woken together. */
class Waiters {
  #waiting = new Set<(reason: WakeReason) => void>();
  #pending = false;
  #closed = false;

  get size(): number {
    return this.#waiting.size;
  }

  wake(): void {
    if (this.#waiting.size === 0) {
      this.#pending = true;
      return;
    }
    for (const resolve of [...this.#waiting]) resolve("notified");
  }

  close(): void {
    this.#closed = true;
    for (const resolve of [...this.#waiting]) resolve("aborted");
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<WakeReason> {
    if (this.#closed || signal?.aborted) return Promise.resolve("aborted");
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve("notified");
    }
    return new Promise((resolve) => {
      const done = (reason: WakeReason) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiting.delete(done);
        resolve(reason);
      };
      const onAbort = () => done("aborted");
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.add(done);
    });
  }
}

/**
 * Subscribes this process to "task queued" wake-ups of the store at `databaseUrl`. On
 * PostgreSQL it holds one connection of its own (LISTEN needs a session; a pooled connection
 * would lose it), reconnecting with backoff when it drops; on SQLite waitForWork is a plain
 * timeout. Close it on shutdown.
 */
export function subscribeToQueuedTasks(
  databaseUrl: string,
  options: QueueWakeupOptions = {},
): QueueWakeups {
  const waiters = new Waiters();
  if (databaseProvider(databaseUrl) !== "postgresql") {
    return watchSqlite(databaseUrl, waiters, options);
  }

  const { min, max } = options.reconnectMs ?? { min: 500, max: 30_000 };
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let delay = min;
  let connectedBefore = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const lost = (from: pg.Client, error?: Error) => {
    if (client !== from) return; // already replaced
    client = undefined;
    listening = false;
    if (error) options.onError?.(error);
    from.removeAllListeners("notification");
    from.end().catch(() => {});
    if (!closed) retryTimer = setTimeout(connect, delay);
    delay = Math.min(max, delay * 2);
  };

  async function connect(): Promise<void> {
    retryTimer = undefined;
    if (closed) return;
    const next = new pg.Client({ connectionString: databaseUrl, keepAlive: true });
    client = next;
    next.on("error", (error) => lost(next, error));
    next.on("end", () => lost(next));
    next.on("notification", (message) => {
      if (message.channel !== TASK_QUEUED_CHANNEL) return;
      options.onQueued?.();
      waiters.wake();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${TASK_QUEUED_CHANNEL}`);
    } catch (error) {
      lost(next, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (closed || client !== next) {
      await next.end().catch(() => {});
      return;
    }
    listening = true;
    delay = min;
    markReady();
    // Tasks queued while the connection was down sent their wake-ups to nobody.
    if (connectedBefore) waiters.wake();
    connectedBefore = true;
  }

  void connect();
  return {
    waitForWork: (timeoutMs, signal) => waiters.wait(timeoutMs, signal),
    get listening() {
      return listening;
    },
    get waiting() {
      return waiters.size;
    },
    ready,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      waiters.close();
      const current = client;
      client = undefined;
      listening = false;
      markReady();
      if (current) {
        current.removeAllListeners("notification");
        await current.end().catch(() => {});
      }
    },
  };
}

/**
 * SQLite: a read-only connection of its own whose `PRAGMA data_version` changes when any other
 * connection (any process) commits. After a change, one indexed look-up says whether a task is
 * claimable now; only then are the waiters woken (or the wake-up kept for the next wait, as a
 * notification is), so the commits of running tasks (progress, heartbeats) wake nobody.
 */
function watchSqlite(
  databaseUrl: string,
  waiters: Waiters,
  options: QueueWakeupOptions,
): QueueWakeups {
  let connection: Database.Database | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    connection = new Database(sqlitePathFromUrl(databaseUrl), {
      readonly: true,
      fileMustExist: true,
    });
    connection.pragma("busy_timeout = 1000");
  } catch (error) {
    // An in-memory or missing file: polling alone, as before.
    options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
  const db = connection;
  if (db) {
    const version = db.prepare("PRAGMA data_version").pluck();
    // Dates are stored as the adapter writes them (ISO text or epoch ms): compared in JS.
    const nextDue = db
      .prepare(
        `SELECT "availableAt" FROM "Task" WHERE "status" = 'queued' AND "cancelRequested" = 0
         ORDER BY "availableAt" LIMIT 1`,
      )
      .pluck();
    let last = version.get();
    timer = setInterval(() => {
      try {
        const now = version.get();
        if (now === last) return;
        last = now;
        const due = nextDue.get() as string | number | undefined;
        if (due === undefined) return;
        const at = typeof due === "number" ? due : Date.parse(due);
        if (!(at > Date.now())) {
          options.onQueued?.();
          waiters.wake();
        }
      } catch (error) {
        // Busy or locked for a moment: the next tick (or the poll) finds it.
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }, options.sqliteCheckMs ?? 10);
    // The watcher alone never keeps a process alive.
    timer.unref();
  }
  return {
    waitForWork: (timeoutMs, signal) => waiters.wait(timeoutMs, signal),
    get listening() {
      return connection !== undefined;
    },
    get waiting() {
      return waiters.size;
    },
    ready: Promise.resolve(),
    async close() {
      clearInterval(timer);
      waiters.close();
      connection?.close();
      connection = undefined;
    },
  };
}
