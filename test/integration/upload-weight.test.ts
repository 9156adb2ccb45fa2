// Weight upload against the real inference service (validation in its child process), then a
// preview and a task with the previewed signature, and system.status.
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createCaller } from "@studio/api";
import { uploadImage, uploadWeight } from "@studio/api/files";
import { makeAdminAndMember, type TestUser } from "@studio/api/testing";
import { buildTinySrModel } from "@studio/core/testing";
import { zipStream } from "@studio/core/zip";
import { fixturePath } from "@studio/fixtures";
import { seedGrayImage, seedWeight } from "@studio/inference/test-fixtures";
import { calibratedSlowModel } from "@studio/inference/test-models";
import { previewsRunning, serviceMetric } from "@studio/inference/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionCaller, sessionContext, useServiceForApi } from "./api-on-service";

const fixture = fixturePath;

/** A POST as the web app's route hands it to the API's route-handler function. */
function post(url: string, body: Uint8Array) {
  // A copy on a plain ArrayBuffer: what the DOM's BodyInit accepts.
  return new Request(`http://studio.test${url}`, { method: "POST", body: new Uint8Array(body) });
}

const svc = useServiceForApi();
let admin: TestUser;
let member: TestUser;
let teamId: string;
const ctx = (user: TestUser) => sessionContext(svc, user.id);
const sr = buildTinySrModel({ scale: 2, seed: 1 });

function files(dir: string) {
  return readdirSync(path.join(svc.dataDir, dir));
}

beforeAll(async () => {
  ({ admin, member, teamId } = await makeAdminAndMember(svc.db));
}, 120_000);

async function upload(user: TestUser, body: Uint8Array, query: Record<string, string>) {
  const qs = new URLSearchParams({
    teamId,
    taskKind: "super_resolution",
    name: "Tiny",
    family: "tiny",
    ...query,
  });
  const response = await uploadWeight(post(`/api/files/weights?${qs}`, body), await ctx(user));
  return {
    status: response.status,
    body: (await response.json()) as {
      weight: { id: string; sha256: string };
      error: { code: string; message: string };
    },
  };
}

