// Upload limits refused before anything is decoded. The quota and rate on image uploads that
// are stored (so decoded by the inference service) are tested in
// test/integration/image-upload-limits.test.ts.
import { readFileSync } from "node:fs";
import type { TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes } from "../../storage/files";
import { makeUser, type TestUser, testDb } from "../../test-helpers";
import { chunkedBody, contextFor, post, useTempDataDir } from "./test-context";
import { uploadImage } from "./upload-image";
import { uploadWeight } from "./upload-weight";

const png = readFileSync(fixturePath("chelsea.png"));
const QUOTA = png.length + 1000;

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
beforeAll(async () => {
  data = useTempDataDir({ UPLOADS_PER_MINUTE: "2", USER_QUOTA_BYTES: String(QUOTA) });
  t = await testDb();
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

type Answer = { status: number; body: { error?: { code: string; message: string } } };
async function answer(response: Response): Promise<Answer> {
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

async function sendWeight(user: TestUser, body: RequestInit["body"], headers = {}) {
  const query = new URLSearchParams({
    teamId: user.personalTeamId,
    taskKind: "super_resolution",
    name: "Big",
    family: "big",
    version: "1",
  });
  return answer(
    await uploadWeight(
      post(`/api/files/weights?${query}`, body, headers),
      await contextFor(t.db, user.id),
    ),
  );
}

/** ir_version, then a graph: a start that passes the route's ONNX head check. */
const ONNX_START = Uint8Array.of(0x08, 0x08, 0x3a, 0xff, 0xff, 0xff, 0x0f, 0x0a);

/** `total` bytes that start like an ONNX model, without a Content-Length. */
function onnxLikeBody(total: number): ReadableStream<Uint8Array> {
  const rest = chunkedBody(total - ONNX_START.length, 1024).getReader();
  let started = false;
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true;
        return controller.enqueue(ONNX_START.slice());
      }
      const next = await rest.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
}

describe("weight uploads", () => {
  it("count stored weights in the quota that image uploads use", async () => {
    const user = await makeUser(t.db);
    await t.db.weight.create({
      data: {
        teamId: user.personalTeamId,
        uploadedById: user.id,
        taskKind: "super_resolution",
        name: "stored",
        family: "stored",
        version: "1",
        sha256: "e".repeat(64),
        sizeBytes: png.length,
        spec: "{}",
        status: "ready",
      },
    });
    const image = await answer(
      await uploadImage(
        post(`/api/files/images?teamId=${user.personalTeamId}&name=cat.png`, png, {
          "content-length": String(png.length),
        }),
        await contextFor(t.db, user.id),
      ),
    );
    expect(image.status).toBe(413);
    expect(image.body.error?.code).toBe("quota_exceeded");
    expect(image.body.error?.message).toContain("weights");
  });

  it("are refused beyond the quota and the upload rate, naming the limit", async () => {
    const user = await makeUser(t.db);
    const big = new Uint8Array(QUOTA + 1);
    const headers = { "content-length": String(big.length) };
    for (let i = 0; i < 2; i++) {
      const refused = await sendWeight(user, big, headers);
      expect(refused.status).toBe(413);
      expect(refused.body.error?.code).toBe("quota_exceeded");
      expect(refused.body.error?.message).toContain(
        `the per-user storage quota is ${formatBytes(QUOTA)}`,
      );
    }
    const rate = await sendWeight(user, big, headers);
    expect(rate.status).toBe(429);
    expect(rate.body.error?.code).toBe("too_many_requests");
    expect(rate.body.error?.message).toContain("the limit is 2 per minute");
    expect(await t.db.weight.count({ where: { uploadedById: user.id } })).toBe(0);
  });

  it("check the quota against the received bytes when no length was declared", async () => {
    const user = await makeUser(t.db);
    const refused = await sendWeight(user, onnxLikeBody(QUOTA + 1));
    expect(refused.status).toBe(413);
    expect(refused.body.error?.code).toBe("quota_exceeded");
    expect(await t.db.weight.count({ where: { uploadedById: user.id } })).toBe(0);
    expect(data.files().filter((f) => f.startsWith("tmp") || f.startsWith("weights"))).toEqual([]);
  });
});
