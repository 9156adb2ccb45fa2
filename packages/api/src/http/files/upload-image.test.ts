// What the image route refuses before any decode: the type from the magic bytes, the size, who
// may upload. Uploads that reach the decode (in the inference service) are tested with the real
// service in test/integration/image-uploads.test.ts.
import { readFileSync } from "node:fs";
import type { TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser, type TestUser, testDb } from "../../test-helpers";
import { chunkedBody, contextFor, post, useTempDataDir } from "./test-context";
import { uploadImage } from "./upload-image";

const png = readFileSync(fixturePath("chelsea.png"));

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  data = useTempDataDir({ MAX_IMAGE_BYTES: String(1024 * 1024) });
  t = await testDb();
  alice = await makeUser(t.db);
  bob = await makeUser(t.db);
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

async function upload(
  user: TestUser | null,
  body: RequestInit["body"],
  name: string,
  teamId = alice.personalTeamId,
  headers = {},
) {
  const ctx = await contextFor(t.db, user?.id ?? null);
  const response = await uploadImage(
    post(`/api/files/images?teamId=${teamId}&name=${encodeURIComponent(name)}`, body, headers),
    ctx,
  );
  return {
    status: response.status,
    body: (await response.json()) as {
      image?: { id: string };
      error?: { code: string; message: string };
    },
  };
}

async function expectNothingLeft() {
  expect(data.files().filter((f) => !f.startsWith("studio"))).toEqual(
    (await t.db.image.findMany({ select: { storagePath: true } })).map((i) => i.storagePath).sort(),
  );
}

describe("uploadImage", () => {
  it("refuses an HTML page named .png", async () => {
    const res = await upload(alice, "<!doctype html><html><body>hi</body></html>", "evil.png");
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe("unsupported_format");
    await expectNothingLeft();
  });

  it("refuses an oversized body, declared or streamed, and keeps nothing", async () => {
    const declared = await upload(
      alice,
      new Uint8Array(2 * 1024 * 1024),
      "big.png",
      alice.personalTeamId,
      {
        "content-length": String(2 * 1024 * 1024),
      },
    );
    expect(declared.status).toBe(413);
    const streamed = await upload(alice, chunkedBody(3 * 1024 * 1024), "big.png");
    expect(streamed.status).toBe(413);
    expect(streamed.body.error?.code).toBe("payload_too_large");
    await expectNothingLeft();
  });

  it("refuses anonymous callers and other teams", async () => {
    expect((await upload(null, png, "a.png")).status).toBe(401);
    expect((await upload(bob, png, "a.png", alice.personalTeamId)).status).toBe(404);
    await expectNothingLeft();
  });
});
