import { readFileSync } from "node:fs";
import path from "node:path";
import type { TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser, type TestUser, testDb } from "../../test-helpers";
import { downloadFile } from "./download";
import { chunkedBody, contextFor, post, useTempDataDir } from "./test-context";
import { uploadImage } from "./upload-image";

const png = readFileSync(fixturePath("chelsea.png"));
const jpeg = readFileSync(fixturePath("rocket.jpg"));

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
  it("stores a PNG byte for byte, records it, and serves it back to the team only", async () => {
    const res = await upload(alice, png, "cat.png");
    expect(res.status).toBe(201);
    const row = await t.db.image.findUniqueOrThrow({ where: { id: res.body.image?.id } });
    expect(row).toMatchObject({
      format: "png",
      width: 451,
      height: 300,
      sizeBytes: png.length,
      originalName: "cat.png",
    });
    expect(readFileSync(path.join(data.dir, row.storagePath)).equals(png)).toBe(true);

    const get = (user: TestUser, teamId: string) =>
      contextFor(t.db, user.id).then((ctx) =>
        downloadFile(
          new Request(`http://studio.test/api/files?type=image&teamId=${teamId}&id=${row.id}`),
          ctx,
        ),
      );
    const ok = await get(alice, alice.personalTeamId);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("image/png");
    expect(ok.headers.get("content-disposition")).toContain('filename="cat.png"');
    expect(Buffer.from(await ok.arrayBuffer()).equals(png)).toBe(true);
    expect((await get(bob, alice.personalTeamId)).status).toBe(404);
    expect((await get(bob, bob.personalTeamId)).status).toBe(404);
  });

  it("detects the type from the bytes, not the name", async () => {
    const res = await upload(alice, jpeg, "actually-a-jpeg.png");
    expect(res.status).toBe(201);
    expect((await t.db.image.findUniqueOrThrow({ where: { id: res.body.image?.id } })).format).toBe(
      "jpeg",
    );
  });

  it("refuses an HTML page named .png", async () => {
    const res = await upload(alice, "<!doctype html><html><body>hi</body></html>", "evil.png");
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe("unsupported_format");
    await expectNothingLeft();
  });

  it("refuses a PNG that declares 50,000 x 50,000 pixels, from the header", async () => {
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(50_000, 16);
    bomb.writeUInt32BE(50_000, 20);
    const res = await upload(alice, bomb, "bomb.png");
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe("too_many_pixels");
    expect(res.body.error?.message).toContain("50000x50000");
    await expectNothingLeft();
  });

  it("refuses a truncated JPEG", async () => {
    const res = await upload(alice, jpeg.subarray(0, Math.floor(jpeg.length / 2)), "cut.jpg");
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe("corrupt");
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
