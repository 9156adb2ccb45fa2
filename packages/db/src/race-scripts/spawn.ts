import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const TSX = join(here, "../../../../node_modules/.bin/tsx");

/**
 * Starts `tsx src/race-scripts/<name>.ts ...args` in several processes, waits until all are
 * connected ("ready"), releases them together and returns the JSON each printed last.
 */
export async function raceProcesses<T>(name: string, argsPerProcess: string[][]): Promise<T[]> {
  const children = argsPerProcess.map((args) => {
    const child = spawn(TSX, [join(here, `${name}.ts`), ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.startsWith("ready\n")) resolve();
      });
      child.on("close", (code) => reject(new Error(`${name} exited ${code} before ready: ${err}`)));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const done = new Promise<T>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        if (code !== 0)
          return reject(new Error(`${name} ${args.join(" ")} exited ${code}: ${err}`));
        resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "null") as T);
      });
    });
    return { child, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const { child } of children) child.stdin.end("go\n");
  return Promise.all(children.map((c) => c.done));
}
