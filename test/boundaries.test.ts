// Package boundaries (ARCHITECTURE.md, "Dependencies point one way"), checked from every
// workspace package.json and every import in the sources: no package depends on an app, web
// never imports db, api takes from core only its dependency-free subpaths and never loads sharp
// or onnxruntime itself (the inference service owns pixels and models), contracts depends on
// zod alone, core imports neither db nor api, blob takes nothing of ours but contracts, and no relative import leaves its workspace (a
// test reaches another package through its name and exports, never ../../packages/...).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const REPO = path.resolve(import.meta.dirname, "..");

const APPS = ["@studio/web", "@studio/inference"];

/**
 * The subpaths of @studio/core that load neither sharp nor onnxruntime nor any other native or
 * Node-only package (checked below from their imports): what they import, all the way down, is
 * zod, @studio/contracts, fflate and yauzl (plain JavaScript) and Node built-ins.
 *   spec                    model specs, task parameter schemas, presets
 *   signature               the parameter signature (node:crypto)
 *   zip                     streaming zip writer for downloads (fflate)
 *   zip/read                checked zip reader for uploaded archives (yauzl)
 *   tensor                  pixel <-> tensor conversion (typed arrays only)
 *   image/formats           magic-byte format detection, MIME types, extensions, ImageError
 *   architectures/catalog   importable architectures as data (ids, names, keys, default specs)
 *   importers/formats       importable file extensions and the importer's size cap
 *   official/catalog        the official model manifest and the fetched models' records
 *   quantize/report         the INT8 check's report type and its quality and speed gate
 * Not free: image and tuning (sharp), runtime, tiling and pipeline (onnxruntime-node), onnx,
 * ncnn, official, importers, architectures (onnx-proto and more).
 */
const FREE_CORE_SUBPATHS = [
  "spec",
  "signature",
  "zip",
  "zip/read",
  "tensor",
  "image/formats",
  "architectures/catalog",
  "importers/formats",
  "metrics",
  "official/catalog",
  "quantize/report",
];
// yauzl is allowed because it is pure JavaScript (zip/read is a declared free subpath): the rule
// exists to keep native compute (sharp, onnxruntime, protobuf) out of the API process.
const FREE_PACKAGES = /^(?:zod|fflate|yauzl|@studio\/contracts)(?:\/|$)|^node:/;

/**
 * Native compute the API process must not load, not even from its tests (they make pixels
 * through @studio/core/image or the real service): its pictures, the PDF report's included,
 * are renditions the inference service makes.
 */
const NATIVE_COMPUTE = /^(?:sharp|onnxruntime-[\w-]+)$/;

/**
 * Violations that exist today and are being removed; each entry is one file and one import
 * (or one package.json dependency). The check fails for any violation not listed here and for
 * an entry that no longer occurs, so this list only shrinks.
 */
const KNOWN_VIOLATIONS_TO_REMOVE: ReadonlyArray<{ file: string; specifier: string }> = [];

interface Workspace {
  /** Relative to the repository, with forward slashes: packages/api, apps/web, test. */
  dir: string;
  name: string;
  /** dependencies, devDependencies, peerDependencies and optionalDependencies. */
  deps: string[];
}

interface Import {
  /** Relative to the repository, with forward slashes. */
  file: string;
  specifier: string;
  workspace: Workspace;
}

interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const SKIPPED_DIRS = new Set([
  "node_modules",
  "generated",
  ".next",
  "dist",
  ".turbo",
  "coverage",
  "test-results",
]);
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
// `from "x"` (imports and re-exports), `import("x")`, `require("x")`, side-effect `import "x"`.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"'\n]+)["']/gm;
// Whole-line comments only: code such as URLs in strings must survive.
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*).*$/gm;

const toPosix = (p: string) => p.split(path.sep).join("/");

function workspaceDirs(): string[] {
  const yaml = readFileSync(path.join(REPO, "pnpm-workspace.yaml"), "utf8");
  // The list under `packages:`, up to the next top-level key.
  const block = /^packages:\s*\n((?:[ \t]+.*\n|\s*\n|#.*\n)*)/m.exec(yaml)?.[1] ?? "";
  const patterns = [...block.matchAll(/^\s*-\s*["']?([^"'\s#]+)["']?/gm)].map(
    (m) => m[1] as string,
  );
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(path.join(REPO, parent))
      .map((entry) => `${parent}/${entry}`)
      .filter((dir) => existsSync(path.join(REPO, dir, "package.json")));
  });
}

