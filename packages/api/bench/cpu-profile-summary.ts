// Summary of a V8 .cpuprofile (node --cpu-prof) of the web server: where the time of a polling
// load goes. Next.js bundles the app and the workspace packages into chunks under .next/server,
// so each frame is mapped back through the chunk's source map (node:module's SourceMap, no
// dependency) to its original file, and that file's package names the layer: Next.js, tRPC,
// Prisma, superjson, zod, next-auth, our own packages, node internals.
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** Microseconds, on the clock of the samples. */
  startTime: number;
  endTime: number;
}

interface Frame {
  /** function name and original location */
  label: string;
  layer: string;
}

const maps = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const file = url.startsWith("file://") ? fileURLToPath(url) : url;
      if (existsSync(`${file}.map`))
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  return maps.get(url) ?? null;
}

/** The layer a source file belongs to, from its path. */
export function layerOf(source: string): string {
  if (source === "") return "(native / V8)";
  if (source.startsWith("node:")) return "node internals";
  // Prisma 7's query compiler is the only WebAssembly the web server runs.
  if (source.startsWith("wasm://")) return "Prisma";
  if (source.includes("[turbopack]")) return "Next.js";
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(
    source,
  )?.[1];
  if (pkg) {
    if (pkg === "next" || pkg.startsWith("@next/")) return "Next.js";
    if (pkg.startsWith("react")) return "React";
    if (pkg.startsWith("@trpc/")) return "tRPC";
    if (pkg.startsWith("@prisma/") || pkg === "prisma") return "Prisma";
    if (pkg === "better-sqlite3") return "better-sqlite3";
    if (pkg === "superjson" || pkg === "copy-anything" || pkg === "is-what") return "superjson";
    if (pkg === "zod") return "zod";
    if (["next-auth", "jose", "openid-client", "@panva/hkdf", "oauth", "cookie"].includes(pkg))
      return "next-auth (+jose)";
    if (pkg.startsWith("next-intl") || pkg.startsWith("use-intl") || pkg.startsWith("@formatjs"))
      return "next-intl";
    if (pkg.startsWith("pino")) return "pino (logging)";
    if (pkg.startsWith("@opentelemetry/")) return "OpenTelemetry (Next.js and Prisma tracing)";
    return `other: ${pkg}`;
  }
  const workspace = /(packages|apps)\/([^/]+)\/(src|server\.mjs)/.exec(source);
  if (workspace) {
    if (workspace[2] === "db" && /generated\/prisma/.test(source)) return "Prisma";
    return `@studio/${workspace[2]}`;
  }
  if (/\.next\/server/.test(source)) return "Next.js (app chunk, unmapped)";
  return `other: ${source.slice(-60)}`;
}

function frameOf(node: ProfileNode, cache: Map<number, Frame>): Frame {
  const cached = cache.get(node.id);
  if (cached) return cached;
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  let source = url;
  let line = lineNumber + 1;
  let name = functionName || "(anonymous)";
  if (url.includes("/.next/server/")) {
    const entry = sourceMapOf(url)?.findEntry(lineNumber, columnNumber);
    if (entry && "originalSource" in entry && entry.originalSource) {
      // Turbopack's sources are URL-encoded ("%40trpc").
      source = decodeURIComponent(entry.originalSource);
      line = entry.originalLine + 1;
      // `name` (the original identifier) is in Node's mappings but not in every @types/node.
      const original = (entry as { name?: string }).name;
      if (original && !functionName) name = original;
    }
  }
  const short = source
    .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "")
    .replace(/^.*?\/((packages|apps)\/)/, "$1")
    .replace(/^file:\/\//, "");
  const special = ["(garbage collector)", "(program)", "(idle)", "(root)"].includes(functionName);
  const frame = {
    label: special ? functionName : `${name} ${short ? `${short}:${line}` : "(native)"}`,
    layer: special ? functionName : layerOf(source),
  };
  cache.set(node.id, frame);
  return frame;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Self time by layer (where the CPU actually was), ms. */
  selfByLayer: [string, number][];
  /** Inclusive time by layer (a frame counts once per sample however deep it recurses), ms. */
  inclusiveByLayer: [string, number][];
  topSelf: [string, number][];
  topInclusive: [string, number][];
}

/**
 * `window`: only the samples taken between `fromEndMs` and `toEndMs` milliseconds before the
 * profile ended (the measured window of a load, leaving out start-up and warm-up).
 */
export function summarizeProfile(
  file: string,
  options: { top?: number; window?: { fromEndMs: number; toEndMs: number } } = {},
): ProfileSummary {
  const top = options.top ?? 15;
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const windowStart = options.window
    ? profile.endTime - options.window.fromEndMs * 1000
    : Number.NEGATIVE_INFINITY;
  const windowEnd = options.window
    ? profile.endTime - options.window.toEndMs * 1000
    : Number.POSITIVE_INFINITY;
  let at = profile.startTime;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const frames = new Map<number, Frame>();
  const add = (map: Map<string, number>, key: string, us: number) =>
    map.set(key, (map.get(key) ?? 0) + us);
  const selfByLayer = new Map<string, number>();
  const inclusiveByLayer = new Map<string, number>();
  const selfByFrame = new Map<string, number>();
  const inclusiveByFrame = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < windowStart || at > windowEnd) continue;
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    let node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    total += us;
    const self = frameOf(node, frames);
    if (self.label === "(idle)") {
      idle += us;
      continue;
    }
    add(selfByLayer, self.layer, us);
    add(selfByFrame, self.label, us);
    const seenLayers = new Set<string>();
    const seenFrames = new Set<string>();
    while (node) {
      const frame = frameOf(node, frames);
      if (frame.label !== "(root)") {
        seenLayers.add(frame.layer);
        seenFrames.add(frame.label);
      }
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
    for (const layer of seenLayers) add(inclusiveByLayer, layer, us);
    for (const label of seenFrames) add(inclusiveByFrame, label, us);
  }
  const sorted = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]): [string, number] => [k, us / 1000]);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    selfByLayer: sorted(selfByLayer, 30),
    inclusiveByLayer: sorted(inclusiveByLayer, 30),
    topSelf: sorted(selfByFrame, top),
    topInclusive: sorted(inclusiveByFrame, top * 3),
  };
}

/** Markdown lines of a summary, times as a share of the busy (non-idle) time. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const busy = summary.totalMs - summary.idleMs;
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1)}%`;
  const rows = (entries: [string, number][]) =>
    entries.map(
      ([name, ms]) => `| ${name.replaceAll("|", "\\|")} | ${ms.toFixed(0)} ms | ${pct(ms)} |`,
    );
  return [
    `Profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (shares below are of busy time).`,
    "",
    "| layer (self time) | ms | share |",
    "|---|---|---|",
    ...rows(summary.selfByLayer),
    "",
    "| layer (inclusive) | ms | share |",
    "|---|---|---|",
    ...rows(summary.inclusiveByLayer),
    "",
    "| top frames by self time | ms | share |",
    "|---|---|---|",
    ...rows(summary.topSelf),
    "",
    "| top frames by inclusive time | ms | share |",
    "|---|---|---|",
    ...rows(summary.topInclusive),
  ].join("\n");
}
