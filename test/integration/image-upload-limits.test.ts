// The per-user storage quota and upload rate on image uploads that are stored, so they pass the
// full decode in the real inference service (moved from packages/api/src/http/files/
// upload-limits.test.ts, where the limits on weight uploads stay).
import { readFileSync } from "node:fs";
import { uploadImage } from "@studio/api/files";
import { makeUser, post } from "@studio/api/testing";
import { fixturePath } from "@studio/fixtures";
import { expect, it } from "vitest";
import { contextOn, dataFiles, useServiceForApi } from "./api-on-service";

const png = readFileSync(fixturePath("chelsea.png"));
const QUOTA = png.length + 1000;
const LIMITS = { UPLOADS_PER_MINUTE: "2", USER_QUOTA_BYTES: String(QUOTA) };

const svc = useServiceForApi({ apiEnv: LIMITS });

it("enforces the per-user quota and upload rate with clear errors", async () => {
  const user = await makeUser(svc.db);
  const send = async () => {
    const res = await uploadImage(
      post(`/api/files/images?teamId=${user.personalTeamId}&name=cat.png`, png, {
        "content-length": String(png.length),
      }),
      await contextOn(svc, user.id),
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
  expect(await svc.db.image.count({ where: { uploadedById: user.id } })).toBe(1);
});

it("checks an image against the quota once received when no length was declared", async () => {
  const user = await makeUser(svc.db);
  const send = async (body: RequestInit["body"], headers: Record<string, string> = {}) =>
    uploadImage(
      post(`/api/files/images?teamId=${user.personalTeamId}&name=cat.png`, body, headers),
      await contextOn(svc, user.id),
    );
  expect((await send(png, { "content-length": String(png.length) })).status).toBe(201);
  const streamed = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(png));
      controller.close();
    },
  });
  const refused = await send(streamed);
  expect(refused.status).toBe(413);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("quota_exceeded");
  expect(await svc.db.image.count({ where: { uploadedById: user.id } })).toBe(1);
  expect(dataFiles(svc).filter((f) => f.startsWith("tmp"))).toEqual([]);
});