function readWorkspaces(): Workspace[] {
  return workspaceDirs().map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, dir, "package.json"), "utf8")) as Record<
      string,
      Record<string, string> | string | undefined
    >;
    const deps = [
      "dependencies",
      "devDependencies",
      "peerDependencies",
      "optionalDependencies",
    ].flatMap((field) => Object.keys((pkg[field] as Record<string, string> | undefined) ?? {}));
    return { dir, name: String(pkg.name), deps };
  });
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !entry.name.endsWith(".d.ts"))
      out.push(rel);
  }
  return out;
}

function importsOf(file: string, text: string, workspace: Workspace): Import[] {
  const code = text.replace(COMMENT_LINE, "");
  return [...code.matchAll(IMPORT)].map((m) => ({ file, specifier: m[1] as string, workspace }));
}

function readImports(workspaces: Workspace[]): Import[] {
  return workspaces.flatMap((ws) =>
    sourceFiles(ws.dir).flatMap((file) =>
      importsOf(file, readFileSync(path.join(REPO, file), "utf8"), ws),
    ),
  );
}

/** Tool configuration (vitest.config.ts, ...): loaded by the tools, never by the package. */
const isToolConfig = (file: string) => /(?:^|\/)[\w-]+\.config\.[cm]?[jt]s$/.test(file);

/**
 * Tests, test helpers and benchmarks (`bench/`): never loaded by the package at run time, so
 * their own rules are looser (they may start an app, or build a model to run, for example).
 */
function isTestFile(file: string): boolean {
  return /\.test\.[cm]?[jt]sx?$|\.testing\.ts$|(?:^|\/)(?:test-[\w-]+|testing)\.ts$|\/testing\/|\/test\/|(?:^|\/)bench\//.test(
    file,
  );
}

const packageOf = (specifier: string) =>
  specifier.startsWith("@")
    ? specifier.split("/").slice(0, 2).join("/")
    : (specifier.split("/")[0] as string);

/** Every rule, over the workspaces' package.json files and all imports found. */
function findViolations(workspaces: Workspace[], imports: Import[]): Violation[] {
  const found: Violation[] = [];
  const add = (file: string, specifier: string, rule: string) =>
    found.push({ file, specifier, rule });

  for (const ws of workspaces) {
    const manifest = `${ws.dir}/package.json`;
    for (const dep of ws.deps) {
      if (ws.dir.startsWith("packages/") && APPS.includes(dep))
        add(manifest, dep, "a package depends on an app");
      if (ws.name === "@studio/web" && dep === "@studio/db")
        add(manifest, dep, "web depends on db");
      if (ws.name === "@studio/contracts" && dep !== "zod")
        add(manifest, dep, "contracts depends on something besides zod");
      if (ws.name === "@studio/core" && (dep === "@studio/db" || dep === "@studio/api"))
        add(manifest, dep, "core depends on db or api");
      if (ws.name === "@studio/api" && NATIVE_COMPUTE.test(dep))
        add(manifest, dep, "api depends on sharp or onnxruntime (the inference service owns them)");
      if (ws.name === "@studio/blob" && dep.startsWith("@studio/") && dep !== "@studio/contracts")
        add(manifest, dep, "blob depends on a workspace package besides contracts");
    }
  }

  for (const { file, specifier, workspace: ws } of imports) {
    if (isToolConfig(file)) continue;
    const pkg = packageOf(specifier);
    if (specifier.startsWith(".")) {
      const target = toPosix(
        path.relative(REPO, path.resolve(REPO, path.dirname(file), specifier)),
      );
      if (target !== ws.dir && !target.startsWith(`${ws.dir}/`))
        add(file, specifier, "a relative import leaves its workspace (use the package's name)");
      continue;
    }
    if (ws.dir.startsWith("packages/") && APPS.includes(pkg))
      add(file, specifier, "a package imports an app");
    if (ws.name === "@studio/web" && pkg === "@studio/db") add(file, specifier, "web imports db");
    if (ws.name === "@studio/core" && (pkg === "@studio/db" || pkg === "@studio/api"))
      add(file, specifier, "core imports db or api");
    if (ws.name === "@studio/blob" && pkg.startsWith("@studio/") && pkg !== "@studio/contracts")
      add(file, specifier, "blob imports a workspace package besides contracts");
    if (ws.name === "@studio/contracts" && !isTestFile(file) && !/^zod(?:\/|$)/.test(specifier))
      add(file, specifier, "contracts imports something besides zod");
    if (ws.name === "@studio/api" && NATIVE_COMPUTE.test(pkg))
      add(file, specifier, "api imports sharp or onnxruntime (ask the inference service)");
    if (ws.name === "@studio/api" && !isTestFile(file) && pkg === "@studio/core") {
      const subpath = specifier.slice("@studio/core/".length);
      if (!FREE_CORE_SUBPATHS.includes(subpath))
        add(file, specifier, `api imports core beyond ${FREE_CORE_SUBPATHS.join(", ")}`);
    }
  }
  return found;
}

