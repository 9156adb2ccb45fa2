// Issue 7 end to end: an admin uploads a PyTorch state_dict (.pth) of the OCTA U-Net through the
// typed client over real HTTP; the API imports it, the real inference service validates it,
// and a segmentation task with the built-in preset runs on a real retinal image in the real
// worker and yields a binary mask of the image's size.
import { readFileSync } from "node:fs";
import { createApiToken } from "@studio/api/auth";
import { createApiHandler, serveNode } from "@studio/api/http";
import { makeTeam, makeUser } from "@studio/api/testing";
import { createClient, FileRouteError } from "@studio/client";
import { decodeImage } from "@studio/core/image";
import { SPEC_PRESETS } from "@studio/core/spec";
import { octaUnetStateDict, toPth } from "@studio/core/testing";
import { fixturePath } from "@studio/fixtures";
import type { TestService } from "@studio/inference/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LARGE_MODEL_CLIENT,
  LARGE_MODEL_LIMITS,
  serviceClient,
  startServiceForApi,
} from "./api-on-service";

const fixture = fixturePath;

let svc: TestService;
let server: Awaited<ReturnType<typeof serveNode>>;
let client: ReturnType<typeof createClient>;
let teamId: string;
/** A 62 MB state_dict, built before any request (see the note in beforeAll). */
let pth: Uint8Array;

beforeAll(async () => {
  // Built here, not in the test: building it blocks this process's event loop for seconds,
  // and the API server below runs in the same process, so a pause between two requests of
  // the client would also be a pause of the server.
  pth = toPth(octaUnetStateDict(11));
  // One U-Net run takes seconds on this shared machine: validation limits and the worker lease
  // must outlast it (heartbeats cannot be sent while onnxruntime runs).
  svc = await startServiceForApi({
    ...LARGE_MODEL_LIMITS,
    WORKER_LEASE_MS: "240000",
    WORKER_CONCURRENCY: "1",
    WORKER_ENABLED: "true",
    WORKER_POLL_MS: "200",
  });
  const admin = await makeUser(svc.db);
  teamId = (await makeTeam(svc.db, [{ userId: admin.id, role: "ADMIN" }])).id;
  const { token } = await createApiToken(svc.db, admin.id, { name: "pytorch-import" });
  server = await serveNode(
    createApiHandler({ db: svc.db, inference: serviceClient(svc, LARGE_MODEL_CLIENT) }),
  );
  client = createClient({ url: server.url, token, teamId });
}, 300_000);

afterAll(async () => {
  await svc?.worker.stop(0).catch(() => {});
  await server?.close();
  await svc?.cleanup();
});

describe("an imported PyTorch U-Net", () => {
  it("lists octa-unet among the importable architectures", async () => {
    const list = await client.trpc.weights.architectures.query({ taskKind: "segmentation" });
    expect(list.map((a) => a.id)).toEqual(["octa-unet"]);
  });

  it("refuses a mislabelled file with the import report in the error", async () => {
    const error = await client
      .uploadWeight({
        data: new TextEncoder().encode("not a state dict"),
        architecture: "octa-unet",
        format: "pytorch",
        version: "junk",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileRouteError);
    expect(error).toMatchObject({ status: 422, details: { verdict: "rejected" } });
  });

  it("uploads as .pth, runs the OCTA preset through a task and yields a binary mask", async () => {
    const weight = await client.uploadWeight({
      data: pth,
      architecture: "octa-unet",
      format: "pytorch",
      fileName: "octa_unet.pth",
      version: "1",
      license: "test weights",
    });
    expect(weight).toMatchObject({
      status: "ready",
      sourceFormat: "pytorch",
      taskKind: "segmentation",
    });
    const detail = await client.trpc.weights.get.query({ teamId, weightId: weight.id });
    expect(detail.spec).toEqual(SPEC_PRESETS.octa);
    expect(detail.validationReport.import).toMatchObject({
      verdict: "accepted",
      fileName: "octa_unet.pth",
    });

    const png = readFileSync(fixture("microaneurysms.png"));
    const image = await client.uploadImage({ data: png, name: "microaneurysms.png" });
    const presets = await client.trpc.presets.list.query({ teamId, taskKind: "segmentation" });
    const preset = presets.find((p) => p.id === "builtin:segmentation:default");
    expect(preset).toBeDefined();
    const { id } = await client.trpc.tasks.create.mutate({
      teamId,
      weightId: weight.id,
      target: { type: "image", imageId: image.id },
      params: preset?.params ?? {},
    });

    await svc.worker.start();
    const task = await client.waitForTask(id, { timeoutMs: 400_000, maxIntervalMs: 1000 });
    expect(task.status, JSON.stringify(task.items)).toBe("succeeded");
    const item = task.items[0];
    expect(item).toBeDefined();
    const mask = await client.downloadResult({ taskId: id, itemId: item?.id as string });
    expect(Buffer.from(mask.subarray(1, 4)).toString("ascii")).toBe("PNG");
    const decoded = await decodeImage(mask);
    expect({ width: decoded.width, height: decoded.height }).toEqual({
      width: image.width,
      height: image.height,
    });
    const values = new Set(decoded.data);
    expect(
      [...values].every((v) => v === 0 || v === 255),
      `mask values ${[...values]}`,
    ).toBe(true);
  }, 600_000);
});
