// A preview process gives memory back when previews stop: after PREVIEW_SESSION_IDLE_RELEASE_MS
// without a preview it releases its sessions (with what onnxruntime's arena kept for the largest
// preview), the pool no longer lists the weight, and the next preview of it brings the file again.
import { previewResponseSchema } from "@studio/contracts/inference/preview";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SeededWeight,
  seedPatternImage,
  seedTeam,
  seedTinySrWeight,
  seedWideSrWeight,
} from "../test-fixtures";
import { canMeasurePeaks, memoryOf, resetPeak } from "../test-memory";
import { startTestService, type TestService } from "../testing";

let service: TestService;
let tiny: SeededWeight;
let wide: SeededWeight;
let image: string;

async function until(ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  service = await startTestService({
    PREVIEW_MAX_CONCURRENT: "1",
    PREVIEW_MAX_SIDE: "512",
    PREVIEW_MAX_PIXELS: String(512 * 512),
    PREVIEW_SESSION_IDLE_RELEASE_MS: "300",
    ORT_MEMORY_ARENA: "true",
  });
  const team = await seedTeam(service.db);
  tiny = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
  // 64 feature maps of a 512 px crop: ~64 MB each.
  wide = await seedWideSrWeight(service.db, service.dataDir, team.teamId, 8);
  image = await seedPatternImage(service.db, service.dataDir, team, 512);
});
afterAll(async () => {
  await service?.cleanup();
});

async function preview(weightId: string, side: number, tuning: string) {
  const res = await fetch(`${service.url}/v1/preview`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      weightId,
      imageId: image,
      crop: { x: 0, y: 0, width: side, height: side },
      params: { tile: "off", tuning: { preset: tuning } },
    }),
  });
  expect(res.status).toBe(200);
  return previewResponseSchema.parse(await res.json());
}

describe.runIf(canMeasurePeaks)("preview process memory", { timeout: 180_000 }, () => {
  it("releases its sessions when idle, gives the memory back, and previews the weight again", async () => {
    // A first small preview: the process is fully started; its session goes too.
    await preview(tiny.weightId, 16, "raw");
    const [pid] = service.previewPool.pids as [number];
    await until(() => service.previewPool.cachedWeights.length === 0);
    const baseline = memoryOf(pid, "VmRSS");
    resetPeak(pid);

    const first = await preview(wide.weightId, 512, "raw");
    const peakGrowth = memoryOf(pid, "VmHWM") - baseline;
    await until(() => service.previewPool.cachedWeights.length === 0);
    // The release runs in the child after the pool forgot the weight: give it its moment.
    await until(() => memoryOf(pid, "VmRSS") - baseline < peakGrowth / 2);

    // Another crop (not from the output cache): the session is loaded again from the file the
    // pool now sends, in the same process.
    const again = await preview(wide.weightId, 448, "gentle");
    expect(again.pngBase64).not.toBe(first.pngBase64);
    // Three session look-ups in this process (tiny, wide, wide again), each a miss.
    const metrics = await (
      await fetch(`${service.url}/metrics`, {
        headers: { authorization: `Bearer ${service.token}` },
      })
    ).text();
    expect(metrics).toMatch(/^inference_session_cache_total\{result="miss"\} 3$/m);
    expect(metrics).not.toMatch(/^inference_session_cache_total\{result="hit"\}/m);
    expect(service.previewPool.pids).toEqual([pid]);
  });
});