const isKnown = (v: { file: string; specifier: string }) =>
  KNOWN_VIOLATIONS_TO_REMOVE.some((k) => k.file === v.file && k.specifier === v.specifier);

const describeAll = (violations: Violation[]) =>
  violations.map((v) => `${v.file}: "${v.specifier}" (${v.rule})`).join("\n");

describe("package boundaries", () => {
  const workspaces = readWorkspaces();
  const imports = readImports(workspaces);
  const violations = findViolations(workspaces, imports);

  it("reads every workspace and its imports", () => {
    const names = workspaces.map((w) => w.name);
    for (const name of ["@studio/api", "@studio/contracts", "@studio/core", "@studio/db"])
      expect(names).toContain(name);
    expect(names).toEqual(expect.arrayContaining(APPS));
    // The scanner sees real imports in every package (an empty scan would pass every rule).
    for (const ws of workspaces)
      expect(
        imports.some((i) => i.workspace === ws),
        `no imports found in ${ws.dir}`,
      ).toBe(true);
  });

  it("has no violation beyond the known ones being removed", () => {
    const unexpected = violations.filter((v) => !isKnown(v));
    expect(describeAll(unexpected), "boundary violations").toBe("");
  });

  it("lists no known violation that is gone (remove the entry)", () => {
    const gone = KNOWN_VIOLATIONS_TO_REMOVE.filter(
      (k) => !violations.some((v) => v.file === k.file && v.specifier === k.specifier),
    );
    expect(gone).toEqual([]);
  });

  it("keeps core's free subpaths free of sharp, onnxruntime and Node-only packages", () => {
    const core = JSON.parse(
      readFileSync(path.join(REPO, "packages/core/package.json"), "utf8"),
    ) as { exports: Record<string, string> };
    const heavy: string[] = [];
    for (const subpath of FREE_CORE_SUBPATHS) {
      const entry = core.exports[`./${subpath}`];
      expect(entry, `@studio/core/${subpath} is not exported`).toBeTruthy();
      for (const specifier of externalImportsFrom(
        path.join(REPO, "packages/core", entry as string),
      ))
        if (!FREE_PACKAGES.test(specifier)) heavy.push(`@studio/core/${subpath} -> ${specifier}`);
    }
    expect(heavy).toEqual([]);
  });
});

/** Every non-relative import reached from `entry` through relative imports. */
function externalImportsFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const external = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const fake: Workspace = { dir: "", name: "", deps: [] };
    for (const { specifier } of importsOf(file, readFileSync(file, "utf8"), fake)) {
      if (specifier.startsWith(".")) pending.push(resolveSource(file, specifier));
      else external.add(specifier);
    }
  }
  return external;
}

function resolveSource(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (!found) throw new Error(`cannot resolve ${specifier} from ${from}`);
  return found;
}

