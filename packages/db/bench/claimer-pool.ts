// The claimer processes of the queue benchmark and one throughput round over them.
//
// Why processes: on SQLite the product's extra capacity on one machine is more worker
// processes on the one file (each process has one better-sqlite3 connection, and its worker
// slots share it); on PostgreSQL it is more inference nodes, each a process with its own
// connection pool. Either way the claimers that compete for the queue are separate processes
// with separate clients, so that is what is measured. (Several clients inside one process
// would not even work on SQLite: better-sqlite3 is synchronous, so a client waiting out the
// busy timeout blocks the thread of the client holding the write lock.)
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { ClaimerReply, ClaimerRequest } from "./claimer-protocol";

interface Claimer {
  child: ChildProcess;
  next(): Promise<ClaimerReply>;
}

function startClaimer(index: number): Claimer {
  const child = fork(join(import.meta.dirname, "claimer-process.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const queued: ClaimerReply[] = [];
  let waiting: ((reply: ClaimerReply) => void) | undefined;
  let exited: Error | undefined;
  const deliver = (reply: ClaimerReply) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(reply);
    } else queued.push(reply);
  };
  child.on("message", (reply: ClaimerReply) => deliver(reply));
  child.on("exit", (code, signal) => {
    exited = new Error(`claimer ${index} exited (${signal ?? code})`);
    deliver({ type: "error", message: exited.message });
  });
  return {
    child,
    next: () => {
      const reply = queued.shift();
      if (reply) return Promise.resolve(reply);
      if (exited) return Promise.reject(exited);
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
  };
}

async function expectReply<T extends ClaimerReply["type"]>(
  claimer: Claimer,
  type: T,
): Promise<Extract<ClaimerReply, { type: T }>> {
  const reply = await claimer.next();
  if (reply.type === "error") throw new Error(`claimer: ${reply.message}`);
  if (reply.type !== type) throw new Error(`claimer answered ${reply.type}, expected ${type}`);
  return reply as Extract<ClaimerReply, { type: T }>;
}

function send(claimer: Claimer, request: ClaimerRequest): void {
  claimer.child.send(request);
}

export interface RoundResult {
  /** Task ids claimed, per claimer. */
  claimed: string[][];
  /** From the start signal to the last claimer finding the queue empty. */
  ms: number;
  /** The slowest single store call of any claimer, in ms. */
  slowestMs: number;
  /** Store calls that gave up with SQLITE_BUSY (and were repeated). */
  busy: number;
  /** CPU time of the claimer processes, summed. */
  cpuMs: number;
}

export class ClaimerPool {
  private constructor(private readonly claimers: Claimer[]) {}

  /** Forks `size` claimer processes and waits until each has loaded its code. */
  static async start(size: number): Promise<ClaimerPool> {
    const pool = new ClaimerPool(Array.from({ length: size }, (_, i) => startClaimer(i)));
    try {
      await Promise.all(pool.claimers.map((c) => expectReply(c, "started")));
    } catch (error) {
      pool.stop();
      throw error;
    }
    return pool;
  }

  /** Points every claimer at the store `url`, each with a client of its own. */
  async open(url: string): Promise<void> {
    for (const claimer of this.claimers) send(claimer, { type: "open", url });
    await Promise.all(this.claimers.map((c) => expectReply(c, "ready")));
  }

  /**
   * Releases the first `count` claimers together on the queued tasks and waits until each has
   * found the queue empty. They are connected already, so the time is claiming alone.
   */
  async round(count: number, label: string): Promise<RoundResult> {
    const active = this.claimers.slice(0, count);
    const started = performance.now();
    for (const [i, claimer] of active.entries())
      send(claimer, { type: "go", workerId: `${label}-claimer-${i}` });
    const replies = await Promise.all(active.map((c) => expectReply(c, "done")));
    const ms = performance.now() - started;
    return {
      claimed: replies.map((r) => r.claimed),
      ms,
      slowestMs: Math.max(...replies.map((r) => r.slowestMs)),
      busy: replies.reduce((sum, r) => sum + r.busy, 0),
      cpuMs: replies.reduce((sum, r) => sum + r.cpuMs, 0),
    };
  }

  stop(): void {
    for (const { child } of this.claimers) if (child.connected) child.disconnect();
  }
}
