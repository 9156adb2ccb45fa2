// POST /v1/weights/convert against the real service: real HTTP, real conversion processes, real
// files in the local blob store (a temp DATA_DIR: uploads staged under incoming/, the output
// stored there too), and onnxruntime running what comes out.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { type ConvertResponse, convertResponseSchema } from "@studio/contracts/inference/convert";
import { getArchitecture } from "@studio/core/architectures";
import {
  assembleSafetensors,
  PickleDict,
  PickleGlobal,
  PickleReduce,
  Pickler,
  PickleTuple,
  writeZip,
} from "@studio/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrt } from "../ort";
import { createHolds, type Holds } from "../test-hold";
import { isRunning } from "../test-process";
import { serviceMetric, startTestService, type TestService } from "../testing";

let service: TestService;
let holds: Holds;
/** The full-size OCTA U-Net (31M parameters, 124 MB of float32) as a .safetensors upload. */
let unet: string;

/**
 * Seeded small float32 weights for every key of a registered architecture, as a .safetensors
 * file; the tensors' bytes are laid out directly, which keeps a 124 MB file quick to build.
 */
function stateDictSafetensors(architectureId: string, omit: string[] = []): Uint8Array {
  let state = 7;
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const p of getArchitecture(architectureId).parameters) {
    if (omit.includes(p.name)) continue;
    const values = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    if (p.name.endsWith("running_var")) values.fill(1);
    else {
      for (let i = 0; i < values.length; i++) {
        state = (state * 1664525 + 1013904223) >>> 0;
        values[i] = (state / 2 ** 32 - 0.5) * 0.05;
      }
    }
    const data = new Uint8Array(values.buffer);
    header[p.name] = { dtype: "F32", shape: p.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  return assembleSafetensors(JSON.stringify(header), chunks);
}

/** in [1,3,H,W] -> 1x1 convolution (weights `w`, bias `b`) -> nearest x2 -> out [1,3,2H,2W]. */
function ncnnNet(lastLayer = "Interp           up      1 1 c out 0=1 1=2.0 2=2.0") {
  const param = `7767517
3 3
Input            in      0 1 data
Convolution      conv    1 1 data c 0=3 1=1 5=1 6=9
${lastLayer}
`;
  const w = [2, 0, 0, 0, 1, 0, 0, 0, -1];
  const b = [0.5, 0, 0];
  // Convolution weights start with a 4-byte storage tag (0 = float32); the bias is raw floats.
  const bin = new Uint8Array([
    ...new Uint8Array(4),
    ...new Uint8Array(Float32Array.from([...w, ...b]).buffer),
  ]);
  return { param, bin };
}

/** Stages an upload in the store, as the web app does; answers its key. */
function put(name: string, bytes: Uint8Array | string): string {
  mkdirSync(path.join(service.dataDir, "incoming"), { recursive: true });
  writeFileSync(path.join(service.dataDir, "incoming", name), bytes);
  return `incoming/${name}`;
}

/**
 * What a conversion may leave: in this node's tmp/ its files under way, in the store's
 * incoming/ a stored result (the tests remove those they received).
 */
function outputsLeft(): string[] {
  const under = (dir: string) =>
    existsSync(path.join(service.dataDir, dir)) ? readdirSync(path.join(service.dataDir, dir)) : [];
  return [
    ...under("tmp").filter((f) => f.endsWith(".onnx.part") || f.endsWith(".writing")),
    ...under("incoming").filter((f) => f.endsWith(".onnx")),
  ];
}

async function convert(body: unknown, token = service.token) {
  const res = await fetch(`${service.url}/v1/weights/convert`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as {
      error: { code: string; message: string; details?: Record<string, unknown> };
    },
  };
}

async function converted(body: unknown): Promise<ConvertResponse> {
  const { status, json } = await convert(body);
  expect(status, JSON.stringify(json)).toBe(200);
  return convertResponseSchema.parse(json);
}

/** Runs a converted file once and then removes it, as the web app does after moving it. */
async function runOnce(file: string, input: Float32Array, dims: number[]) {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(path.join(service.dataDir, file));
  rmSync(path.join(service.dataDir, file));
  try {
    const outputs = await session.run({
      [session.inputNames[0] as string]: new ort.Tensor("float32", input, dims),
    });
    return outputs[session.outputNames[0] as string] as {
      data: Float32Array;
      dims: readonly number[];
    };
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  holds = createHolds();
  service = await startTestService({
    CONVERT_TIMEOUT_MS: "120000",
    INFERENCE_TEST_HOLD_DIR: holds.dir,
  });
  unet = put("unet.safetensors", stateDictSafetensors("octa-unet"));
});
afterAll(async () => {
  await service?.cleanup();
  holds?.cleanup();
});

describe("POST /v1/weights/convert converts", () => {
  it("a .safetensors U-Net into an ONNX file that runs, while the service keeps answering", async () => {
    // Held half-way through writing its output: the conversion is under way, however fast
    // this machine converts, and /health must answer meanwhile.
    holds.arm("convert-writing");
    const pending = converted({
      kind: "state_dict",
      key: unet,
      architecture: "octa-unet",
      fileName: "unet.safetensors",
    });
    await holds.reached("convert-writing");
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    // Only the temporary name exists until the file is complete.
    expect(outputsLeft()).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.onnx\.part\.writing$/)]);
    holds.release("convert-writing");
    const r = await pending;

    expect(r.kind).toBe("state_dict");
    expect(r.key).toMatch(/^incoming\/[0-9a-f]{32}\.onnx$/);
    const bytes = readFileSync(path.join(service.dataDir, r.key));
    expect(r.size).toBe(bytes.length);
    expect(r.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(r.report).toMatchObject({
      verdict: "accepted",
      architecture: "octa-unet",
      format: "safetensors",
      fileName: "unet.safetensors",
      parameterCount: 31_054_145,
      missing: [],
    });
    // The upload stays: it belongs to the caller.
    expect(existsSync(path.join(service.dataDir, unet))).toBe(true);

    const input = Float32Array.from({ length: 256 * 256 }, (_, i) => (i % 256) / 255);
    const output = await runOnce(r.key, input, [1, 1, 256, 256]);
    expect(output.dims).toEqual([1, 1, 256, 256]);
    expect(output.data.every(Number.isFinite)).toBe(true);
    expect(Math.max(...output.data) - Math.min(...output.data)).toBeGreaterThan(0);
  });

  it("an NCNN .param/.bin pair into an ONNX file that computes what the NCNN net does", async () => {
    const net = ncnnNet();
    const r = await converted({
      kind: "ncnn",
      param: put("net.param", net.param),
      bin: put("net.bin", net.bin),
    });
    expect(r.kind).toBe("ncnn");
    expect(r.report).toMatchObject({
      layerCount: 3,
      inputChannels: 3,
      parameterCount: 12,
      weightStorage: { float32: 1 },
    });
    // One pixel (1, 2, 3): channel-wise 2x+0.5, y, -z, then repeated 2x2.
    const output = await runOnce(r.key, Float32Array.of(1, 2, 3), [1, 3, 1, 1]);
    expect(output.dims).toEqual([1, 3, 2, 2]);
    expect([...output.data]).toEqual([2.5, 2.5, 2.5, 2.5, 2, 2, 2, 2, -3, -3, -3, -3]);
  });
});