describe("weight upload, preview and tasks with the real inference service", () => {
  it("validates and registers an ONNX weight", async () => {
    const res = await upload(admin, sr.bytes, { version: "1" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.weight).toMatchObject({
      status: "ready",
      taskKind: "super_resolution",
      sizeBytes: sr.bytes.length,
    });
    const detail = await (await sessionCaller(svc, member)).weights.get({
      teamId,
      weightId: res.body.weight.id,
    });
    expect(detail.ioMetadata).toMatchObject({
      inputs: [{ name: "input" }],
      outputs: [{ name: "output" }],
    });
    expect(detail.spec).toMatchObject({ kind: "super_resolution", scale: 2 });
    expect(files("weights")).toEqual([`${res.body.weight.sha256}.onnx`]);
  });

  it("rejects a broken weight with the service's reason and keeps nothing", async () => {
    const before = await svc.db.weight.count();
    const res = await upload(admin, new TextEncoder().encode("definitely not onnx"), {
      version: "2",
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("not_onnx");
    expect(await svc.db.weight.count()).toBe(before);
    expect(files("weights")).toHaveLength(1);
    expect(files("tmp").filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("rejects a weight whose outputs do not fit the task kind", async () => {
    const res = await upload(admin, sr.bytes, { version: "3", taskKind: "classification" });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("io_mismatch");
  });

  it("converts an NCNN .param/.bin pair (zipped) to ONNX and validates it", async () => {
    const pair = Buffer.from(
      await new Response(
        zipStream([
          {
            name: "x4/realesr-animevideov3-x4.param",
            open: () => createReadStream(fixture("realesr-animevideov3-x4.param")),
          },
          {
            name: "x4/realesr-animevideov3-x4.bin",
            open: () => createReadStream(fixture("realesr-animevideov3-x4.bin")),
          },
        ]),
      ).arrayBuffer(),
    );
    const res = await upload(admin, pair, {
      version: "ncnn-x4",
      format: "ncnn",
      family: "animevideo",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const detail = await (await sessionCaller(svc, admin)).weights.get({
      teamId,
      weightId: res.body.weight.id,
    });
    expect(detail).toMatchObject({ sourceFormat: "ncnn", status: "ready", spec: { scale: 4 } });

    const onlyParam = Buffer.from(
      await new Response(
        zipStream([
          {
            name: "a.param",
            open: () => createReadStream(fixture("realesr-animevideov3-x4.param")),
          },
        ]),
      ).arrayBuffer(),
    );
    const bad = await upload(admin, onlyParam, { version: "ncnn-bad", format: "ncnn" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_ncnn_archive");
  });

  it("lets only team admins upload team weights", async () => {
    const res = await upload(member, sr.bytes, { version: "4" });
    expect(res.status).toBe(403);
  });

  it("previews a crop and runs a task with the previewed signature", async () => {
    const caller = await sessionCaller(svc, member);
    const weight = (await caller.weights.list({ teamId })).find((w) => w.family === "tiny");
    const png = readFileSync(fixture("microaneurysms.png"));
    const res = await uploadImage(
      post(`/api/files/images?teamId=${teamId}&name=m.png`, png),
      await ctx(member),
    );
    const { image } = (await res.json()) as { image: { id: string } };
    const preview = await caller.inference.preview({
      teamId,
      weightId: weight?.id as string,
      imageId: image.id,
      crop: { x: 0, y: 0, width: 32, height: 32 },
      params: { tile: "off" },
    });
    expect(preview).toMatchObject({ width: 64, height: 64, taskKind: "super_resolution" });
    expect(preview.paramSignature).toBe(preview.expectedSignature);
    const task = await caller.tasks.create({
      teamId,
      weightId: weight?.id as string,
      target: { type: "image", imageId: image.id },
      params: { tile: "off" },
      expectSignature: preview.paramSignature,
    });
    expect(task.created).toBe(true);
    await expect(
      caller.inference.preview({
        teamId,
        weightId: weight?.id as string,
        imageId: image.id,
        crop: { x: 90, y: 90, width: 32, height: 32 },
        params: {},
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });

    const status = await caller.system.status();
    expect(status.inference.reachable).toBe(true);
    expect(status.queue.tasks.queued).toBeGreaterThanOrEqual(1);
  });

  it("stops the service's preview when the caller goes away (a page left while it computes)", async () => {
    // About two seconds of model on this machine, measured now: long against a round trip.
    const { bytes } = await calibratedSlowModel({
      targetMs: 2000,
      width: 102,
      height: 102,
      threads: svc.config.ORT_INTRA_OP_THREADS,
    });
    const slow = await seedWeight(svc.db, svc.dataDir, {
      teamId,
      taskKind: "segmentation",
      bytes,
      spec: { kind: "segmentation", colorOrder: "gray", activation: "sigmoid" },
    });
    const imageId = await seedGrayImage(svc.db, svc.dataDir, { userId: member.id, teamId });
    const leaving = new AbortController();
    const caller = createCaller(await ctx(member), { signal: leaving.signal });
    const call = caller.inference.preview({
      teamId,
      weightId: slow.weightId,
      imageId,
      crop: { x: 0, y: 0, width: 64, height: 64 },
      params: {},
    });
    const outcome = call.then(
      () => "finished",
      () => "aborted",
    );
    while ((await previewsRunning(svc)) === 0) await new Promise((r) => setTimeout(r, 20));
    leaving.abort();
    expect(await outcome).toBe("aborted");
    while ((await previewsRunning(svc)) > 0) await new Promise((r) => setTimeout(r, 20));
    expect(await serviceMetric(svc, 'inference_previews_total{outcome="canceled"}')).toBe(1);
    expect(await serviceMetric(svc, 'inference_previews_total{outcome="timeout"}')).toBe(0);
  });
});
