// Super-resolution results in the task's output format and size, carrying the input's colour
// profile, its camera EXIF (no GPS position unless the team allows it) and the provenance: read
// back from the stored file with sharp (libvips) and exif-reader, not with the writer's code.

import { readFileSync } from "node:fs";
import path from "node:path";
import { readProvenance } from "@studio/core/image";
import { fixturePath } from "@studio/fixtures";
import exifReader from "exif-reader";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedImage, seedTask, seedTeam, seedTinySrWeight } from "../test-fixtures";
import { startTestService, type TestService } from "../testing";

let service: TestService;
let team: { userId: string; teamId: string };

beforeAll(async () => {
  service = await startTestService({ WORKER_POLL_MS: "50", WORKER_CONCURRENCY: "1" });
  team = await seedTeam(service.db);
  await service.worker.start();
});
afterAll(async () => {
  await service?.cleanup();
});

async function waitForItem(taskId: string) {
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    const task = await service.db.task.findUniqueOrThrow({
      where: { id: taskId },
      select: {
        status: true,
        items: { select: { resultPath: true, resultMeta: true, error: true } },
      },
    });
    if (!["queued", "running"].includes(task.status))
      return { status: task.status, item: task.items[0] };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${taskId} did not finish`);
}

describe("super-resolution output files", () => {
  it("writes the format and size asked for, with the input's profile, camera EXIF and provenance", async () => {
    const weight = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
    // The cat as a Display P3 JPEG from a camera that recorded where it was.
    const photo = await sharp(readFileSync(fixturePath("chelsea.png")))
      .withIccProfile("p3")
      .withExif({
        IFD0: { Make: "Canon", Model: "EOS R5", DateTime: "2024:05:01 10:11:12" },
        IFD2: { DateTimeOriginal: "2024:05:01 10:11:12" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100" },
      })
      .jpeg({ quality: 95 })
      .toBuffer();
    const inputIcc = (await sharp(photo).metadata()).icc as Buffer;
    const imageId = await seedImage(service.db, service.dataDir, {
      ...team,
      bytes: photo,
      width: 451,
      height: 300,
    });
    const cases = [
      {
        output: { format: "jpeg", quality: 80, size: { mode: "scale", scale: 1 } },
        ext: ".jpg",
        width: 451,
        sharpFormat: "jpeg",
      },
      {
        output: { format: "webp", size: { mode: "width", width: 600 } },
        ext: ".webp",
        width: 600,
        sharpFormat: "webp",
      },
      { output: { format: "tiff" }, ext: ".tiff", width: 902, sharpFormat: "tiff" },
      { output: { format: "png", color: "srgb" }, ext: ".png", width: 902, sharpFormat: "png" },
    ] as const;
    for (const c of cases) {
      const params = { tile: "off", output: c.output };
      const taskId = await seedTask(service.db, { ...team, weight, params, imageIds: [imageId] });
      const { status, item } = await waitForItem(taskId);
      expect(status, JSON.stringify(item)).toBe("succeeded");
      expect(path.posix.extname(item?.resultPath ?? "")).toBe(c.ext);
      const file = readFileSync(path.join(service.dataDir, item?.resultPath ?? ""));
      const meta = await sharp(file).metadata();
      expect(meta.format).toBe(c.sharpFormat);
      expect(meta.width).toBe(c.width);
      expect(JSON.parse(item?.resultMeta ?? "{}")).toMatchObject({
        width: c.width,
        scale: Math.round((c.width / 451) * 100) / 100,
        format: c.output.format,
      });
      // Kept, the profile is the input's; converted to sRGB, the file has none (sRGB by default).
      if ("color" in c.output) expect(meta.icc).toBeUndefined();
      else expect(meta.icc?.equals(inputIcc)).toBe(true);
      expect(await readProvenance(file)).toMatchObject({
        taskKind: "super_resolution",
        weight: { sha256: weight.sha256 },
        params: { output: { format: c.output.format } },
      });
      if (c.output.format !== "tiff") {
        const exif = exifReader(meta.exif as Buffer);
        expect(exif.Image?.Model).toBe("EOS R5");
        expect(exif.Photo?.DateTimeOriginal?.toISOString()).toBe("2024-05-01T10:11:12.000Z");
        expect(exif.GPSInfo?.GPSLatitude).toBeUndefined();
      }
    }
  });

  it("copies the GPS position only for a team that allows it", async () => {
    const gpsTeam = await seedTeam(service.db);
    await service.db.team.update({
      where: { id: gpsTeam.teamId },
      data: { resultsKeepGps: true },
    });
    const weight = await seedTinySrWeight(service.db, service.dataDir, gpsTeam.teamId);
    const photo = await sharp(readFileSync(fixturePath("chelsea.png")))
      .withExif({
        IFD0: { Model: "EOS R5" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100" },
      })
      .jpeg()
      .toBuffer();
    const imageId = await seedImage(service.db, service.dataDir, {
      ...gpsTeam,
      bytes: photo,
      width: 451,
      height: 300,
    });
    const params = { tile: "off", output: { format: "webp" } };
    const taskId = await seedTask(service.db, { ...gpsTeam, weight, params, imageIds: [imageId] });
    const { item } = await waitForItem(taskId);
    const file = readFileSync(path.join(service.dataDir, item?.resultPath ?? ""));
    const exif = exifReader((await sharp(file).metadata()).exif as Buffer);
    expect(exif.GPSInfo?.GPSLatitude).toEqual([48, 51, 24]);
    expect(exif.GPSInfo?.GPSLatitudeRef).toBe("N");
  });

  it("fails the item in words when the size is larger than the model gives", async () => {
    const weight = await seedTinySrWeight(service.db, service.dataDir, team.teamId);
    const imageId = await seedImage(service.db, service.dataDir, {
      ...team,
      fixture: "chelsea.png",
      width: 451,
      height: 300,
    });
    const params = { output: { size: { mode: "width", width: 2000 } } };
    const taskId = await seedTask(service.db, { ...team, weight, params, imageIds: [imageId] });
    const { status, item } = await waitForItem(taskId);
    expect(status).toBe("failed");
    expect(item?.error).toMatch(
      /2000 px is more than this model's x2 gives .* choose 902 px or less/,
    );
  });
});
