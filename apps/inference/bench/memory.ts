// `pnpm --filter @studio/inference bench:memory`: resident memory of the default
// super-resolution task (params {}: tile auto, gentle tuning, PNG) at 512, 1024, 2048 and
// 4096 px with the official Real-ESRGAN AnimeVideo v3 x4, each in a fresh process that loads
// the model as the worker does: idle (model loaded and warmed up), peak during the task (the
// kernel's high-water mark, VmHWM), and after the task. Side by side: onnxruntime's CPU arena
// off (ORT_MEMORY_ARENA=false) and on (the default, runtime/session.ts), with the arena also
// after the idle worker released the session and loaded it again without its arena
// (worker/main.ts, SESSION_IDLE_RELEASE_MS; ModelStore.renew) and what that took; the time each
// took (issue #16: after a task the worker must be back
// within 300 MB of its idle baseline). Then, per official model, what a release costs the next
// task: first load (with its measuring warm-up), the load after a release, and a 256 px task on
// the warm and on the reloaded session. The processes get the worker's malloc settings
// (worker/supervisor.ts WORKER_MALLOC_ENV).
// Usage: pnpm --filter @studio/inference bench:memory [-- --sides 512,1024 --threads 2
//   --reload-models realesr-animevideov3-x4,realesrgan-x4plus-anime (or "" for none)]
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { TSX_EXEC_ARGV } from "../src/tsx";
import { WORKER_MALLOC_ENV } from "../src/worker/supervisor";

const { values } = parseArgs({
  // pnpm hands on the "--" of `pnpm bench:memory -- --sides ...`.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    sides: { type: "string", default: "512,1024,2048,4096" },
    threads: { type: "string", default: "2" },
    model: { type: "string", default: "realesr-animevideov3-x4" },
    "reload-models": {
      type: "string",
      default:
        "realesr-animevideov3-x4,realesr-animevideov3-x2,realesrgan-x4plus-anime,realcugan-se-x2,waifu2x-cunet-x2,waifu2x-upconv7-anime-x2",
    },
    "data-dir": { type: "string", default: path.resolve(import.meta.dirname, "../../../data") },
  },
});
const officialDir = path.join(values["data-dir"] ?? "", "official");
const sides = (values.sides ?? "").split(",").map(Number);
const RUN = path.join(import.meta.dirname, "memory-run.ts");

interface Measured {
  side: number;
  tile: number | "off";
  tiles: number;
  ms: number;
  idle: number;
  peak: number;
  after: number;
  /** With the arena: resident after the session was released, and its reload time. */
  released?: number;
  reloadMs?: number;
}

interface ReloadCost {
  model: string;
  bytes: number;
  loadMs: number;
  warmupMs: number;
  reloadMs: number;
  warmTaskMs: number;
  coldTaskMs: number;
}

/** One child run; side 0 answers a ReloadCost instead. */
function measure<T = Measured>(side: number, arena: boolean, model = values.model ?? ""): T {
  const child = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      ...TSX_EXEC_ARGV,
      RUN,
      officialDir,
      model,
      String(side),
      arena ? "arena" : "none",
      values.threads ?? "2",
    ],
    {
      encoding: "utf8",
      maxBuffer: 1 << 20,
      // The worker process's malloc settings (supervisor.ts).
      env: { ...WORKER_MALLOC_ENV, ...process.env, NODE_OPTIONS: "" },
    },
  );
  const line = child.stdout.trim().split("\n").pop() ?? "";
  if (child.status !== 0 || !line.startsWith("{")) {
    throw new Error(`side ${side} (arena ${arena}) failed: ${child.stderr.slice(-2000)}`);
  }
  return JSON.parse(line) as T;
}

const mb = (b: number) => `${Math.round(b / 2 ** 20)}`;
const table = (header: string[], rows: string[][]) => {
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
};
const rows: string[][] = [];
for (const side of sides) {
  const off = measure(side, false);
  const on = measure(side, true);
  rows.push([
    `${side}`,
    `${on.tile} (${on.tiles})`,
    mb(on.idle),
    mb(on.peak - on.idle),
    mb(on.after - on.idle),
    mb((on.released ?? Number.NaN) - on.idle),
    (on.ms / 1000).toFixed(1),
    `${Math.round(on.reloadMs ?? Number.NaN)}`,
    mb(off.peak - off.idle),
    mb(off.after - off.idle),
    (off.ms / 1000).toFixed(1),
    (off.ms / on.ms).toFixed(2),
  ]);
  process.stderr.write(`${side} px done\n`);
}
const costs: ReloadCost[] = [];
for (const model of (values["reload-models"] ?? "").split(",").filter(Boolean)) {
  costs.push(measure<ReloadCost>(0, true, model));
  process.stderr.write(`${model} reloaded\n`);
}
console.log(
  `\nMemory of the default task, ${values.model}, ${values.threads} threads; growth over idle (model loaded)\n`,
);
table(
  [
    "side px",
    "tile (tiles)",
    "idle MB",
    "arena: peak +MB",
    "after task +MB",
    "after idle release and renewal +MB",
    "time s",
    "renewal ms",
    "no arena: peak +MB",
    "after task +MB",
    "time s",
    "no arena time / arena",
  ],
  rows,
);
if (costs.length > 0) {
  console.log(
    `\nWhat a release costs the next task (${values.threads} threads, 256 px default task, medians of 3)\n`,
  );
  table(
    [
      "model",
      "MB",
      "first load + warm-up ms",
      "load after release ms",
      "task on warm session ms",
      "task after reload ms",
      "reload + cold task - warm task ms",
    ],
    costs.map((c) => [
      c.model,
      (c.bytes / 2 ** 20).toFixed(1),
      `${Math.round(c.loadMs)} + ${Math.round(c.warmupMs)}`,
      `${Math.round(c.reloadMs)}`,
      `${Math.round(c.warmTaskMs)}`,
      `${Math.round(c.coldTaskMs)}`,
      `${Math.round(c.reloadMs + c.coldTaskMs - c.warmTaskMs)}`,
    ]),
  );
}
