// Messages between the queue benchmark and its claimer processes (over the fork IPC channel).

export type ClaimerRequest =
  /** Connect to this store (closing the previous one); answered with "ready". */
  | { type: "open"; url: string }
  /** Claim and finish tasks until the queue is empty; answered with "done". */
  | { type: "go"; workerId: string };

export type ClaimerReply =
  | { type: "started" }
  | { type: "ready" }
  | {
      type: "done";
      claimed: string[];
      /** The slowest single store call of the round, in ms. */
      slowestMs: number;
      /** Store calls that gave up with SQLITE_BUSY and were repeated. */
      busy: number;
      /** CPU time this process spent on the round (on SQLite all of the store's work). */
      cpuMs: number;
    }
  | { type: "error"; message: string };
