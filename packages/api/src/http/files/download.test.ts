// Downloads read the blob store through one function (the default local store here; the same
// code against S3 in test/integration/s3-uploads.test.ts): whole files, one byte range, and the
// answers for a missing object or a range outside it.
import { randomBytes } from "node:crypto";
import { BlobError } from "@studio/blob/errors";
import { beforeAll, describe, expect, it } from "vitest";
import { blobStore } from "../../storage/blobs";
import { makeImage, makeUser, type TestUser } from "../../test-helpers";
import { useTestStore } from "../../test-hooks";
import { downloadFile } from "./download";
import { toErrorResponse } from "./responses";
import { contextFor } from "./test-context";

const t = useTestStore();
const bytes = randomBytes(10_000);
let alice: TestUser;
let imageId: string;

beforeAll(async () => {
  alice = await makeUser(t.db);
  imageId = (await makeImage(t.db, alice.personalTeamId, alice.id, "noise.png")).id;
  const { storagePath } = await t.db.image.findUniqueOrThrow({ where: { id: imageId } });
  await blobStore().put(storagePath, bytes);
});

async function download(headers: Record<string, string> = {}, id = imageId) {
  const query = new URLSearchParams({ type: "image", teamId: alice.personalTeamId, id });
  return downloadFile(
    new Request(`http://studio.test/api/files/download?${query}`, { headers }),
    await contextFor(t.db, alice.id),
  );
}

const body = async (response: Response) => Buffer.from(await response.arrayBuffer());

describe("downloads from the blob store", () => {
  it("serves the whole object with its headers", async () => {
    const res = await download();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-disposition")).toContain('filename="noise.png"');
    expect((await body(res)).equals(bytes)).toBe(true);
  });

  it("serves one byte range: bounded, open-ended and the last bytes", async () => {
    const bounded = await download({ range: "bytes=10-19" });
    expect(bounded.status).toBe(206);
    expect(bounded.headers.get("content-range")).toBe(`bytes 10-19/${bytes.length}`);
    expect(bounded.headers.get("content-length")).toBe("10");
    expect((await body(bounded)).equals(bytes.subarray(10, 20))).toBe(true);

    const open = await download({ range: "bytes=9990-" });
    expect(open.status).toBe(206);
    expect((await body(open)).equals(bytes.subarray(9990))).toBe(true);

    // An end past the object is clamped to its last byte, as HTTP servers do.
    const clamped = await download({ range: "bytes=9995-20000" });
    expect(clamped.headers.get("content-range")).toBe(`bytes 9995-9999/${bytes.length}`);
    expect((await body(clamped)).equals(bytes.subarray(9995))).toBe(true);

    const suffix = await download({ range: "bytes=-3" });
    expect(suffix.status).toBe(206);
    expect((await body(suffix)).equals(bytes.subarray(bytes.length - 3))).toBe(true);
  });

  it("serves the whole object for ranges it does not serve or a stale If-Range", async () => {
    const cases: Record<string, string>[] = [
      { range: "bytes=0-1,5-6" },
      { range: "items=0-1" },
      { range: "bytes=5-2" },
      { range: "bytes=0-1", "if-range": '"some-old-etag"' },
    ];
    for (const headers of cases) {
      const res = await download(headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect((await body(res)).length).toBe(bytes.length);
    }
  });

  it("answers 416 for a range outside the object and 404 for a missing object", async () => {
    const outside = await download({ range: `bytes=${bytes.length}-` });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe(`bytes */${bytes.length}`);

    const lost = await makeImage(t.db, alice.personalTeamId, alice.id, "lost.png");
    const missing = await download({}, lost.id);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "The file is missing." },
    });
  });
});

describe("blob store failures as the client hears them", () => {
  it("answers an unreachable or full store in plain words and hides the rest", async () => {
    const down = toErrorResponse(new BlobError("unavailable", "s3://bucket timed out"));
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      error: { code: "unavailable", message: "File storage is unreachable; try again shortly." },
    });
    const full = toErrorResponse(new BlobError("storage_full", "/data has no room"));
    expect(full.status).toBe(507);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe("storage_full");
    const errors = console.error;
    console.error = () => {};
    try {
      const denied = toErrorResponse(new BlobError("misconfigured", "bucket acme denies us"));
      expect(denied.status).toBe(500);
      expect(await denied.text()).not.toContain("acme");
    } finally {
      console.error = errors;
    }
  });
});