describe("POST /v1/weights/convert refuses a bad upload precisely and keeps nothing", () => {
  it("an NCNN layer type it does not know, naming the layer and its line", async () => {
    const net = ncnnNet("Softmax          sm      1 1 c out 0=0");
    const { status, json } = await convert({
      kind: "ncnn",
      param: put("softmax.param", net.param),
      bin: put("softmax.bin", net.bin),
    });
    expect(status).toBe(422);
    expect(json.error.code).toBe("ncnn_unsupported");
    expect(json.error.message).toMatch(
      /^layer "sm" \(type Softmax, \.param line 5\): unsupported NCNN layer type "Softmax"/,
    );
    expect(outputsLeft()).toEqual([]);
  });

  it("a .bin that does not match its .param", async () => {
    const net = ncnnNet();
    const { status, json } = await convert({
      kind: "ncnn",
      param: put("short.param", net.param),
      bin: put("short.bin", net.bin.subarray(0, 20)),
    });
    expect(status).toBe(422);
    expect(json.error).toMatchObject({
      code: "ncnn_format",
      message: expect.stringMatching(/\.bin ends early/),
    });
    expect(outputsLeft()).toEqual([]);
  });

  it("a pickle that calls os.system: refused by name, nothing run", async () => {
    const marker = path.join(service.dataDir, "pwned");
    const pickle = new Pickler().dump(
      new PickleDict([
        [
          "x",
          new PickleReduce(new PickleGlobal("os", "system"), new PickleTuple([`touch ${marker}`])),
        ],
      ]),
    );
    const evil = writeZip([
      { name: "archive/data.pkl", data: pickle },
      { name: "archive/version", data: new TextEncoder().encode("3\n") },
    ]);
    const { status, json } = await convert({
      kind: "state_dict",
      key: put("evil.pt", evil),
      architecture: "octa-unet",
      fileName: "evil.pt",
    });
    expect(status).toBe(422);
    expect(json.error.code).toBe("forbidden_global");
    expect(json.error.message).toMatch(/os\.system/);
    expect(json.error.details).toMatchObject({
      verdict: "rejected",
      error: { code: "forbidden_global" },
    });
    expect(existsSync(marker)).toBe(false);
    expect(outputsLeft()).toEqual([]);
  });

  it("a state_dict with a missing key, with the importer's report", async () => {
    const { status, json } = await convert({
      kind: "state_dict",
      key: put("srvgg.safetensors", stateDictSafetensors("realesr-animevideov3", ["body.0.bias"])),
      architecture: "realesr-animevideov3",
      fileName: "srvgg.safetensors",
    });
    expect(status).toBe(422);
    expect(json.error.code).toBe("import_rejected");
    expect(json.error.message).toMatch(/missing key 'body\.0\.bias'/);
    expect(json.error.details).toMatchObject({ missing: [{ key: "body.0.bias" }] });
    expect(outputsLeft()).toEqual([]);
  });

  it("an unknown architecture", async () => {
    const { status, json } = await convert({
      kind: "state_dict",
      key: unet,
      architecture: "resnet-9000",
      fileName: "unet.safetensors",
    });
    expect(status).toBe(400);
    expect(json.error.code).toBe("unknown_architecture");
    expect(json.error.message).toMatch(
      /^Unknown architecture "resnet-9000"; leave it out to detect it, or name a family .*octa-unet/,
    );
  });
});

