// Wake-ups for idle workers. On PostgreSQL, storing a claimable task sends NOTIFY on one
// channel and every worker process LISTENs on it, so an idle worker claims a new task at once
// instead of at its next poll. Polling stays the fallback (and the only way on SQLite, which
// has no cross-process signal): a task that becomes due later (retry backoff) and a wake-up
// lost while the listening connection was down are found by the next poll.
import pg from "pg";
import { type DbOrTx, providerOf } from "../client";
import { databaseProvider } from "../env";

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
  /** True while the LISTEN connection is up (always false on SQLite). */
  readonly listening: boolean;
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
}

/** Waiters of one process, woken together. */
class Waiters {
  #waiting = new Set<(reason: WakeReason) => void>();
  #pending = false;
  #closed = false;

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
    return {
      waitForWork: (timeoutMs, signal) => waiters.wait(timeoutMs, signal),
      listening: false,
      ready: Promise.resolve(),
      async close() {
        waiters.close();
      },
    };
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
