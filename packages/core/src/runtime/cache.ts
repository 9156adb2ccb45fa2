import type * as ort from "onnxruntime-node";
import type { Device } from "./providers";
import { createSession, type SessionOptions } from "./session";

export interface LoadedModel {
  sha256: string;
  session: ort.InferenceSession;
  device: Device;
  fallbackReason?: string;
  /** Size of the model file: the cache's byte bound counts this. */
  bytes: number;
  loadMs: number;
  warmupMs: number;
  /** Memory one run needs per input pixel, when the warm-up measured it (working-memory.ts). */
  workingBytesPerPixel?: number;
  /** The warm-up verified exact tiling on this session (tiling/exact.ts). */
  exactTiling?: boolean;
}

/** What a warm-up found out about the session. */
export interface WarmupReport {
  workingBytesPerPixel?: number;
  exactTiling?: boolean;
}

export interface SessionCacheOptions extends SessionOptions {
  maxModels?: number;
  /** Sum of model file sizes kept loaded (sessions use roughly this plus arenas). */
  maxBytes?: number;
}

export interface ModelSource {
  sha256: string;
  /** The .onnx bytes, or a function that reads them only on a cache miss. */
  load: () => Promise<Uint8Array> | Uint8Array;
  /**
   * Runs once after creation so the first real request does not pay for lazy init. Not run
   * when the cache loads a weight again whose warm-up it remembers (see `reports`).
   */
  warmup?: (session: ort.InferenceSession, device: Device) => Promise<WarmupReport> | Promise<void>;
}

/** Warm-up reports kept after their sessions went (a number per weight; the oldest go first). */
const MAX_REPORTS = 1000;

/** Sessions keyed by weight sha256, least recently used evicted beyond count or bytes. */
export class SessionCache {
  private readonly entries = new Map<string, Promise<LoadedModel>>();
  private readonly sizes = new Map<string, number>();
  /**
   * What warm-ups measured, by sha256, kept when a session is evicted or released. A weight
   * loaded again (after `clear()` gave its memory back) costs only the model load: the report
   * stands in for the warm-up, so the same "auto" tiles are planned as before and no trial runs
   * are measured again; and its lazy init is paid by the request that asked for it either way.
   */
  private readonly reports = new Map<string, WarmupReport>();
  /** Where each held session came from, for renew(). */
  private readonly sources = new Map<string, ModelSource>();
  readonly maxModels: number;
  readonly maxBytes: number;

  constructor(private readonly options: SessionCacheOptions = {}) {
    this.maxModels = options.maxModels ?? 4;
    this.maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
  }

  async get(source: ModelSource): Promise<LoadedModel> {
    const key = source.sha256.toLowerCase();
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const loading = this.load(key, source);
    this.entries.set(key, loading);
    this.sources.set(key, source);
    try {
      const model = await loading;
      this.sizes.set(key, model.bytes);
      await this.evictBeyondBounds(key);
      return model;
    } catch (err) {
      if (this.entries.get(key) === loading) {
        this.entries.delete(key);
        this.sources.delete(key);
      }
      throw err;
    }
  }

  has(sha256: string): boolean {
    return this.entries.has(sha256.toLowerCase());
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  get totalBytes(): number {
    let sum = 0;
    for (const v of this.sizes.values()) sum += v;
    return sum;
  }

  async evict(sha256: string): Promise<void> {
    const key = sha256.toLowerCase();
    const entry = this.entries.get(key);
    this.entries.delete(key);
    this.sizes.delete(key);
    this.sources.delete(key);
    if (entry) await entry.then((m) => m.session.release()).catch(() => undefined);
  }

  /**
   * Releases every session, with the memory onnxruntime's arena kept for it (what its largest
   * run needed); the next `get` loads the weight again. Sessions must not be in use.
   */
  async clear(): Promise<void> {
    await Promise.all(this.keys().map((k) => this.evict(k)));
  }

  /**
   * Releases every session as clear() does, then loads again from the same sources the most
   * recently used ones whose model files add up to at most `maxBytes`: a new session holds its
   * weights but none of the arena its runs grew (the warm-up report stands in for the warm-up,
   * so no run is made), and the next request does not wait for the load (150-280 ms for a 2 MB
   * super-resolution model on 2 cores). Returns the keys loaded again, least recent first; a
   * source that fails to load is left out. Sessions must not be in use.
   */
  async renew(maxBytes: number): Promise<string[]> {
    const kept: ModelSource[] = [];
    let total = 0;
    for (const key of this.keys().reverse()) {
      const source = this.sources.get(key);
      const size = this.sizes.get(key);
      if (!source || size === undefined || total + size > maxBytes) continue;
      kept.unshift(source);
      total += size;
    }
    await this.clear();
    const renewed: string[] = [];
    for (const source of kept) {
      try {
        renewed.push((await this.get(source)).sha256);
      } catch {
        // Its file went meanwhile (deleted or evicted): the next request reports that.
      }
    }
    return renewed;
  }

  private async load(key: string, source: ModelSource): Promise<LoadedModel> {
    const t0 = performance.now();
    const bytes = await source.load();
    const created = await createSession(bytes, this.options);
    const t1 = performance.now();
    const known = this.reports.get(key);
    const report =
      known ?? (source.warmup ? await source.warmup(created.session, created.device) : undefined);
    const t2 = performance.now();
    if (report && Object.keys(report).length > 0 && !known) {
      this.reports.set(key, report);
      if (this.reports.size > MAX_REPORTS) {
        this.reports.delete(this.reports.keys().next().value as string);
      }
    }
    return {
      sha256: key,
      session: created.session,
      device: created.device,
      ...(created.fallbackReason ? { fallbackReason: created.fallbackReason } : {}),
      bytes: bytes.byteLength,
      loadMs: t1 - t0,
      warmupMs: known ? 0 : t2 - t1,
      ...(report?.workingBytesPerPixel
        ? { workingBytesPerPixel: report.workingBytesPerPixel }
        : {}),
      ...(report?.exactTiling ? { exactTiling: true } : {}),
    };
  }

  private async evictBeyondBounds(keep: string): Promise<void> {
    for (const key of [...this.entries.keys()]) {
      if (this.entries.size <= this.maxModels && this.totalBytes <= this.maxBytes) return;
      // Entries still loading have no size yet and are not evicted.
      if (key !== keep && this.sizes.has(key)) await this.evict(key);
    }
  }
}