describe("POST /v1/weights/convert reads only staged uploads (incoming/)", () => {
  const request = (p: string) => ({
    kind: "state_dict",
    key: p,
    architecture: "octa-unet",
    fileName: "x.pth",
  });

  it("refuses keys outside incoming/ with 400", async () => {
    writeFileSync(path.join(service.dataDir, "weights", "other.pth"), "x");
    for (const p of [
      "../etc/passwd",
      "/etc/passwd",
      "weights/other.pth",
      "tmp/other.pth",
      "incoming/../weights/other.pth",
      "incoming/./unet.safetensors",
      "incoming\\..\\weights\\other.pth",
      "incoming/",
    ]) {
      const { status } = await convert(request(p));
      expect(status, p).toBe(400);
    }
  });

  it("refuses a symlink in incoming/ that leads out of it", async () => {
    symlinkSync(
      path.join(service.dataDir, "weights", "other.pth"),
      path.join(service.dataDir, "incoming", "inside.pth"),
    );
    symlinkSync("/etc/hostname", path.join(service.dataDir, "incoming", "host.pth"));
    for (const p of ["incoming/inside.pth", "incoming/host.pth"]) {
      const { status, json } = await convert(request(p));
      expect(status, p).toBe(400);
      expect(json.error.message).toMatch(/leaves incoming\//);
    }
  });

  it("answers 404 for a missing file and 401 without the token", async () => {
    expect((await convert(request("incoming/missing.pth"))).status).toBe(404);
    expect((await convert(request(unet), "wrong")).status).toBe(401);
  });
});

describe("POST /v1/weights/convert limits", () => {
  const unetRequest = (limits: Record<string, number>) => ({
    kind: "state_dict",
    key: unet,
    architecture: "octa-unet",
    fileName: "unet.safetensors",
    limits,
  });
  let ncnnFiles: { param: string; bin: string } | undefined;
  const ncnnRequest = (limits: Record<string, number> = {}) => {
    const net = ncnnNet();
    ncnnFiles ??= { param: put("limits.param", net.param), bin: put("limits.bin", net.bin) };
    return { kind: "ncnn", ...ncnnFiles, limits };
  };
  // The points at which a conversion is stopped: before it read anything, and with half of
  // its output on disk. Held there by the test hook, so the moment does not depend on speed.
  const points = ["convert-start", "convert-writing"] as const;
  let measuredLimitMs: number | undefined;
  /**
   * A time limit within which held conversions surely reach their hold points, from how long
   * they take to get there on this machine, measured once (start-up dominates).
   */
  async function timeLimitMs(): Promise<number> {
    if (measuredLimitMs !== undefined) return measuredLimitMs;
    let slowest = 0;
    for (const point of points) {
      holds.arm(point);
      const started = performance.now();
      const pending = converted(ncnnRequest());
      await holds.reached(point);
      slowest = Math.max(slowest, performance.now() - started);
      holds.release(point);
      rmSync(path.join(service.dataDir, (await pending).key));
    }
    // A generous multiple absorbs a machine that turns busier meanwhile.
    measuredLimitMs = Math.max(2000, Math.ceil(slowest * 5));
    return measuredLimitMs;
  }

  for (const point of points) {
    it(`kills a conversion past its time limit (held at ${point}), with a clear error, leaving nothing`, async () => {
      const timeoutMs = await timeLimitMs();
      holds.arm(point);
      const pending = convert(ncnnRequest({ timeoutMs }));
      const pid = await holds.reached(point);
      const { status, json } = await pending;
      holds.release(point);
      expect(status).toBe(422);
      expect(json.error.code).toBe("too_slow");
      expect(json.error.message).toMatch(
        /^the conversion did not finish within \d+ m?s and was stopped$/,
      );
      expect(isRunning(pid)).toBe(false);
      expect(outputsLeft()).toEqual([]);
    });

    it(`stops a conversion whose client went away (held at ${point}), leaving nothing`, async () => {
      const canceled = 'inference_weight_conversions_total{kind="ncnn",outcome="canceled"}';
      const before = await serviceMetric(service, canceled);
      holds.arm(point);
      const client = new AbortController();
      const pending = fetch(`${service.url}/v1/weights/convert`, {
        method: "POST",
        headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
        body: JSON.stringify(ncnnRequest()),
        signal: client.signal,
      }).catch((e: unknown) => e);
      const pid = await holds.reached(point);
      client.abort();
      expect(await pending).toMatchObject({ name: "AbortError" });
      // The service counts the cancellation once the child is gone and its files removed.
      while ((await serviceMetric(service, canceled)) === before)
        await new Promise((r) => setTimeout(r, 20));
      holds.release(point);
      expect(await serviceMetric(service, canceled)).toBe(before + 1);
      expect(isRunning(pid)).toBe(false);
      expect(outputsLeft()).toEqual([]);
    });

    it(`leaves nothing when the conversion process is killed from outside (held at ${point})`, async () => {
      holds.arm(point);
      const pending = convert(ncnnRequest());
      const pid = await holds.reached(point);
      // As the kernel's OOM killer or an operator would.
      process.kill(pid, "SIGKILL");
      const { status, json } = await pending;
      holds.release(point);
      expect(status).toBe(500);
      expect(json.error).toEqual({ code: "internal", message: "internal error" });
      expect(outputsLeft()).toEqual([]);
    });
  }

  it("stops a conversion that needs more memory than allowed", async () => {
    const { status, json } = await convert(unetRequest({ maxMemoryMb: 128 }));
    expect(status).toBe(422);
    expect(json.error).toMatchObject({
      code: "too_much_memory",
      message: "the conversion needed more than 128 MB of memory and was stopped",
    });
    expect(outputsLeft()).toEqual([]);
  });

  it("refuses an input over the caller's size limit before reading it", async () => {
    const { status, json } = await convert(unetRequest({ maxBytes: 1_000_000 }));
    expect(status).toBe(413);
    expect(json.error.message).toMatch(/larger than the limit of 1000000 bytes/);
  });

  it("counts conversions by outcome in /metrics", async () => {
    const res = await fetch(`${service.url}/metrics`, {
      headers: { authorization: `Bearer ${service.token}` },
    });
    const text = await res.text();
    expect(text).toMatch(/inference_weight_conversions_total\{kind="state_dict",outcome="ok"\} 1/);
    expect(text).toMatch(
      /inference_weight_conversions_total\{kind="ncnn",outcome="ncnn_unsupported"\} 1/,
    );
    expect(text).toMatch(/inference_weight_conversions_total\{kind="ncnn",outcome="too_slow"\} 2/);
    expect(text).toMatch(/inference_weight_conversions_total\{kind="ncnn",outcome="canceled"\} 2/);
  });
});
