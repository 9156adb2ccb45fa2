// Test setup for route-handler functions: a temp DATA_DIR and a context for a user.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInnerContext } from "../../context";
import type { Db } from "../../db";
import { resetEnvForTests } from "../../env";

export function useTempDataDir(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "studio-api-data-"));
  process.env.DATA_DIR = dir;
  for (const [k, v] of Object.entries(extra)) process.env[k] = v;
  resetEnvForTests();
  return {
    dir,
    /** Every file below DATA_DIR, relative, sorted. */
    files(): string[] {
      return (
        readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[]
      )
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const contextFor = (db: Db, userId: string | null) =>
  createInnerContext({ db, userId, via: userId ? "session" : null });

export function post(
  url: string,
  body: RequestInit["body"] | null,
  headers: Record<string, string> = {},
) {
  return new Request(`http://studio.test${url}`, {
    method: "POST",
    body,
    headers,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** A body that arrives in chunks without a Content-Length, like a streamed browser upload. */
export function chunkedBody(total: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(7));
    },
  });
}
