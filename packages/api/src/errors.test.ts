// Errors that reach clients in production carry no stack, SQL or Prisma text, and every error
// carries the same stable code over tRPC (`data.appCode`) and over the file routes.
import { APP_ERROR_CODES, APP_ERROR_TABLE, TRPC_TO_APP_CODE } from "@studio/contracts/errors";
import type { TestDatabase } from "@studio/db/testing";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "./auth/tokens";
import { resetEnvForTests } from "./env";
import { AppError, toClientError } from "./errors";
import { useTempDataDir } from "./http/files/test-context";
import { createApiHandler } from "./http/handler";
import { makeImage, makeUser, testDb } from "./test-helpers";

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
beforeAll(async () => {
  (process.env as Record<string, string>).NODE_ENV = "production";
  process.env.NEXTAUTH_SECRET = "x".repeat(32);
  data = useTempDataDir();
  t = await testDb();
});
afterAll(async () => {
  (process.env as Record<string, string>).NODE_ENV = "test";
  resetEnvForTests();
  await t.cleanup();
  data.cleanup();
});

interface TrpcError {
  message: string;
  data: { appCode: string; httpStatus: number; details?: unknown; zodError: unknown };
}
/** The error of a tRPC answer (superjson wraps it in `json`). */
const trpcError = async (response: Response) =>
  ((await response.json()) as { error: { json: TrpcError } }).error.json;
interface FileErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** A signed-in API caller of the whole HTTP API, as a typed client would be. */
async function apiCaller() {
  const user = await makeUser(t.db);
  const { token } = await createApiToken(t.db, user.id, { name: "t" });
  const handler = createApiHandler({ db: t.db });
  const headers = { authorization: `Bearer ${token}` };
  return {
    user,
    query(path: string, input: unknown, auth = true) {
      const encoded = encodeURIComponent(JSON.stringify({ json: input }));
      return handler(
        new Request(`http://x/api/trpc/${path}?input=${encoded}`, auth ? { headers } : {}),
      );
    },
    mutate(path: string, input: unknown) {
      return handler(
        new Request(`http://x/api/trpc/${path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ json: input }),
        }),
      );
    },
    download(query: Record<string, string>, auth = true) {
      return handler(
        new Request(
          `http://x/api/files/download?${new URLSearchParams(query)}`,
          auth ? { headers } : {},
        ),
      );
    },
  };
}

