// `pnpm --filter @studio/inference bench:memory`: resident memory of the default
// super-resolution task (params {}: tile auto, gentle tuning, PNG) at 512, 1024, 2048 and
// 4096 px with the official Real-ESRGAN AnimeVideo v3 x4, each in a fresh process that loads
// the model as the worker does: idle (model loaded and warmed up), peak during the task (the
// kernel's high-water mark, VmHWM), and after the task. Side by side: onnxruntime's CPU arena
// off (the product's default, runtime/session.ts) and on, with the time each took (issue #16:
// after a task the worker must be back within 300 MB of its idle baseline). The processes get
// the worker's malloc settings (worker/supervisor.ts WORKER_MALLOC_ENV).
// Usage: pnpm --filter @studio/inference bench:memory [-- --sides 512,1024 --threads 2]
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { TSX_EXEC_ARGV } from "../src/tsx";
import { WORKER_MALLOC_ENV } from "../src/worker/supervisor";

const { values } = parseArgs({
  options: {
    sides: { type: "string", default: "512,1024,2048,4096" },
    threads: { type: "string", default: "2" },
    model: { type: "string", default: "realesr-animevideov3-x4" },
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
}

function measure(side: number, arena: boolean): Measured {
  const child = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      ...TSX_EXEC_ARGV,
      RUN,
      officialDir,
      values.model ?? "",
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
  return JSON.parse(line) as Measured;
}

const mb = (b: number) => `${Math.round(b / 2 ** 20)}`;
const rows: string[][] = [];
for (const side of sides) {
  const off = measure(side, false);
  const on = measure(side, true);
  rows.push([
    `${side}`,
    `${off.tile} (${off.tiles})`,
    mb(off.idle),
    mb(off.peak - off.idle),
    mb(off.after - off.idle),
    (off.ms / 1000).toFixed(1),
    mb(on.peak - on.idle),
    mb(on.after - on.idle),
    (on.ms / 1000).toFixed(1),
    (off.ms / on.ms).toFixed(2),
  ]);
  process.stderr.write(`${side} px done\n`);
}
const header = [
  "side px",
  "tile (tiles)",
  "idle MB",
  "peak +MB",
  "after +MB",
  "time s",
  "arena: peak +MB",
  "arena: after +MB",
  "arena: time s",
  "time vs arena",
];
console.log(
  `\nMemory of the default task, ${values.model}, ${values.threads} threads (no arena = default)\n`,
);
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => "---").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
