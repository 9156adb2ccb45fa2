// What the contract suite cannot show with a healthy server: a store that is down, hung or
// misconfigured fails with the right code, within a time set by its own timeout, and works again
// once the server is back.

import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobError } from "./errors";
import { S3BlobStore, type S3BlobStoreOptions } from "./s3";
import { startTestS3Server, type TestS3Server } from "./testing";

async function failure(promise: Promise<unknown>): Promise<{ error: BlobError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BlobError);
    return { error: error as BlobError, ms: performance.now() - started };
  }
  throw new Error("expected the call to fail");
}

// The bounds below are relative to a round trip measured first (a busy machine gets longer ones);
// vitest's own time limit is only the net under them, so it must not be the tighter one.
describe("S3BlobStore when the server is down, hung or refuses us", { timeout: 600_000 }, () => {
  let server: TestS3Server;
  const stores: S3BlobStore[] = [];
  const storeWith = (options: Partial<S3BlobStoreOptions> = {}) => {
    const store = new S3BlobStore({ ...server.config, ...options });
    stores.push(store);
    return store;
  };

  // The short time-out of the stores under test is set from a round trip measured here, so a
  // healthy call on a busy machine is never cut short by it; the bound allows every attempt to
  // time out plus the SDK's retry back-off and generous slack: it is about the store not
  // hanging for ever, not about speed.
  const maxAttempts = 2;
  let timeoutMs = 0;
  let bound = 0;
  /** A store with the default (long) time-out, for setting up and checking outside an outage. */
  let healthy: S3BlobStore;

  beforeAll(async () => {
    server = await startTestS3Server();
    healthy = storeWith();
    await healthy.put("baseline/object", Buffer.from("x"));
    const started = performance.now();
    for (let i = 0; i < 5; i++) await healthy.head("baseline/object");
    const roundTripMs = (performance.now() - started) / 5;
    timeoutMs = Math.max(1_000, Math.ceil(50 * roundTripMs));
    bound = (maxAttempts + 5) * timeoutMs;
  });
  afterAll(async () => {
    for (const store of stores) store.close();
    await server?.cleanup();
  });

  it("reports a stopped server as unavailable, in the user's terms, and recovers", async () => {
    const store = storeWith({ timeoutMs, maxAttempts });
    await healthy.put("before/outage", Buffer.from("kept"));
    await server.stop();
    try {
      const calls: [string, () => Promise<unknown>][] = [
        ["put", () => store.put("during/outage", Buffer.from("x"))],
        ["put stream", () => store.put("during/stream", Readable.from([Buffer.from("x")]))],
        ["get", () => store.get("before/outage")],
        ["head", () => store.head("before/outage")],
        ["exists", () => store.exists("before/outage")],
        ["delete", () => store.delete("before/outage")],
        ["deletePrefix", () => store.deletePrefix("before/")],
        ["check", () => store.check()],
        [
          "list",
          async () => {
            for await (const _ of store.list("")) break;
          },
        ],
      ];
      for (const [name, call] of calls) {
        const { error, ms } = await failure(call());
        expect(error.code, name).toBe("unavailable");
        expect(error.message).toMatch(/cannot be reached; try again later/);
        expect(error.message).not.toMatch(/ECONNREFUSED|smithy|aws-sdk/i);
        expect(ms, name).toBeLessThan(bound);
      }
    } finally {
      await server.restart();
    }
    // Same client, same port: it works again without being rebuilt.
    expect((await store.getBytes("before/outage")).toString()).toBe("kept");
    expect(await healthy.exists("during/outage")).toBe(false);
  });

  it("gives up on a server that accepts connections but never answers", async () => {
    const store = storeWith({ timeoutMs, maxAttempts });
    await healthy.put("hung/object", Buffer.from("bytes"));
    server.freeze();
    try {
      const head = await failure(store.head("hung/object"));
      expect(head.error.code).toBe("unavailable");
      // It did wait for the timeout (it is not a refused connection) and then stopped waiting.
      expect(head.ms).toBeGreaterThanOrEqual(timeoutMs * 0.9);
      expect(head.ms).toBeLessThan(bound);
      const put = await failure(store.put("hung/new", Buffer.from("x")));
      expect(put.error.code).toBe("unavailable");
      expect(put.ms).toBeLessThan(bound);
    } finally {
      server.thaw();
    }
    expect((await healthy.getBytes("hung/object")).toString()).toBe("bytes");
  });

  it("fails a download that stalls midway instead of hanging the reader", async () => {
    const store = storeWith({ timeoutMs, maxAttempts });
    // Larger than what loopback socket buffers hold, so the reader must wait for the server.
    const big = Buffer.alloc(32 * 1024 * 1024, 7);
    await healthy.put("stall/big", big);
    const { body } = await store.get("stall/big");
    let received = 0;
    try {
      const read = (async () => {
        for await (const chunk of body) {
          // The first bytes are here; now the server stops sending the rest.
          if (received === 0) server.freeze();
          received += (chunk as Buffer).length;
        }
      })();
      const { error, ms } = await failure(read);
      expect(error.code).toBe("unavailable");
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(big.length);
      expect(ms).toBeLessThan(bound);
    } finally {
      server.thaw();
    }
  });

  it("reports wrong credentials and a missing bucket as misconfigured", async () => {
    const wrongKey = storeWith({ accessKeyId: "WRONG", secretAccessKey: "WRONG", maxAttempts: 1 });
    const denied = await failure(wrongKey.put("x", Buffer.from("x")));
    expect(denied.error.code).toBe("misconfigured");
    expect(denied.error.message).toMatch(/access key or secret is wrong/);
    expect((await failure(wrongKey.check())).error.code).toBe("misconfigured");

    const noBucket = storeWith({ bucket: "no-such-bucket", maxAttempts: 1 });
    const missing = await failure(noBucket.check());
    expect(missing.error.code).toBe("misconfigured");
    expect(missing.error.message).toMatch(/"no-such-bucket".*does not exist/);
    expect((await failure(noBucket.put("x", Buffer.from("x")))).error.code).toBe("misconfigured");
  });

  it("keeps installations in one bucket apart by prefix", async () => {
    const a = storeWith({ prefix: "site-a/" });
    const b = storeWith({ prefix: "site-b" });
    await a.put("same/key", Buffer.from("a"));
    await b.put("same/key", Buffer.from("b"));
    expect((await a.getBytes("same/key")).toString()).toBe("a");
    expect((await b.getBytes("same/key")).toString()).toBe("b");
    const listed = [];
    for await (const info of a.list("")) listed.push(info.key);
    expect(listed).toEqual(["same/key"]);
    expect(a.description).toContain("site-a/");
  });
});
