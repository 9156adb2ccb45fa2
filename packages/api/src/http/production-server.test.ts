// The API as the production web server mounts it ahead of Next.js (createProductionApi on
// node:http, a real SQLite store): which paths it takes, and load shedding, made deterministic by
// holding one call in flight (its body never finishes arriving) under a limit of one.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../auth/tokens";
import { makeUser } from "../test-helpers";
import { useTestDb } from "../test-hooks";
import { useTempDataDir } from "./files/test-context";
import { createProductionApi } from "./production-server";

const t = useTestDb();
let data: ReturnType<typeof useTempDataDir>;
let api: ReturnType<typeof createProductionApi>;
let server: Server;
let base: string;
let token: string;

beforeAll(async () => {
  data = useTempDataDir();
  api = createProductionApi({ db: t.db, maxInFlight: 1 });
  server = createServer((req, res) => void api.listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const user = await makeUser(t.db);
  ({ token } = await createApiToken(t.db, user.id, { name: "cli" }));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  data.cleanup();
});

describe("createProductionApi", () => {
  it("takes the tRPC and file routes and leaves every other path to Next.js", () => {
    for (const path of [
      "/api/trpc",
      "/api/trpc/tasks.status",
      "/api/trpc/teams.mine,tasks.list",
      "/api/files/images",
      "/api/files/download",
    ])
      expect(api.handles(path), path).toBe(true);
    for (const path of ["/", "/api/auth/session", "/api/trpcx", "/api/files", "/t/x/dashboard"])
      expect(api.handles(path), path).toBe(false);
  });

  it("answers 503 with Retry-After in tRPC's shape when the in-flight limit is reached, and serves again after", async () => {
    const headers = { authorization: `Bearer ${token}` };
    const mine = () => fetch(`${base}/api/trpc/teams.mine`, { headers });
    expect((await mine()).status).toBe(200);

    // A call whose body is still arriving holds the one place.
    const body = JSON.stringify({ json: { name: "held" } });
    const held = request(`${base}/api/trpc/teams.create`, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    const heldAnswer = new Promise<number>((resolve, reject) => {
      held.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      held.on("error", reject);
    });
    held.write(body.slice(0, 5));
    await expect.poll(() => api.inFlight).toBe(1);

    const shed = await mine();
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("1");
    const answer = (await shed.json()) as {
      error: { json: { message: string; data: { appCode: string } } };
    };
    expect(answer.error.json.data.appCode).toBe("unavailable");
    expect(answer.error.json.message).toMatch(/busy; try again in 1 s/);
    // The file routes have limits of their own and are not shed.
    const download = await fetch(`${base}/api/files/download?imageId=none`, { headers });
    expect(download.status).not.toBe(503);

    held.end(body.slice(5));
    expect(await heldAnswer).toBe(200);
    expect(api.inFlight).toBe(0);
    expect((await mine()).status).toBe(200);
  });
});
