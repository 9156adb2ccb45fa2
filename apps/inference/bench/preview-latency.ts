// `pnpm --filter @studio/inference bench:preview`: how fast a live preview answers (issue #16:
// a slider change, i.e. a preview that changes only the tuning, within 150 ms for a 256 px crop).
// A SIDE x SIDE photo (the cat fixture, stretched) and the official Real-ESRGAN AnimeVideo v3 x4:
// the first preview of a crop runs the model, the slider changes that follow are answered from
// the preview process's caches (model output and decoded image). Measured two ways: an HTTP round
// trip of POST /v1/preview to the real service in its own process (task worker off), and a
// PreviewPool in this process with the service's default settings (the same preview process
// without the route, the store look-ups and the HTTP hop). Per row, where the time went: the
// pipeline's own account (the answer's `timings`) and the rest (route, IPC hop, base64 and
// JSON). At idle and, with --load N, while N busy-looping processes compete for the cores.
// The official weights come from `pnpm weights:fetch` (DATA_DIR/official).
// Usage: pnpm --filter @studio/inference bench:preview [-- --changes 15 --side 1024 --crop 256
//   --threads 2 --load 2]
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { parseEnv } from "../src/env";
import { modelSettings } from "../src/models";
import { PreviewPool } from "../src/preview/pool";
import { spawnService } from "../src/test-process";
import { seedOfficialSr } from "./official-sr-setup";

const { values } = parseArgs({
  // pnpm hands on the "--" of `pnpm bench:preview -- --load 2`.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    changes: { type: "string", default: "15" },
    side: { type: "string", default: "1024" },
    crop: { type: "string", default: "256" },
    threads: { type: "string", default: "2" },
    load: { type: "string", default: "0" },
    "data-dir": { type: "string", default: path.resolve(import.meta.dirname, "../../../data") },
  },
});
const CHANGES = Number(values.changes);
const SIDE = Number(values.side);
const CROP = Number(values.crop);
const THREADS = Number(values.threads);
const LOAD = Number(values.load);
const MODEL = "realesr-animevideov3-x4";
const officialDir = path.join(values["data-dir"] ?? "", "official");

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const median = (xs: number[]) => percentile(xs, 0.5);

/** Processes that keep a core busy each, until stopped (by their own pids). */
function busyLoops(count: number): { stop(): Promise<void> } {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++)
    children.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  return {
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGKILL");
            }),
        ),
      );
    },
  };
}

/**
 * CPU time so far of a process's threads (the JavaScript thread, libuv's pool that compresses
 * the PNG, onnxruntime's), in ms, from Linux's scheduler statistics; NaN elsewhere. Unlike wall
 * time it barely depends on what else the machine runs.
 */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return readdirSync(`/proc/${pid}/task`).reduce(
      (sum, tid) =>
        sum +
        Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6,
      0,
    );
  } catch {
    return Number.NaN;
  }
}

