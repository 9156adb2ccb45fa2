import { TASK_STATUSES } from "@studio/db/status";
import client from "prom-client";

/** Counts the store is asked for at scrape time (tasks by state, queue depth). */
export interface QueueCounts {
  byStatus: Record<string, number>;
  /** Queued tasks that may be claimed now. */
  depth: number;
}

const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

/**
 * The service's Prometheus metrics on one registry. Store-derived gauges are filled at scrape
 * time, so they are right whichever process (this one or another worker) changed the rows.
 */
export function createMetrics(options: { queueCounts?: () => Promise<QueueCounts> } = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "inference_" });

  const tasksByState = new client.Gauge({
    name: "inference_tasks",
    help: "Tasks in the store by state",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      if (!options.queueCounts) return;
      const counts = await options.queueCounts();
      for (const state of TASK_STATUSES) this.set({ state }, counts.byStatus[state] ?? 0);
    },
  });
  // The registry collects metrics concurrently, so each store-derived gauge asks on its own.
  const queueDepth = new client.Gauge({
    name: "inference_queue_depth",
    help: "Queued tasks that may be claimed now",
    registers: [registry],
    async collect() {
      if (!options.queueCounts) return;
      this.set((await options.queueCounts()).depth);
    },
  });
  const counter = <Label extends string>(
    name: string,
    help: string,
    labelNames: readonly Label[] = [],
  ) => new client.Counter({ name, help, labelNames, registers: [registry] });
  const histogram = <Label extends string>(
    name: string,
    help: string,
    labelNames: readonly Label[],
    buckets: number[],
  ) => new client.Histogram({ name, help, labelNames, buckets, registers: [registry] });

  const taskDuration = histogram(
    "inference_task_run_seconds",
    "Wall time of one attempt of a task, by task kind and outcome",
    ["kind", "outcome"],
    RUN_BUCKETS,
  );
  const itemDuration = histogram(
    "inference_item_run_seconds",
    "Wall time of one task item, by task kind and outcome",
    ["kind", "outcome"],
    RUN_BUCKETS,
  );
  const tasksClaimed = counter("inference_tasks_claimed_total", "Tasks claimed by this process");
  const leaseReclaims = counter(
    "inference_lease_reclaims_total",
    "Tasks claimed again after a worker's lease expired",
  );
  const sessionCache = counter(
    "inference_session_cache_total",
    "onnxruntime session cache look-ups by result",
    ["result"],
  );
  const previews = counter("inference_previews_total", "Preview requests by outcome", ["outcome"]);
  const previewModelOutput = counter(
    "inference_preview_model_output_cache_total",
    "Super-resolution previews by whether the model's output of the crop was cached (hit: only the tuning ran) or the model ran (miss)",
    ["result"],
  );
  const previewDuration = histogram(
    "inference_preview_seconds",
    "Preview run time by task kind",
    ["kind"],
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  const validations = counter(
    "inference_weight_validations_total",
    "Weight validations by outcome (ok or the rejection code)",
    ["outcome"],
  );
  const conversions = counter(
    "inference_weight_conversions_total",
    "Weight conversions to ONNX by kind (state_dict, ncnn) and outcome (ok or the error code)",
    ["kind", "outcome"],
  );
  const httpDuration = histogram(
    "inference_http_request_seconds",
    "HTTP request duration by route, method and status",
    ["route", "method", "status"],
    [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
  );
  const cleanupFreed = counter(
    "inference_cleanup_freed_bytes_total",
    "Bytes deleted by the cleanup job",
  );

  return {
    registry,
    tasksByState,
    queueDepth,
    taskDuration,
    itemDuration,
    tasksClaimed,
    leaseReclaims,
    sessionCache,
    previews,
    previewModelOutput,
    previewDuration,
    validations,
    conversions,
    httpDuration,
    cleanupFreed,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The metrics the task worker, the model store and the preview processes record (also across a
 * process boundary).
 */
export interface WorkerMetrics {
  tasksClaimed: { inc(value?: number): void };
  leaseReclaims: { inc(value?: number): void };
  sessionCache: { inc(labels: { result: string }): void };
  taskDuration: { observe(labels: { kind: string; outcome: string }, value: number): void };
  itemDuration: { observe(labels: { kind: string; outcome: string }, value: number): void };
  /** Preview processes only: model output cache look-ups (hit or miss). */
  previewModelOutput: { inc(labels: { result: "hit" | "miss" }): void };
}

export type WorkerMetricName = keyof WorkerMetrics;

/** A metric update sent from a worker process to the process that serves /metrics. */
export interface MetricMessage {
  type: "metric";
  name: WorkerMetricName;
  method: "inc" | "observe";
  args: unknown[];
}

/** WorkerMetrics that forward every update through `send` (the worker process's IPC channel). */
export function forwardingMetrics(send: (message: MetricMessage) => void): WorkerMetrics {
  const counter = (name: WorkerMetricName) => ({
    inc: (...args: unknown[]) => send({ type: "metric", name, method: "inc", args }),
  });
  const histogram = (name: WorkerMetricName) => ({
    observe: (...args: unknown[]) => send({ type: "metric", name, method: "observe", args }),
  });
  return {
    tasksClaimed: counter("tasksClaimed"),
    leaseReclaims: counter("leaseReclaims"),
    sessionCache: counter("sessionCache") as WorkerMetrics["sessionCache"],
    taskDuration: histogram("taskDuration") as WorkerMetrics["taskDuration"],
    itemDuration: histogram("itemDuration") as WorkerMetrics["itemDuration"],
    previewModelOutput: counter("previewModelOutput") as WorkerMetrics["previewModelOutput"],
  };
}

/** Applies a forwarded update to this process's registry. */
export function applyMetricMessage(metrics: Metrics, message: MetricMessage): void {
  const target = metrics[message.name] as unknown as Record<string, (...args: unknown[]) => void>;
  const fn = target?.[message.method];
  if (typeof fn === "function") fn.apply(target, message.args);
}
