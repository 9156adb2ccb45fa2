// A preview shows what the task's output format does: a lossless format the model's pixels, a
// lossy one the crop encoded with the task's settings and decoded (as the result will look).
import { previewResponseSchema } from "@studio/contracts/inference/preview";
import { decodeImage, roundTrip } from "@studio/core/image";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeededWeight, seedCatImage, seedTeam, seedTinySrWeight } from "../test-fixtures";
import { startTestService, type TestService } from "../testing";

let service: TestService;
let sr: SeededWeight;
let cat: string;

beforeAll(async () => {
  service = await startTestService({ PREVIEW_MAX_SIDE: "256", WORKER_POLL_MS: "50" });
  const team = await seedTeam(service.db);
  sr = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
  cat = await seedCatImage(service.db, service.dataDir, team);
});
afterAll(async () => {
  await service?.cleanup();
});

async function preview(output: Record<string, unknown>) {
  const res = await fetch(`${service.url}/v1/preview`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      weightId: sr.weightId,
      imageId: cat,
      crop: { x: 100, y: 60, width: 64, height: 48 },
      params: { tile: "off", tuning: { preset: "raw" }, output },
    }),
  });
  expect(res.status).toBe(200);
  const body = previewResponseSchema.parse(await res.json());
  return { body, image: await decodeImage(Buffer.from(body.pngBase64, "base64")) };
}

describe("preview of the output format", { timeout: 120_000 }, () => {
  it("shows a lossy format's effect and a lossless format's pixels, signed as the task signs", async () => {
    const png = await preview({ format: "png" });
    const tiff = await preview({ format: "tiff" });
    const jpeg = await preview({ format: "jpeg", quality: 20 });
    // Lossless containers: the same pixels, the same signature (a PNG preview vouches for TIFF).
    expect(Buffer.from(tiff.image.data).equals(Buffer.from(png.image.data))).toBe(true);
    expect(tiff.body.paramSignature).toBe(png.body.paramSignature);
    // JPEG at quality 20: visibly other pixels, the same size, its own signature.
    expect([jpeg.image.width, jpeg.image.height]).toEqual([128, 96]);
    expect(jpeg.body.paramSignature).not.toBe(png.body.paramSignature);
    let diff = 0;
    for (let i = 0; i < png.image.data.length; i++) {
      diff += Math.abs((png.image.data[i] as number) - (jpeg.image.data[i] as number));
    }
    expect(diff / png.image.data.length).toBeGreaterThan(1);
    // Exactly the model's pixels through the encoder at those settings.
    const expected = await roundTrip(png.image, {
      format: "jpeg",
      quality: 20,
      background: "#ffffff",
    });
    expect(Buffer.from(jpeg.image.data).equals(Buffer.from(expected.data))).toBe(true);
  });
});
