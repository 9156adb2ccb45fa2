// Drives pytorch_reference.py (the seed's way: PyTorch eager, Real-ESRGAN's tile 192 / pad 10,
// PNG write) for bench/speed.ts as a long-lived child, so its runs interleave with the bench's
// own and a load spike on this shared machine hits both sides alike.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fixturePath } from "@studio/fixtures";

/** One timed run, as pytorch_reference.py prints it (ms). */
export interface SeedRun {
  readMs: number;
  modelTilingMs: number;
  enhanceMs: number;
  pngWriteMs: number;
  totalMs: number;
  pngBytes: number;
  pngWriter: string;
}

export interface SeedReference {
  torch: string;
  threads: number;
  /** PyTorch's output against onnxruntime's on the verification input. */
  verifyMaxAbsDiff: number;
  run(): Promise<SeedRun>;
  stop(): Promise<void>;
}

/** A Python with torch and numpy (Debian's python3 may sit behind a pyenv shim without them). */
export function pythonWithTorch(): string | null {
  for (const candidate of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(candidate, ["-c", "import torch, numpy"], { stdio: "ignore" });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/**
 * Starts the reference on `imagePath` and waits until it has loaded the NCNN weights, matched
 * onnxruntime's `expected` output for `input` (planar 1x3xHxW, values 0-1) and run once to warm
 * up. Rejects when the outputs differ by more than `tolerance`.
 */
export async function startSeedReference(opts: {
  python: string;
  imagePath: string;
  scratchDir: string;
  threads: number;
  verify: { input: Float32Array; expected: Float32Array; height: number; width: number };
  tolerance?: number;
}): Promise<SeedReference> {
  const verifyInput = path.join(opts.scratchDir, "verify-input.f32");
  const verifyOutput = path.join(opts.scratchDir, "verify-ort-output.f32");
  const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(verifyInput, bytesOf(opts.verify.input));
  writeFileSync(verifyOutput, bytesOf(opts.verify.expected));
  const child: ChildProcess = spawn(
    opts.python,
    [
      path.join(import.meta.dirname, "pytorch_reference.py"),
      ...["--param", fixturePath("realesr-animevideov3-x4.param")],
      ...["--bin", fixturePath("realesr-animevideov3-x4.bin")],
      ...["--image", opts.imagePath],
      ...["--out", path.join(opts.scratchDir, "seed-result.png")],
      ...["--threads", String(opts.threads)],
      ...["--verify-input", verifyInput, "--verify-output", verifyOutput],
      ...["--verify-size", `${opts.verify.height}x${opts.verify.width}`],
      ...["--verify-tolerance", String(opts.tolerance ?? 1e-4)],
      "--serve",
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[
    Symbol.asyncIterator
  ]();
  const nextMessage = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(`pytorch_reference.py exited (code ${await exited})`);
    const message = JSON.parse(line.value) as Record<string, unknown>;
    if (typeof message.error === "string") throw new Error(message.error);
    return message;
  };
  const stop = async () => {
    if (child.exitCode === null) {
      child.stdin?.end();
      await exited;
    }
  };
  try {
    const ready = await nextMessage();
    return {
      torch: String(ready.torch),
      threads: Number(ready.threads),
      verifyMaxAbsDiff: Number(ready.verifyMaxAbsDiff),
      async run() {
        child.stdin?.write("run\n");
        return (await nextMessage()) as unknown as SeedRun;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
