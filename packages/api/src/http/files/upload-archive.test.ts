// What the archive route refuses before any image is decoded. Archives whose images reach the
// decode (in the inference service) are tested with the real service in
// test/integration/archive-uploads.test.ts.
import { readFileSync } from "node:fs";
import { type RawZipEntry, writeZipEntries } from "@studio/core/testing";
import type { TestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser, type TestUser, testDb } from "../../test-helpers";
import { contextFor, post, useTempDataDir } from "./test-context";
import { uploadArchive } from "./upload-archive";

const png = readFileSync(fixturePath("microaneurysms.png"));

/** Good and hostile archives (lying sizes) alike, from fflate's streaming writer. */
const zip = (entries: RawZipEntry[]) => Buffer.from(writeZipEntries(entries));

interface ArchiveBody {
  imported: number;
  dataset: { id: string };
  report: { ignored: string[] } & Record<string, unknown>;
  error: { code: string; message: string };
}

let t: TestDatabase;
let data: ReturnType<typeof useTempDataDir>;
let alice: TestUser;

beforeAll(async () => {
  data = useTempDataDir({
    MAX_IMAGE_BYTES: String(2 * 1024 * 1024),
    MAX_ARCHIVE_UNPACKED_BYTES: String(8 * 1024 * 1024),
  });
  t = await testDb();
  alice = await makeUser(t.db);
});
afterAll(async () => {
  await t.cleanup();
  data.cleanup();
});

async function send(body: Buffer, query = "") {
  const ctx = await contextFor(t.db, alice.id);
  const res = await uploadArchive(
    post(`/api/files/archives?teamId=${alice.personalTeamId}${query}`, body),
    ctx,
  );
  return { status: res.status, body: (await res.json()) as ArchiveBody };
}

async function expectNothingKept() {
  expect(data.files()).toEqual(
    (await t.db.image.findMany({ select: { storagePath: true } })).map((i) => i.storagePath).sort(),
  );
}

describe("uploadArchive", () => {
  it("refuses path traversal, oversized and empty archives and non-zips before any decode, keeping nothing", async () => {
    const before = await t.db.image.count();
    const traversal = await send(
      zip([
        { name: "ok.png", data: png },
        { name: "../../etc/evil.png", data: png },
      ]),
    );
    expect(traversal.status).toBe(422);
    expect(traversal.body.error.message).toContain("path traversal");

    const absolute = await send(zip([{ name: "/abs.png", data: png }]));
    expect(absolute.body.error.message).toContain("absolute path");

    // Declares more than the unpacked cap: refused before extracting anything.
    const big = await send(
      zip(
        [1, 2, 3, 4, 5].map((i) => ({
          name: `z${i}.png`,
          data: Buffer.alloc(2 * 1024 * 1024 - 1),
          deflate: true,
        })),
      ),
    );
    expect(big.status).toBe(422);
    expect(big.body.error.message).toContain("unpacks to more than");

    expect((await send(zip([{ name: "notes.txt", data: "x" }]))).body.error.code).toBe("no_images");
    expect((await send(Buffer.from("not a zip at all"))).body.error.message).toContain("not a zip");
    expect(await t.db.image.count()).toBe(before);
    await expectNothingKept();
  });
});
