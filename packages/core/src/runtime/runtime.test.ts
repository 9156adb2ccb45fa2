import { describe, expect, it } from "vitest";
import { buildClassifierModel, buildTinySrModel } from "../onnx/testing-models";
import { warmupFor } from "../pipeline/model";
import { SessionCache } from "./cache";
import { isAllocationFailure } from "./errors";
import { SessionRunner } from "./runner";
import { createSession, ortSessionOptions } from "./session";

const a = buildTinySrModel({ seed: 1 });
const b = buildTinySrModel({ seed: 2 });
const c = buildClassifierModel({ seed: 3 });

describe("SessionCache", () => {
  it("loads once per sha256, warms up, and evicts the least recently used", async () => {
    const cache = new SessionCache({ maxModels: 2, intraOpThreads: 1 });
    let loads = 0;
    let warmups = 0;
    const src = (sha: string, bytes: Uint8Array) => ({
      sha256: sha,
      load: () => {
        loads++;
        return bytes;
      },
      warmup: async (s: Parameters<ReturnType<typeof warmupFor>>[0]) => {
        warmups++;
        await warmupFor({ kind: "super_resolution", scale: 2 })(s);
      },
    });
    const [m1, m1b] = await Promise.all([
      cache.get(src("A", a.bytes)),
      cache.get(src("a", a.bytes)),
    ]);
    expect(m1).toBe(m1b);
    expect([loads, warmups]).toEqual([1, 1]);
    expect(m1.device).toBe("cpu");
    expect(m1.warmupMs).toBeGreaterThan(0);
    await cache.get(src("b", b.bytes));
    await cache.get(src("a", a.bytes)); // touch a: b is now the oldest
    await cache.get({ sha256: "c", load: () => c.bytes });
    expect(cache.keys().sort()).toEqual(["a", "c"]);
    expect(loads).toBe(2);
    await cache.clear();
  });

  it("evicts beyond the byte bound", async () => {
    const cache = new SessionCache({
      maxModels: 10,
      maxBytes: a.bytes.length + c.bytes.length - 1,
    });
    await cache.get({ sha256: "a", load: () => a.bytes });
    await cache.get({ sha256: "c", load: () => c.bytes });
    expect(cache.keys()).toEqual(["c"]);
    expect(cache.totalBytes).toBe(c.bytes.length);
    await cache.clear();
  });

  it("renews the most recent sessions within a byte bound: new sessions, no warm-up again", async () => {
    const cache = new SessionCache({ maxModels: 10, intraOpThreads: 1 });
    let warmups = 0;
    let loadsOfB = 0;
    let bAvailable = true;
    // A warm-up that reports (as the products' do): the cache remembers it.
    const warmup = async (s: Parameters<ReturnType<typeof warmupFor>>[0]) => {
      warmups++;
      await warmupFor({ kind: "super_resolution", scale: 2 })(s);
      return { workingBytesPerPixel: 100 };
    };
    const sourceOfB = {
      sha256: "b",
      load: () => {
        loadsOfB++;
        if (!bAvailable) throw new Error("weight file gone");
        return b.bytes;
      },
      warmup,
    };
    await cache.get({ sha256: "a", load: () => a.bytes, warmup });
    const first = await cache.get(sourceOfB);
    await cache.get({ sha256: "c", load: () => c.bytes });
    await cache.get(sourceOfB); // now the most recent: b, then c, then a
    expect(warmups).toBe(2);
    // Room for two of the three: the most recent two (c and b, least recent first); a is only
    // released.
    expect(await cache.renew(b.bytes.length + c.bytes.length)).toEqual(["c", "b"]);
    expect(cache.keys()).toEqual(["c", "b"]);
    expect(warmups).toBe(2);
    expect(loadsOfB).toBe(2);
    const renewed = await cache.get(sourceOfB);
    expect(renewed.session).not.toBe(first.session);
    // A source that cannot load any more is left out.
    bAvailable = false;
    expect(await cache.renew(Number.POSITIVE_INFINITY)).toEqual(["c"]);
    expect(cache.keys()).toEqual(["c"]);
    await cache.clear();
  });

  it("forgets failed loads so a later get can retry", async () => {
    const cache = new SessionCache();
    await expect(
      cache.get({ sha256: "x", load: () => new Uint8Array([1, 2, 3]) }),
    ).rejects.toThrow();
    expect(cache.has("x")).toBe(false);
  });
});

describe("createSession", () => {
  it("keeps onnxruntime's threads from spinning unless asked, and such a session runs", async () => {
    const quiet = {
      session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } },
    };
    expect(ortSessionOptions({ intraOpThreads: 2 }).extra).toEqual(quiet);
    expect(ortSessionOptions({ spinWait: true }).extra).toBeUndefined();
    const { session } = await createSession(a.bytes, { device: "cpu", intraOpThreads: 2 });
    try {
      await warmupFor({ kind: "super_resolution", scale: 2 })(session);
    } finally {
      await session.release();
    }
  });

  it("falls back to CPU and says why when CUDA is requested but unavailable", async () => {
    const s = await createSession(a.bytes, { device: "cuda" });
    expect(s.device).toBe("cpu");
    expect(s.fallbackReason).toMatch(/CUDA|GPU/);
    const runner = new SessionRunner(s.session, s.device);
    const out = await runner.run(new Float32Array(3 * 4 * 5), [1, 3, 4, 5]);
    expect(out.dims).toEqual([1, 3, 8, 10]);
    expect(() => new SessionRunner(s.session, s.device, { input: "nope" })).toThrow(
      /no input "nope"/,
    );
  });

  it("recognises onnxruntime allocation failures", () => {
    expect(
      isAllocationFailure(
        new Error("bfc_arena.cc:360 Failed to allocate memory for requested buffer of size 4"),
      ),
    ).toBe(true);
    expect(isAllocationFailure(new Error("CUDA failure 2: out of memory"))).toBe(true);
    expect(isAllocationFailure(new Error("Invalid rank for input"))).toBe(false);
  });
});