/** The preview process a service started (its only child: the task worker is off). */
function previewProcessOf(servicePid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${servicePid}/task/${servicePid}/children`, "utf8");
    const [pid] = children.trim().split(/\s+/).map(Number);
    return pid || undefined;
  } catch {
    return undefined;
  }
}

interface Answer {
  ms: number;
  /** CPU time the preview process spent on it (all its threads). */
  cpuMs: number;
  /** HTTP only: the request's time in the service, from its access log (reply.elapsedTime). */
  serviceMs?: number;
  timings: Record<string, number>;
  pngBytes: number;
}

async function main(): Promise<void> {
  const seeded = await seedOfficialSr({
    officialDir,
    model: MODEL,
    side: SIDE,
    prefix: "inference-preview-bench",
  });
  const { png, store, dataDir, weight, image } = seeded;
  const record = { spec: seeded.spec };
  const service = await spawnService({
    DATA_DIR: dataDir,
    DATABASE_URL: store.url,
    INFERENCE_TOKEN: "bench",
    LOG_LEVEL: "info",
    WORKER_ENABLED: "false",
    ORT_INTRA_OP_THREADS: String(THREADS),
    PREVIEW_MAX_CONCURRENT: "1",
    PREVIEW_TIMEOUT_MS: "120000",
  }).catch(async (error: unknown) => {
    await seeded.cleanup();
    throw error;
  });

  // The same preview process as the service's, driven directly (the service's settings).
  const config = parseEnv({
    DATA_DIR: dataDir,
    DATABASE_URL: store.url,
    ORT_INTRA_OP_THREADS: String(THREADS),
  });
  const mib = 1024 * 1024;
  const pool = new PreviewPool({
    size: 1,
    settings: {
      ...modelSettings(config),
      maxImagePixels: config.MAX_IMAGE_PIXELS,
      outputCacheBytes: config.PREVIEW_OUTPUT_CACHE_MB * mib,
      imageCacheBytes: config.PREVIEW_IMAGE_CACHE_MB * mib,
    },
    logger: pino({ level: "silent" }),
  });
  const imageFile = path.join(dataDir, "tmp", "photo.png");
  writeFileSync(imageFile, png);
  const weightFile = path.join(dataDir, "weights", `${weight.sha256}.onnx`);

  type Preview = (crop: { x: number; y: number }, tuning: object) => Promise<Answer>;
  const previewLogs = () =>
    service.logs.filter((l) => l.msg === "request" && l.route === "/v1/preview");
  const overHttp: Preview = async (crop, tuning) => {
    const logged = previewLogs().length;
    const child = previewProcessOf(service.pid);
    const cpu = cpuMsOf(child);
    const t = performance.now();
    const res = await fetch(`${service.url}/v1/preview`, {
      method: "POST",
      headers: { authorization: "Bearer bench", "content-type": "application/json" },
      body: JSON.stringify({
        weightId: weight.weightId,
        imageId: image,
        crop: { ...crop, width: CROP, height: CROP },
        params: { tuning },
      }),
    });
    if (res.status !== 200) throw new Error(`preview ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { timings: Record<string, number>; pngBase64: string };
    const ms = performance.now() - t;
    await service.waitForLog(() => previewLogs().length > logged);
    return {
      ms,
      cpuMs: cpuMsOf(child) - cpu,
      serviceMs: previewLogs()[logged]?.ms as number,
      timings: body.timings,
      pngBytes: Buffer.byteLength(body.pngBase64, "base64"),
    };
  };
  const throughPool: Preview = async (crop, tuning) => {
    const [child] = pool.pids;
    const cpu = cpuMsOf(child);
    const t = performance.now();
    const body = await pool.run(
      {
        taskKind: "super_resolution",
        weightSha256: weight.sha256,
        spec: JSON.stringify(record.spec),
        imageSha256: createHash("sha256").update(png).digest("hex"),
        imageFile,
        crop: { ...crop, width: CROP, height: CROP },
        params: { tuning },
      },
      {},
      async () => ({ path: weightFile, release() {} }),
    );
    return {
      ms: performance.now() - t,
      cpuMs: cpuMsOf(child) - cpu,
      timings: body.timings,
      pngBytes: Buffer.byteLength(body.pngBase64, "base64"),
    };
  };

  // Each measured round starts at another crop, so its first preview runs the model.
  let round = 0;
  const measure = async (label: string, preview: Preview) => {
    const offset = (round++ % 8) * 24;
    const crop = { x: SIDE / 2 - CROP / 2 - offset, y: SIDE / 2 - CROP / 2 - offset };
    const first = await preview(crop, { preset: "gentle" });
    const changes: Answer[] = [];
    for (let i = 0; i < CHANGES; i++) {
      // A sharpen slider dragged back and forth, on either preset.
      const sharpen = 0.4 + (i % 10) * 0.25;
      changes.push(
        await preview(crop, { preset: i % 2 ? "photo" : "gentle", overrides: { sharpen } }),
      );
    }
    return { label, first, changes };
  };

  const rounds: Awaited<ReturnType<typeof measure>>[] = [];
  const loadAverage = () => os.loadavg()[0]?.toFixed(2) ?? "?";
  const loads: string[] = [];
  try {
    // Start the preview processes and load the weight: not part of any row.
    await overHttp({ x: 0, y: 0 }, { preset: "gentle" });
    await throughPool({ x: 0, y: 0 }, { preset: "gentle" });
    loads.push(`idle: ${loadAverage()}`);
    rounds.push(await measure("idle, HTTP", overHttp));
    rounds.push(await measure("idle, pool", throughPool));
    if (LOAD > 0) {
      const loop = busyLoops(LOAD);
      const busy = `${LOAD} busy loop${LOAD > 1 ? "s" : ""}`;
      try {
        rounds.push(await measure(`${busy}, HTTP`, overHttp));
        rounds.push(await measure(`${busy}, pool`, throughPool));
        loads.push(`loaded: ${loadAverage()}`);
      } finally {
        await loop.stop();
      }
    }
  } finally {
    await pool.close();
    service.child.kill("SIGTERM");
    await service.exited;
    await seeded.cleanup();
  }

  const cpu = os.cpus()[0]?.model ?? "cpu";
  console.log(
    `\npreview latency (issue #16): ${os.cpus().length} cores (${cpu}), ${THREADS} onnxruntime threads, ${MODEL}, ${CROP}x${CROP} crop of a ${SIDE}x${SIDE} photo -> ${CROP * 4}x${CROP * 4}, HTTP: POST /v1/preview to the service, pool: a PreviewPool in the bench's process; load average (1 min) ${loads.join(", ")}\n`,
  );
  console.log(
    "| load, path | preview | round trip | in the service | pipeline | model | decode | tuning | PNG | CPU of the preview process | PNG size |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  const ms = (v: number) => (Number.isNaN(v) ? "-" : `${Math.round(v)} ms`);
  for (const { label, first, changes } of rounds) {
    const row = (name: string, answers: Answer[], pick: (xs: number[]) => number) => {
      const of = (f: (a: Answer) => number) => pick(answers.map(f));
      return [
        label,
        name,
        ms(of((a) => a.ms)),
        ms(of((a) => a.serviceMs ?? NaN)),
        ms(of((a) => a.timings.totalMs ?? 0)),
        ms(of((a) => a.timings.runMs ?? 0)),
        ms(of((a) => a.timings.decodeMs ?? 0)),
        ms(of((a) => a.timings.postMs ?? 0)),
        ms(of((a) => a.timings.encodeMs ?? 0)),
        ms(of((a) => a.cpuMs)),
        `${(of((a) => a.pngBytes) / 1e6).toFixed(2)} MB`,
      ];
    };
    for (const r of [
      row("first preview (model runs)", [first], median),
      row(`slider change, median of ${changes.length}`, changes, median),
      row(`slider change, p90 of ${changes.length}`, changes, (xs) => percentile(xs, 0.9)),
    ])
      console.log(`| ${r.join(" | ")} |`);
  }
  console.log(
    "\n(each column is the median or p90 of its own. In the service: from its access log. Pipeline: the answer's timings.totalMs, the preview process's decode, model, tuning and PNG. CPU: all threads of the preview process, from /proc (on a busy machine wall times stretch, CPU times much less). The rest of a pool round trip is the IPC hop and the base64; of an HTTP one also the route's store look-ups, the JSON and the HTTP client.)",
  );
}

await main();
