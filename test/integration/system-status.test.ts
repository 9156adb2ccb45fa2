// system.status against the real inference service: site admins see hosts and workers,
// everyone else an aggregate summary. (An unreachable service: packages/api routers/system.test.ts.)
import { makeUser, type TestUser } from "@studio/api/testing";
import { registerWorker } from "@studio/db/queue";
import type { TestService } from "@studio/inference/testing";
import { beforeAll, expect, it } from "vitest";
import { sessionCaller, useServiceForApi } from "./api-on-service";

/** A site admin and a plain user, flagged explicitly: the service may promote a store's first user. */
async function siteAdminAndMember(db: TestService["db"]) {
  const [siteAdmin, member] = [await makeUser(db), await makeUser(db)];
  await db.user.update({ where: { id: siteAdmin.id }, data: { isSiteAdmin: true } });
  await db.user.update({ where: { id: member.id }, data: { isSiteAdmin: false } });
  return { siteAdmin, member };
}

const svc = useServiceForApi();
let siteAdmin: TestUser;
let member: TestUser;

beforeAll(async () => {
  ({ siteAdmin, member } = await siteAdminAndMember(svc.db));
  await registerWorker(svc.db, { id: "secret-host:123", hostname: "secret-host", pid: 123 });
}, 120_000);

it("gives site admins the full host report and worker list", async () => {
  const status = await (await sessionCaller(svc, siteAdmin)).system.status();
  expect(status.detail).toBe("full");
  expect(status.workers.list.map((w) => w.hostname)).toContain("secret-host");
  expect(status.inference.reachable).toBe(true);
  expect(status.inference.report).toHaveProperty("hostname");
});

it("gives other users aggregate counts and a host summary without hostnames", async () => {
  const status = await (await sessionCaller(svc, member)).system.status();
  expect(status.detail).toBe("summary");
  expect(Object.keys(status.queue.tasks).sort()).toEqual(["queued", "running"]);
  expect(status.workers.list).toEqual([]);
  expect(status.workers.total).toBeGreaterThanOrEqual(1);
  const report = status.inference.report as Record<string, unknown>;
  expect(report).not.toHaveProperty("hostname");
  expect(report).not.toHaveProperty("versions");
  expect(report).toMatchObject({
    cpu: { cores: expect.any(Number) },
    memory: { totalBytes: expect.any(Number) },
    gpu: { cudaAvailable: expect.any(Boolean) },
  });
  expect(JSON.stringify(status)).not.toContain("secret-host");
});
