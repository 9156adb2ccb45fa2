// A preview process, started and owned by the service's PreviewPool (pool.ts). onnxruntime-node
// runs a model synchronously on the JavaScript thread, so previews run here rather than on the
// HTTP event loop, and the service can stop a run at the time limit by killing this process.
// It keeps its own session cache across previews; one job at a time. Settings arrive as JSON in
// argv[2]; jobs, answers and session-cache metrics travel over the IPC channel.
import { ModelOutputCache } from "@studio/core/pipeline";
import { forwardingMetrics } from "../metrics";
import { ModelStore } from "../models";
import { computePreview } from "./compute";
import { DecodedImageCache } from "./image-cache";
import {
  type FromPreviewProcess,
  type PreviewProcessSettings,
  type ToPreviewProcess,
  toWireError,
} from "./messages";

const settings = JSON.parse(process.argv[2] ?? "{}") as PreviewProcessSettings;
const send = (message: FromPreviewProcess) => {
  if (process.connected) process.send?.(message);
};
const metrics = forwardingMetrics(send);
const models = new ModelStore({ ...settings, metrics });
// Previews of one image usually differ only in their tuning (a slider moved): the model's
// output of the crop is kept so that those answer without running the model.
const outputCache =
  settings.outputCacheBytes > 0 ? new ModelOutputCache(settings.outputCacheBytes) : undefined;
// And their source image, decoded: without it every preview read and decoded the whole file.
const imageCache =
  settings.imageCacheBytes > 0 ? new DecodedImageCache(settings.imageCacheBytes) : undefined;

let current: { id: number; controller: AbortController } | undefined;

/**
 * The pool's word that this process has been idle for a while: its sessions go, with the memory
 * onnxruntime's arena kept for its largest preview. The pool forgets that this process holds them
 * before it sends this, so the next preview brings the weight's file; messages arrive in order and
 * none is sent while a preview runs. The model output and decoded image caches stay (bounded,
 * and what makes a tuning change answer without the model).
 */
type ReleaseSessions = { type: "release" };

process.on("message", (message: ToPreviewProcess | ReleaseSessions) => {
  if (message.type === "release") {
    if (!current) void models.release();
    return;
  }
  if (message.type === "cancel") {
    if (current?.id === message.id) current.controller.abort(new Error("preview canceled"));
    return;
  }
  const job = { id: message.id, controller: new AbortController() };
  current = job;
  computePreview(message.job, {
    models,
    maxImagePixels: settings.maxImagePixels,
    signal: job.controller.signal,
    metrics,
    ...(outputCache ? { outputCache } : {}),
    ...(imageCache ? { imageCache } : {}),
  })
    .then((answer) => send({ type: "result", id: job.id, answer, cached: models.cache.keys() }))
    .catch((error: unknown) =>
      send({ type: "error", id: job.id, error: toWireError(error), cached: models.cache.keys() }),
    )
    .finally(() => {
      if (current === job) current = undefined;
    });
});

// The service went away without closing the pool (it was killed): nothing here outlives it.
process.on("disconnect", () => process.exit(0));
// It may have gone while this process was still loading.
if (!process.connected) process.exit(0);
// The pool decides when this process ends (it kills it at close). A stop signal sent to the
// whole process group (Ctrl-C in a terminal, systemd stopping the unit) must not end it first:
// the pool would take that for a crash, fail the preview in flight and start a replacement
// while the service is stopping.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => {});

send({ type: "ready" });
