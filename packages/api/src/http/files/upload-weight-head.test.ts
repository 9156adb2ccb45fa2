// The weight upload route refuses a file of the wrong format from its first bytes, over real
// HTTP (the production node:http server): the answer arrives while the client has sent only the
// first chunk of a body declared far larger, and nothing is written to disk.
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { importReportSchema } from "@studio/contracts/inference/import-report";
import { buildTinySrModel } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../auth/tokens";
import { makeUser, type TestUser } from "../../test-helpers";
import { useTestDb } from "../../test-hooks";
import { createProductionApi } from "../production-server";
import { useTempDataDir } from "./test-context";

const t = useTestDb();
let data: ReturnType<typeof useTempDataDir>;
let server: Server;
let base: string;
let token: string;
let user: TestUser;

beforeAll(async () => {
  data = useTempDataDir();
  const api = createProductionApi({ db: t.db });
  server = createServer((req, res) => void api.listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  user = await makeUser(t.db);
  ({ token } = await createApiToken(t.db, user.id, { name: "cli" }));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  data.cleanup();
});

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: unknown } };
}

const url = (query: Record<string, string>) =>
  `${base}/api/files/weights?${new URLSearchParams({
    teamId: user.personalTeamId,
    taskKind: "super_resolution",
    name: "Net",
    family: "net",
    version: String(Math.random()),
    ...query,
  })}`;

/**
 * POSTs `first` under a Content-Length of `declared` bytes and sends nothing more: resolves with
 * the answer if the server gives one without the rest of the body.
 */
function sendHeadOnly(target: string, first: Uint8Array, declared: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-length": String(declared) },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Answer["body"],
        });
        req.destroy();
      });
    });
    req.on("error", reject);
    req.write(first);
  });
}

async function sendWhole(target: string, body: Uint8Array): Promise<Answer> {
  const response = await fetch(target, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
  });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

const noTempFiles = () => expect(data.files().filter((f) => f.startsWith("tmp"))).toEqual([]);

describe("weight upload: the early refusal", () => {
  it("answers a PNG sent as ONNX from its first 64 KB of a declared 50 MB, storing nothing", async () => {
    const png = readFileSync(fixturePath("chelsea.png")).subarray(0, 64 * 1024);
    const answer = await sendHeadOnly(url({}), png, 50 * 1024 * 1024);
    expect(answer.status).toBe(422);
    expect(answer.body.error).toEqual({
      code: "not_onnx",
      message: "The file looks like a PNG image; this upload takes an ONNX model (.onnx).",
      details: { found: "png", expected: "onnx" },
    });
    noTempFiles();
    expect(await t.db.weight.count()).toBe(0);
  });

  it("answers a PyTorch checkpoint sent as ONNX, and an ONNX model sent as a state_dict, with the format to use", async () => {
    const pth = readFileSync(fixturePath("torch-ref-srvgg-x2-prelu.pth"));
    const asOnnx = await sendHeadOnly(url({}), pth.subarray(0, 8192), pth.length);
    expect(asOnnx.status).toBe(422);
    expect(asOnnx.body.error).toMatchObject({
      code: "not_onnx",
      details: { found: "pytorch_zip", expected: "onnx" },
    });
    expect(asOnnx.body.error?.message).toContain("Upload it as that format instead.");

    const onnx = buildTinySrModel({ scale: 2, seed: 3 }).bytes;
    const asStateDict = await sendHeadOnly(
      url({ format: "pytorch", fileName: "model.pth" }),
      onnx.subarray(0, 4096),
      onnx.length,
    );
    expect(asStateDict.status).toBe(422);
    expect(asStateDict.body.error).toMatchObject({
      code: "unknown_format",
      // With the import report the web app shows for every refused state_dict.
      details: {
        found: "onnx",
        expected: "state_dict",
        verdict: "rejected",
        fileName: "model.pth",
        error: { code: "unknown_format" },
      },
    });
    expect(importReportSchema.safeParse(asStateDict.body.error?.details).success).toBe(true);

    // An NCNN upload is a zip of the pair; a bare .param is refused as such.
    const param = readFileSync(fixturePath("realesr-animevideov3-x4.param"));
    const bare = await sendWhole(url({ format: "ncnn" }), param);
    expect(bare.status).toBe(400);
    expect(bare.body.error).toMatchObject({
      code: "bad_ncnn_archive",
      details: { found: "ncnn_param", expected: "ncnn_zip" },
    });
    noTempFiles();
  });

  it("lets a file of the right format through to the full check, which reads it all", async () => {
    // No inference service runs here: an ONNX body that passed the head check is received
    // whole, staged, and then meets the unavailable service.
    const onnx = buildTinySrModel({ scale: 2, seed: 4 }).bytes;
    const answer = await sendWhole(url({}), onnx);
    expect(answer.body.error?.code).toBe("inference_unavailable");
    // Too short to say anything but empty: the receiver's own refusal.
    const empty = await sendWhole(url({}), new Uint8Array(0));
    expect(empty.body.error?.code).toBe("empty");
    noTempFiles();
  });
});