describe("client errors", () => {
  it("maps real Prisma errors to clean codes", async () => {
    const missing = await t.db.user
      .update({ where: { id: "nope" }, data: { name: "x" } })
      .catch((e: unknown) => e);
    expect(toClientError(missing)).toMatchObject({ code: "not_found", message: "Not found." });
    expect(toClientError(missing)).toBeInstanceOf(AppError);
    const user = await makeUser(t.db);
    const dup = await t.db.user
      .create({ data: { email: user.email, name: "dup", passwordHash: "x" } })
      .catch((e: unknown) => e);
    expect(toClientError(dup)).toMatchObject({ code: "conflict", status: 409 });
    expect(toClientError(new Error("plain"))).toBeNull();
  });

  it("says the store cannot be reached when it cannot, for raw and model queries alike", async () => {
    // A PostgreSQL URL on a port nobody listens on: a real refused connection.
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const { createDb } = await import("@studio/db/client");
    const down = createDb(`postgresql://studio@127.0.0.1:${port}/studio`);
    try {
      for (const failed of [
        await down.$queryRaw`SELECT 1`.catch((e: unknown) => e),
        await down.user.findFirst({ select: { id: true } }).catch((e: unknown) => e),
      ]) {
        expect(toClientError(failed)).toMatchObject({ code: "unavailable", status: 503 });
        expect(toClientError(failed)?.message).toContain("store cannot be reached");
      }
    } finally {
      await down.$disconnect();
    }
  });

  it("answers an internal store failure over HTTP without stack, SQL or Prisma text", async () => {
    const { createApiHandler } = await import("./http/handler");
    const user = await makeUser(t.db);
    const { token } = await createApiToken(t.db, user.id, { name: "t" });
    await t.db.$executeRawUnsafe('DROP TABLE "Preset"');
    const handler = createApiHandler({ db: t.db });
    const input = encodeURIComponent(JSON.stringify({ json: { teamId: user.personalTeamId } }));
    const response = await handler(
      new Request(`http://x/api/trpc/presets.list?input=${input}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain("Internal server error.");
    for (const leak of ["Preset", "prisma", "Prisma", "SELECT", "stack", "at "])
      expect(text).not.toContain(leak);

    const bad = await handler(
      new Request("http://x/api/trpc/tasks.get?input=%7B%22json%22%3A%7B%7D%7D", {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain("stack");
  });

  it("answers the same code and status for the same failure over tRPC and a file route", async () => {
    const api = await apiCaller();
    const teamId = api.user.personalTeamId;

    const overTrpc = await api.query("images.get", { teamId, imageId: "missing" });
    const overFile = await api.download({ type: "image", teamId, id: "missing" });
    expect([overTrpc.status, overFile.status]).toEqual([404, 404]);
    expect(await trpcError(overTrpc)).toMatchObject({
      message: "Image not found.",
      data: { appCode: "not_found", httpStatus: 404 },
    });
    expect(((await overFile.json()) as FileErrorBody).error).toEqual({
      code: "not_found",
      message: "Image not found.",
    });

    // Another person's team is "not found" too, from the shared membership check.
    const other = await makeUser(t.db);
    const foreign = { teamId: other.personalTeamId };
    const trpcTeam = await api.query("images.get", { ...foreign, imageId: "x" });
    const fileTeam = await api.download({ type: "image", ...foreign, id: "x" });
    expect((await trpcError(trpcTeam)).data.appCode).toBe("not_found");
    expect(((await fileTeam.json()) as FileErrorBody).error.code).toBe("not_found");

    // No credentials: the same code from the middleware and from the file route's check.
    const anonTrpc = await api.query("images.get", { teamId, imageId: "x" }, false);
    const anonFile = await api.download({ type: "image", teamId, id: "x" }, false);
    expect([anonTrpc.status, anonFile.status]).toEqual([401, 401]);
    expect((await trpcError(anonTrpc)).data.appCode).toBe("unauthorized");
    expect(((await anonFile.json()) as FileErrorBody).error.code).toBe("unauthorized");
  });

  it("puts the stable code in data for errors tRPC raises itself", async () => {
    const api = await apiCaller();
    const invalid = await api.query("images.get", { teamId: api.user.personalTeamId });
    expect(invalid.status).toBe(400);
    const body = await trpcError(invalid);
    expect(body.data.appCode).toBe("bad_request");
    expect(body.data.zodError).not.toBeNull();

    const unknownProcedure = await api.query("images.nope", {});
    expect(unknownProcedure.status).toBe(404);
    expect((await trpcError(unknownProcedure)).data.appCode).toBe("not_found");
  });

  it("hides the message of an unexpected error on a file route", async () => {
    const api = await apiCaller();
    const teamId = api.user.personalTeamId;
    // A damaged row: its stored key leads out of the store, which refuses it with an error whose
    // words are for the log, not the client.
    const image = await makeImage(t.db, teamId, api.user.id);
    await t.db.image.update({
      where: { id: image.id },
      data: { storagePath: "../outside/secret.png" },
    });
    const errors = console.error;
    console.error = () => {};
    try {
      const file = await api.download({ type: "image", teamId, id: image.id });
      expect(file.status).toBe(500);
      const fileText = await file.text();
      expect(JSON.parse(fileText)).toEqual({
        error: { code: "internal", message: "Internal server error." },
      });
      for (const leak of ["DATA_DIR", "storage key", "outside", "stack"]) {
        expect(fileText).not.toContain(leak);
      }

      // (The tRPC path is the store-failure test above.) Deleting the row still works: its
      // objects are removed on a best-effort basis after the row, and this one is not touched.
      const warn = console.warn;
      console.warn = () => {};
      try {
        const deleted = await api.mutate("images.delete", { teamId, imageIds: [image.id] });
        expect(deleted.status).toBe(200);
        expect(await deleted.text()).not.toContain("outside");
      } finally {
        console.warn = warn;
      }
      expect(await t.db.image.count({ where: { id: image.id } })).toBe(0);
    } finally {
      console.error = errors;
    }
  });

  it("keeps the message and details of an AppError, whatever its tRPC code", () => {
    const full = new AppError("storage_full", "The server has no room for this upload.");
    expect(full.status).toBe(507);
    expect(full.body()).toEqual({
      error: { code: "storage_full", message: "The server has no room for this upload." },
    });
    const rejected = new AppError("import_rejected", "missing key", { details: { keys: 1 } });
    expect(rejected.body().error.details).toEqual({ keys: 1 });
  });
});

describe("the error table", () => {
  it("gives each code an HTTP status that tRPC answers for its tRPC code", () => {
    // 507 has no tRPC code; storage only happens in the file routes.
    const noTrpcEquivalent = new Set(["storage_full"]);
    for (const code of APP_ERROR_CODES) {
      const { trpc, http } = APP_ERROR_TABLE[code];
      if (noTrpcEquivalent.has(code)) continue;
      expect([code, getHTTPStatusCodeFromError(new TRPCError({ code: trpc }))]).toEqual([
        code,
        http,
      ]);
    }
  });

  it("maps each of tRPC's own codes to a code whose status matches", () => {
    for (const [trpc, code] of Object.entries(TRPC_TO_APP_CODE)) {
      const status = getHTTPStatusCodeFromError(
        new TRPCError({ code: trpc as keyof typeof TRPC_TO_APP_CODE }),
      );
      // Codes nobody here raises (NOT_IMPLEMENTED, PAYMENT_REQUIRED, ...) map to the nearest.
      if (APP_ERROR_TABLE[code].trpc === trpc) expect(APP_ERROR_TABLE[code].http).toBe(status);
    }
    expect(TRPC_TO_APP_CODE.BAD_REQUEST).toBe("bad_request");
    expect(TRPC_TO_APP_CODE.INTERNAL_SERVER_ERROR).toBe("internal");
  });
});
