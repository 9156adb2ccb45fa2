import * as ort from "onnxruntime-node";
import { type Device, type DevicePreference, probeCuda } from "./providers";

export interface SessionOptions {
  device?: DevicePreference;
  /** Threads inside one operator; 0 or undefined = onnxruntime's default (all cores). */
  intraOpThreads?: number;
  interOpThreads?: number;
  /**
   * Let onnxruntime's pool threads spin between operators and runs (its default). Off here:
   * a spinning thread holds a core after `run` returns, so the decode, stitching, tuning and PNG
   * work around each run, and the service's other work, get one core less. Measured on 2 cores:
   * bare runs got faster too (OCTA U-Net 643 -> 540 ms, Real-ESRGAN 750 -> 680 ms).
   */
  spinWait?: boolean;
  /**
   * onnxruntime's CPU memory arena (its default, and ours: `ORT_MEMORY_ARENA` in the inference
   * service turns it off). The arena keeps what the largest run
   * needed for the session's life (a worker sat at 2.9 GB idle after 1024 px tasks), and the
   * run option that should shrink it (`memory.enable_memory_arena_shrinkage`) is not passed on
   * by onnxruntime-node 1.30 (measured: the same resident memory after a run with and without
   * it). Without the arena every run gives its memory back, and its peak is lower too. The
   * price is time: every tile allocates afresh. Default task of Real-ESRGAN AnimeVideo v3 x4
   * (tile auto = 512) on 2 busy cores, peak / after-task growth over idle, no arena vs arena:
   * 512 px 193 / 10 vs 303 / 243 MB; 1024 px 271 / 66 vs 428 / 222 MB; 2048 px 571 / 278 vs
   * 693 / 506 MB; time 1.25-1.53x the arena's in that table and 1.36-1.78x in interleaved 1024 px
   * pairs (single untiled runs at 256 px: 1.01x). `pnpm --filter @studio/inference
   * bench:memory` prints the table; speed comes first by default. The inference service
   * releases idle sessions instead (worker/main.ts, `SESSION_IDLE_RELEASE_MS`): a released
   * session frees its arena.
   */
  memoryArena?: boolean;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  device: Device;
  /** Why CUDA was not used, when it was asked for or "auto" chose it and it failed. */
  fallbackReason?: string;
}

const noSpinning = {
  session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } },
};

/** onnxruntime options for these settings (the benchmark's bare runs use the same). */
export function ortSessionOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: "all",
    enableCpuMemArena: opts.memoryArena ?? true,
    // onnxruntime's memory pattern plans one block for all of a shape's intermediates after the
    // first run with that shape and allocates it on the second, beside what the arena already
    // holds: the second run pays for fresh memory again and the session keeps both. Measured on
    // 2 cores, runs 1-3 of one session, pattern on vs off: AnimeVideo v3 x4 at 1024 px 4.4 / 4.6
    // / 3.8-4.1 s vs 4.5 / 3.9 / 3.9 s, 1.95 vs 1.25 GB resident; its INT8 model 1.5-1.9 / 2.3 /
    // 1.3 s vs 1.5-1.7 / 1.3-1.5 / 1.3-1.5 s; Real-CUGAN x2 at 512 px 3.1 / 3.0 / 1.5 s vs 1.6 /
    // 1.5 / 1.7 s, 3.2 vs 1.9 GB; PP-OCR det and the OCTA U-Net no slower. Sessions here are
    // released when idle, so their first runs are the ones that count.
    enableMemPattern: false,
    ...(opts.spinWait ? {} : { extra: noSpinning }),
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    ...(opts.interOpThreads ? { interOpNumThreads: opts.interOpThreads } : {}),
  };
}

/** Creates a session on CUDA when possible, else CPU; a failed CUDA start falls back to CPU. */
export async function createSession(
  model: Uint8Array | string,
  opts: SessionOptions = {},
): Promise<CreatedSession> {
  const pref = opts.device ?? "auto";
  let fallbackReason: string | undefined;
  if (pref !== "cpu") {
    const probe = probeCuda();
    if (probe.available) {
      try {
        const session = await createWith(model, {
          ...ortSessionOptions(opts),
          executionProviders: ["cuda"],
        });
        return { session, device: "cuda" };
      } catch (err) {
        fallbackReason = `CUDA start failed: ${(err as Error).message}`;
      }
    } else if (pref === "cuda") {
      fallbackReason = probe.reason;
    }
  }
  const session = await createWith(model, {
    ...ortSessionOptions(opts),
    executionProviders: ["cpu"],
  });
  return fallbackReason ? { session, device: "cpu", fallbackReason } : { session, device: "cpu" };
}

function createWith(model: Uint8Array | string, options: ort.InferenceSession.SessionOptions) {
  return typeof model === "string"
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}
