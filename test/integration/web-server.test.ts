// apps/web/server.mjs, the web app's production server, around a stand-in for Next.js's request
// handler (the handler is Next's; what is tested is the server's own part): the client-address
// header the API's per-address limits trust, and the graceful stop. The real server with the
// real build is started and stopped in stop.test.ts.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createApiToken } from "@studio/api/auth";
import { createProductionApi } from "@studio/api/http/production";
import { makeUser, useTempDataDir, useTestDb } from "@studio/api/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const SERVER = join(
  resolve(dirname(fileURLToPath(import.meta.url)), "../.."),
  "apps/web/server.mjs",
);

interface WebServer {
  server: Server;
  shutdown(graceMs?: number): Promise<boolean>;
  readonly inFlight: number;
}
type Listener = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
interface ServerModule {
  CLIENT_ADDRESS_HEADER: string;
  routeRequests(
    api: { handles(pathname: string): boolean; listener: Listener } | null,
    nextHandler: Listener,
  ): Listener;
  createWebServer(handle: Listener): WebServer;
}

let mod: ServerModule;
const opened: WebServer[] = [];

beforeAll(async () => {
  mod = (await import(pathToFileURL(SERVER).href)) as ServerModule;
});
afterEach(async () => {
  for (const web of opened.splice(0)) {
    web.server.closeAllConnections();
    await new Promise((r) => web.server.close(() => r(undefined)));
  }
});

async function listen(handle: Parameters<ServerModule["createWebServer"]>[0]) {
  const web = mod.createWebServer(handle);
  opened.push(web);
  await new Promise<void>((r) => web.server.listen(0, "127.0.0.1", () => r()));
  return { web, port: (web.server.address() as AddressInfo).port };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  options: { headers?: Record<string, string>; agent?: Agent } = {},
): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/", headers: options.headers, agent: options.agent },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () =>
          resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, body }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** A promise the test resolves when it chooses. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe("the client address", () => {
  it("is the connection's own address; one sent by the client is dropped", async () => {
    const { port } = await listen((req, res) => {
      res.end(
        JSON.stringify({
          header: req.headers[mod.CLIENT_ADDRESS_HEADER],
          raw: req.rawHeaders.filter((h) => h.toLowerCase() === mod.CLIENT_ADDRESS_HEADER),
        }),
      );
    });
    const spoofed = await get(port, { headers: { "X-Studio-Client-Address": "203.0.113.9" } });
    expect(JSON.parse(spoofed.body)).toEqual({
      header: "127.0.0.1",
      raw: [mod.CLIENT_ADDRESS_HEADER],
    });
    const plain = await get(port);
    expect(JSON.parse(plain.body).header).toBe("127.0.0.1");
  });
});

describe("the API ahead of Next.js", () => {
  const t = useTestDb();
  let data: ReturnType<typeof useTempDataDir>;
  beforeAll(() => {
    data = useTempDataDir();
  });
  afterAll(() => data.cleanup());

  it("serves /api/trpc and the file routes with @studio/api's handler and the rest with Next.js", async () => {
    const user = await makeUser(t.db);
    const { token } = await createApiToken(t.db, user.id, { name: "cli" });
    const toNext: string[] = [];
    const { port } = await listen(
      mod.routeRequests(createProductionApi({ db: t.db }), (req, res) => {
        toNext.push(req.url ?? "");
        res.end("next");
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${token}` };
    const mine = await fetch(`${base}/api/trpc/teams.mine?input=%7B%7D`, { headers });
    expect(mine.status).toBe(200);
    expect(JSON.stringify(await mine.json())).toContain(user.personalTeamId);
    // The file route's own answer to a request it cannot serve (not Next.js's).
    const download = await fetch(`${base}/api/files/download?imageId=missing`, { headers });
    expect(download.status).toBe(400);
    expect(await download.json()).toMatchObject({ error: { code: "bad_request" } });
    for (const path of ["/", "/t/x/dashboard?tab=1", "/api/auth/session", "/api/trpcx"])
      expect(await (await fetch(`${base}${path}`)).text()).toBe("next");
    expect(toNext).toEqual(["/", "/t/x/dashboard?tab=1", "/api/auth/session", "/api/trpcx"]);
  });
});

describe("stopping", () => {
  it("refuses new connections, closes idle ones, and lets a request in flight finish", async () => {
    const release = gate();
    const arrived = gate();
    const { web, port } = await listen(async (req, res) => {
      if (req.url === "/" && req.headers["x-slow"]) {
        arrived.open();
        await release.opened;
      }
      res.end("done");
    });
    // One idle keep-alive connection and one busy one.
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    await get(port, { agent: idleAgent });
    const idleSocket = Object.values(idleAgent.freeSockets).flat()[0];
    expect(idleSocket).toBeDefined();
    const idleClosed = new Promise((r) => idleSocket?.once("close", r));
    const slow = get(port, { headers: { "x-slow": "1" }, agent: new Agent({ keepAlive: true }) });
    await arrived.opened;

    let stopped = false;
    const stopping = web.shutdown(60_000).then((clean) => {
      stopped = true;
      return clean;
    });
    await idleClosed;
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(stopped).toBe(false);
    expect(web.inFlight).toBe(1);

    release.open();
    const answer = await slow;
    expect(answer.body).toBe("done");
    expect(answer.headers.connection).toBe("close");
    expect(await stopping).toBe(true);
    idleAgent.destroy();
  });

  it("cuts off a request still running when the grace period ends", async () => {
    const arrived = gate();
    const never = gate();
    const { web, port } = await listen(async (_req, res) => {
      arrived.open();
      await never.opened;
      res.end("late");
    });
    const stuck = get(port);
    await arrived.opened;
    // Nothing ever finishes this request, so the grace period alone decides; its length does
    // not matter to the outcome.
    expect(await web.shutdown(100)).toBe(false);
    await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    never.open();
  });
});
