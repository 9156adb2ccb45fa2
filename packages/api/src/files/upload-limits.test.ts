import { readFileSync } from "node:fs";
import path from "node:path";
import type { TestDatabase } from "@studio/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeUser, testDb } from "../test-helpers";
import { contextFor, post, useTempDataDir } from "./test-context";
import { uploadImage } from "./upload-image";

const png = readFileSync(path.resolve(import.meta.dirname, "../../test/fixtures/chelsea.png"));

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
beforeAll(async () => {
  data = useTempDataDir({ UPLOADS_PER_MINUTE: "2", USER_QUOTA_BYTES: String(png.length + 1000) });
  t = await testDb();
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

it("enforces the per-user quota and upload rate with clear errors", async () => {
  const user = await makeUser(t.db);
  const send = async () => {
    const res = await uploadImage(
      post(`/api/files/images?teamId=${user.personalTeamId}&name=cat.png`, png, {
        "content-length": String(png.length),
      }),
      await contextFor(t.db, user.id),
    );
    return {
      status: res.status,
      body: (await res.json()) as { error?: { code: string; message: string } },
    };
  };
  expect((await send()).status).toBe(201);
  const quota = await send();
  expect(quota.status).toBe(413);
  expect(quota.body.error?.code).toBe("quota_exceeded");
  expect(quota.body.error?.message).toContain("quota");
  const rate = await send();
  expect(rate.status).toBe(429);
  expect(rate.body.error?.code).toBe("too_many_requests");
  expect(await t.db.image.count()).toBe(1);
});