describe("the boundary rules themselves", () => {
  const ws = (dir: string, name: string, deps: string[] = []): Workspace => ({ dir, name, deps });
  const api = ws("packages/api", "@studio/api");
  const web = ws("apps/web", "@studio/web");
  const core = ws("packages/core", "@studio/core");
  const contracts = ws("packages/contracts", "@studio/contracts");
  const tests = ws("test", "@studio/test");
  const blob = ws("packages/blob", "@studio/blob");
  const imp = (workspace: Workspace, file: string, specifier: string): Import => ({
    file: `${workspace.dir}/${file}`,
    specifier,
    workspace,
  });
  const flagged = (workspaces: Workspace[], imports: Import[]) =>
    findViolations(workspaces, imports).map((v) => `${v.file} ${v.specifier}`);

  it("flag each kind of violation", () => {
    expect(
      flagged(
        [
          ws("packages/api", "@studio/api", ["@studio/inference", "sharp"]),
          ws("apps/web", "@studio/web", ["@studio/db"]),
          ws("packages/contracts", "@studio/contracts", ["zod", "sharp"]),
          ws("packages/core", "@studio/core", ["@studio/db"]),
          ws("packages/blob", "@studio/blob", ["@studio/contracts", "@studio/db"]),
        ],
        [
          imp(api, "src/a.test.ts", "@studio/inference/testing"),
          imp(web, "src/page.tsx", "@studio/db/client"),
          imp(api, "src/b.ts", "@studio/core/image"),
          imp(api, "src/c.ts", "@studio/core"),
          imp(core, "src/d.ts", "@studio/api"),
          imp(contracts, "src/e.ts", "node:fs"),
          imp(tests, "integration/f.test.ts", "../../packages/api/src/g"),
          imp(api, "src/h.ts", "../../core/src/spec"),
          imp(blob, "src/i.ts", "@studio/core/zip"),
          imp(blob, "src/j.test.ts", "@studio/db/testing"),
          imp(api, "src/services/report-pdf/k.ts", "sharp"),
          imp(api, "src/l.test.ts", "sharp"),
          imp(api, "src/m.ts", "onnxruntime-node"),
        ],
      ),
    ).toEqual([
      "packages/api/package.json @studio/inference",
      "packages/api/package.json sharp",
      "apps/web/package.json @studio/db",
      "packages/contracts/package.json sharp",
      "packages/core/package.json @studio/db",
      "packages/blob/package.json @studio/db",
      "packages/api/src/a.test.ts @studio/inference/testing",
      "apps/web/src/page.tsx @studio/db/client",
      "packages/api/src/b.ts @studio/core/image",
      "packages/api/src/c.ts @studio/core",
      "packages/core/src/d.ts @studio/api",
      "packages/contracts/src/e.ts node:fs",
      "test/integration/f.test.ts ../../packages/api/src/g",
      "packages/api/src/h.ts ../../core/src/spec",
      "packages/blob/src/i.ts @studio/core/zip",
      "packages/blob/src/j.test.ts @studio/db/testing",
      "packages/api/src/services/report-pdf/k.ts sharp",
      "packages/api/src/l.test.ts sharp",
      "packages/api/src/m.ts onnxruntime-node",
    ]);
  });

  it("let the allowed imports through", () => {
    expect(
      flagged(
        [
          ws("packages/contracts", "@studio/contracts", ["zod"]),
          ws("test", "@studio/test", ["@studio/inference"]),
        ],
        [
          imp(api, "src/a.ts", "@studio/core/spec"),
          imp(api, "src/b.ts", "@studio/contracts/inference-client"),
          imp(api, "src/files/c.testing.ts", "@studio/core/onnx"),
          imp(api, "src/d.test.ts", "@studio/core/image"),
          imp(api, "bench/server.ts", "@studio/core/testing"),
          imp(api, "src/e.ts", "../f"),
          imp(web, "src/page.tsx", "@studio/api"),
          imp(core, "src/g.ts", "@studio/contracts/task"),
          imp(contracts, "src/h.ts", "zod"),
          imp(contracts, "src/i.test.ts", "node:net"),
          imp(contracts, "vitest.config.ts", "vitest/config"),
          imp(tests, "integration/j.test.ts", "@studio/inference/testing"),
          imp(tests, "integration/k.test.ts", "../e2e/harness"),
        ],
      ),
    ).toEqual([]);
  });

  it("read imports, re-exports and dynamic imports but not commented-out ones", () => {
    const text = [
      'import a from "one";',
      'import type { B } from "two";',
      'export { c } from "three";',
      'import "four";',
      'const d = await import("five");',
      'const e = require("six");',
      'import {\n  f,\n  g,\n} from "seven";',
      '// import h from "eight";',
      ' * see import("nine")',
      'const url = "http://example.com"; // not an import',
    ].join("\n");
    expect(importsOf("x.ts", text, api).map((i) => i.specifier)).toEqual([
      "one",
      "two",
      "three",
      "four",
      "five",
      "six",
      "seven",
    ]);
  });
});
