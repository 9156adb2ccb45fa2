import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packNpmTarball, readTarballFiles } from "./npm-tarball";

let cacheDir: string;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "npm-packs-"));
});

afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe("npm tarballs", () => {
  it("packs through the registry once, then serves the cached file", async () => {
    const ref = { name: "long", version: "4.0.0" };
    const path = await packNpmTarball(ref, cacheDir);
    expect(path).toBe(join(cacheDir, "long-4.0.0.tgz"));
    expect(await readdir(cacheDir)).toEqual(["long-4.0.0.tgz"]); // no temp dirs left behind
    const logs: string[] = [];
    expect(await packNpmTarball(ref, cacheDir, (m) => logs.push(m))).toBe(path);
    expect(logs).toEqual([]);
    const files = await readTarballFiles(path, ["package.json"]);
    expect(JSON.parse((files.get("package.json") as Buffer).toString("utf8")).version).toBe(
      "4.0.0",
    );
    await expect(readTarballFiles(path, ["package.json", "nope.txt"])).rejects.toThrow(
      /does not contain nope\.txt/,
    );
  });

  it("names the package when the registry has no such version", async () => {
    await expect(packNpmTarball({ name: "long", version: "999.0.0" }, cacheDir)).rejects.toThrow(
      /could not fetch long@999\.0\.0 through the npm registry/,
    );
    expect(existsSync(join(cacheDir, "long-999.0.0.tgz"))).toBe(false);
  });
});
