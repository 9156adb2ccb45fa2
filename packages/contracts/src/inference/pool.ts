// One client over many inference nodes. Every call goes to a healthy node (one that already
// holds the call's weight first, then the least loaded); a node that cannot be reached, times
// out or is busy hands the call to the next one; a node that failed several times in a row is
// left out until its health check passes again. With one node this is the plain client with
// its retries, so a single machine behaves exactly as before.
import {
  createInferenceClient,
  InferenceBusyError,
  type InferenceClient,
  type InferenceClientOptions,
  InferenceUnavailableError,
  sleep,
} from "./client";

/** A node as the store's registry describes it (see @studio/db nodes). */
export interface InferenceNodeInfo {
  /** Base URL the node answers at, e.g. http://10.0.0.5:4010. */
  url: string;
  /** Work in progress (previews, validations, conversions, tasks) ... */
  load: number;
  /** ... out of this many slots, so nodes of different sizes compare fairly. */
  capacity: number;
  /** sha256 of the weights the node has loaded. */
  weights: readonly string[];
}

export interface InferencePoolOptions extends Omit<InferenceClientOptions, "baseUrl"> {
  /** The nodes to use now, e.g. the live ones of the store's registry, read afresh per call. */
  listNodes(): Promise<InferenceNodeInfo[]>;
  /** The weight (sha256) a call works with, to prefer nodes that hold it. */
  weightOf?(method: keyof InferenceClient, input: unknown): Promise<string | undefined>;
  /** Failures in a row after which a node is left out until a health check passes (3). */
  failureThreshold?: number;
  /** How often a left-out node's health is checked while calls come in (5 s). */
  probeIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface NodeHealth {
  failuresInARow: number;
  /** Set while left out: the earliest time its health may be checked again. */
  nextProbeAt?: number;
  probing?: Promise<void>;
}

export type InferencePool = InferenceClient & {
  /** Nodes left out now, by URL (for the status page). */
  leftOut(): string[];
};

export function createInferencePool(options: InferencePoolOptions): InferencePool {
  const { listNodes, weightOf, failureThreshold = 3, probeIntervalMs = 5_000 } = options;
  const now = options.now ?? Date.now;
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const clients = new Map<string, InferenceClient>();
  const health = new Map<string, NodeHealth>();

  const clientFor = (url: string) => {
    let client = clients.get(url);
    if (!client) {
      // One attempt per node: the pool itself moves on to another node or waits and retries.
      client = createInferenceClient({ ...options, baseUrl: url, retries: 0 });
      clients.set(url, client);
    }
    return client;
  };
  const healthOf = (url: string) => {
    let entry = health.get(url);
    if (!entry) {
      entry = { failuresInARow: 0 };
      health.set(url, entry);
    }
    return entry;
  };
  const isLeftOut = (url: string) => healthOf(url).nextProbeAt !== undefined;

  function recordSuccess(url: string) {
    const entry = healthOf(url);
    entry.failuresInARow = 0;
    entry.nextProbeAt = undefined;
  }
  function recordFailure(url: string) {
    const entry = healthOf(url);
    entry.failuresInARow += 1;
    if (entry.failuresInARow >= failureThreshold) entry.nextProbeAt ??= now() + probeIntervalMs;
  }

  /** Checks a left-out node's health in the background when its time has come. */
  function probeIfDue(url: string) {
    const entry = healthOf(url);
    if (entry.nextProbeAt === undefined || entry.probing || now() < entry.nextProbeAt) return;
    entry.probing = clientFor(url)
      .health()
      .then(
        () => recordSuccess(url),
        () => {
          entry.nextProbeAt = now() + probeIntervalMs;
        },
      )
      .finally(() => {
        entry.probing = undefined;
      });
  }

  /** Healthy nodes first: holding the weight, then by load per slot; left-out nodes last. */
  function order(nodes: InferenceNodeInfo[], weight: string | undefined): string[] {
    const score = (node: InferenceNodeInfo) => [
      isLeftOut(node.url) ? 1 : 0,
      weight && node.weights.includes(weight) ? 0 : 1,
      node.load / Math.max(1, node.capacity),
    ];
    return [...nodes]
      .sort((a, b) => {
        const [x, y] = [score(a), score(b)];
        for (let i = 0; i < x.length; i++) {
          const d = (x[i] as number) - (y[i] as number);
          if (d !== 0) return d;
        }
        return 0;
      })
      .map((node) => node.url)
      .filter((url, i, all) => all.indexOf(url) === i);
  }

  async function call<K extends keyof InferenceClient>(
    method: K,
    args: Parameters<InferenceClient[K]>,
  ): Promise<Awaited<ReturnType<InferenceClient[K]>>> {
    const signal = args.find((a) => a instanceof AbortSignal) as AbortSignal | undefined;
    const weight = weightOf ? await weightOf(method, args[0]) : undefined;
    let lastError: unknown;
    let busy: InferenceBusyError | undefined;
    // A computation that timed out on a node is not started there again (it may still run).
    const timedOut = new Set<string>();
    for (let round = 0; round <= retries; round++) {
      if (round > 0) await sleep(retryDelayMs * 2 ** (round - 1), signal);
      const nodes = await listNodes();
      for (const node of nodes) probeIfDue(node.url);
      const candidates = order(nodes, weight).filter((url) => !timedOut.has(url));
      if (candidates.length === 0 && timedOut.size > 0) break;
      for (const url of candidates) {
        try {
          const fn = clientFor(url)[method] as (...a: unknown[]) => Promise<unknown>;
          const result = await fn(...args);
          recordSuccess(url);
          return result as Awaited<ReturnType<InferenceClient[K]>>;
        } catch (error) {
          if (signal?.aborted) throw error;
          if (error instanceof InferenceBusyError) {
            busy ??= error;
            continue;
          }
          if (!(error instanceof InferenceUnavailableError)) throw error;
          recordFailure(url);
          lastError = error;
          if (isTimeoutCause(error) && !QUICK_READS.has(method)) timedOut.add(url);
        }
      }
      // Every node was busy: that is the answer (the caller tells the user to try again).
      if (busy && lastError === undefined) throw busy;
    }
    if (busy) throw busy;
    throw lastError instanceof InferenceUnavailableError
      ? lastError
      : new InferenceUnavailableError({ cause: lastError ?? new Error("no inference node") });
  }

  // The plain client's methods, each wrapped: creating a client does no I/O.
  const methods = Object.keys(createInferenceClient({ baseUrl: "http://unused.invalid" })) as Array<
    keyof InferenceClient
  >;
  const pool = Object.fromEntries(
    methods.map((method) => [
      method,
      (...args: Parameters<InferenceClient[typeof method]>) => call(method, args),
    ]),
  ) as unknown as InferenceClient;
  return Object.assign(pool, {
    leftOut: () => [...health.entries()].filter(([, h]) => h.nextProbeAt).map(([url]) => url),
  });
}

/** Calls that only read, which may be repeated on the same node after a time-out. */
const QUICK_READS = new Set<keyof InferenceClient>(["health", "ready", "system", "metrics"]);

function isTimeoutCause(error: InferenceUnavailableError): boolean {
  const cause = error.cause;
  return cause instanceof DOMException && cause.name === "TimeoutError";
}
