// Image uploads through the API's file route, whose full decode runs in the real inference
// service (moved from packages/api: the API process no longer loads sharp). What is refused
// before the decode (type from the magic bytes, size, who may upload) is tested in
// packages/api/src/http/files/upload-image.test.ts; the service's own side (one decode at a
// time, paths, limits) in apps/inference/src/routes/images.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInnerContext } from "@studio/api";
import { downloadFile, uploadImage } from "@studio/api/files";
import { makeUser, post, resetEnvForTests, type TestUser } from "@studio/api/testing";
import { createInferenceClient } from "@studio/contracts/inference-client";
import { fixturePath } from "@studio/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { contextOn, expectOnlyStoredImages, useServiceForApi } from "./api-on-service";

const png = readFileSync(fixturePath("chelsea.png"));
const jpeg = readFileSync(fixturePath("rocket.jpg"));

const svc = useServiceForApi();
let alice: TestUser;

beforeAll(async () => {
  alice = await makeUser(svc.db);
});

type Body = { image?: { id: string }; error?: { code: string; message: string } };

async function upload(
  user: TestUser | null,
  body: RequestInit["body"],
  name: string,
  options: { teamId?: string; context?: Awaited<ReturnType<typeof contextOn>> } = {},
) {
  const teamId = options.teamId ?? alice.personalTeamId;
  const ctx = options.context ?? (await contextOn(svc, user?.id ?? null, { retries: 0 }));
  const response = await uploadImage(
    post(`/api/files/images?teamId=${teamId}&name=${encodeURIComponent(name)}`, body),
    ctx,
  );
  return { status: response.status, body: (await response.json()) as Body };
}

describe("uploadImage with the inference service", () => {
  it("stores a PNG byte for byte, records it, and serves it back to the team only", async () => {
    const bob = await makeUser(svc.db);
    const res = await upload(alice, png, "cat.png");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const row = await svc.db.image.findUniqueOrThrow({ where: { id: res.body.image?.id } });
    expect(row).toMatchObject({
      format: "png",
      width: 451,
      height: 300,
      channels: 3,
      bitDepth: 8,
      sizeBytes: png.length,
      originalName: "cat.png",
    });
    expect(readFileSync(path.join(svc.dataDir, row.storagePath)).equals(png)).toBe(true);

    const get = (user: TestUser, teamId: string) =>
      contextOn(svc, user.id).then((ctx) =>
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
    await expectOnlyStoredImages(svc);
  });

  it("detects the type from the bytes, not the name", async () => {
    const res = await upload(alice, jpeg, "actually-a-jpeg.png");
    expect(res.status).toBe(201);
    expect(
      (await svc.db.image.findUniqueOrThrow({ where: { id: res.body.image?.id } })).format,
    ).toBe("jpeg");
  });

  it("refuses a PNG that declares 50,000 x 50,000 pixels, from the header", async () => {
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(50_000, 16);
    bomb.writeUInt32BE(50_000, 20);
    const res = await upload(alice, bomb, "bomb.png");
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe("too_many_pixels");
    expect(res.body.error?.message).toContain("50000x50000");
    expect(res.body.error?.message).toMatch(/^"bomb\.png": /);
    await expectOnlyStoredImages(svc);
  });

  it("refuses a truncated JPEG, naming it, with the words the uploader saw before", async () => {
    const res = await upload(alice, jpeg.subarray(0, Math.floor(jpeg.length / 2)), "cut.jpg");
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe("corrupt");
    expect(res.body.error?.message).toMatch(
      /^"cut\.jpg": the JPEG pixel data is truncated or corrupt/,
    );
    await expectOnlyStoredImages(svc);
  });

  it("applies the API's own pixel limit when it is lower than the service's", async () => {
    process.env.MAX_IMAGE_PIXELS = "1000";
    resetEnvForTests();
    try {
      const res = await upload(alice, png, "small-limit.png");
      expect(res.status).toBe(422);
      expect(res.body.error?.code).toBe("too_many_pixels");
      expect(res.body.error?.message).toContain("the limit is 1000 pixels");
    } finally {
      delete process.env.MAX_IMAGE_PIXELS;
      resetEnvForTests();
    }
    await expectOnlyStoredImages(svc);
  });

  it("stores every one of several uploads sent together", async () => {
    const before = await svc.db.image.count();
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => upload(alice, i % 2 ? jpeg : png, `many-${i}`)),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    const rows = await svc.db.image.findMany({
      where: { id: { in: answers.map((a) => a.body.image?.id as string) } },
      select: { format: true, width: true },
    });
    expect(rows.map((r) => `${r.format} ${r.width}`).sort()).toEqual([
      "jpeg 640",
      "jpeg 640",
      "png 451",
      "png 451",
    ]);
    expect(await svc.db.image.count()).toBe(before + 4);
    await expectOnlyStoredImages(svc);
  });

  it("answers 503 saying why while the service is down, keeping nothing", async () => {
    const before = await svc.db.image.count();
    await svc.stop();
    try {
      const res = await upload(alice, png, "while-down.png");
      expect(res.status).toBe(503);
      expect(res.body.error).toEqual({
        code: "inference_unavailable",
        message:
          '"while-down.png" could not be checked: uploaded images are checked by the inference service, which is unavailable right now; try again shortly.',
      });
      expect(await svc.db.image.count()).toBe(before);
      await expectOnlyStoredImages(svc);
    } finally {
      await svc.restart();
    }
    expect((await upload(alice, png, "after-restart.png")).status).toBe(201);
  });

  it("answers 502 when the service cannot see the upload (another DATA_DIR), keeping nothing", async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), "api-data-elsewhere-"));
    process.env.DATA_DIR = elsewhere;
    resetEnvForTests();
    try {
      const res = await upload(alice, png, "unseen.png");
      expect(res.status).toBe(502);
      expect(res.body.error).toEqual({
        code: "inference_failed",
        message: '"unseen.png" could not be checked: the inference service cannot read the upload.',
      });
      expect(
        readdirSync(elsewhere, { recursive: true }).filter((f) => f !== "tmp" && f !== "incoming"),
      ).toEqual([]);
    } finally {
      process.env.DATA_DIR = svc.dataDir;
      resetEnvForTests();
      rmSync(elsewhere, { recursive: true, force: true });
    }
    await expectOnlyStoredImages(svc);
  });

  it("gives up on a service that accepts the request but never answers, keeping nothing", async () => {
    // A service that hangs (stuck, or a network path that drops answers): the API's time-out
    // ends the wait, whatever the service does later.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const context = await createInnerContext({
        db: svc.db,
        userId: alice.id,
        via: "session",
        inference: createInferenceClient({
          baseUrl: `http://127.0.0.1:${port}`,
          retries: 0,
          imageCheckTimeoutMs: 300,
        }),
      });
      const before = await svc.db.image.count();
      const res = await upload(alice, png, "hung.png", { context });
      expect(res.status).toBe(503);
      expect(res.body.error?.code).toBe("inference_unavailable");
      expect(res.body.error?.message).toContain('"hung.png" could not be checked');
      expect(await svc.db.image.count()).toBe(before);
      await expectOnlyStoredImages(svc);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
