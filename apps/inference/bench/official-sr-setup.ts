// What bench:speed and bench:preview both start from: an official super-resolution weight and a
// photo of a given side seeded into a fresh SQLite store and data directory.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeImage, encodePng } from "@studio/core/image";
import { resizeBilinear } from "@studio/core/tensor";
import { createTestDatabase } from "@studio/db/testing";
import { fixturePath } from "@studio/fixtures";
import { seedImage, seedTeam, seedWeight } from "../src/test-fixtures";

/**
 * A photo at side x side (the cat fixture, stretched): its PNG, and the model's input (planar RGB
 * in 0..1) from the very pixels a task decodes from that PNG.
 */
export async function photoAt(side: number): Promise<{ png: Uint8Array; input: Float32Array }> {
  const cat = await decodeImage(readFileSync(fixturePath("chelsea.png")));
  const planar = new Float32Array(3 * cat.width * cat.height);
  for (let i = 0; i < cat.width * cat.height; i++)
    for (let c = 0; c < 3; c++)
      planar[c * cat.width * cat.height + i] = cat.data[i * 3 + c] as number;
  const resized = resizeBilinear(planar, 3, cat.width, cat.height, side, side);
  const plane = side * side;
  const pixels = new Uint8Array(3 * plane);
  const input = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.max(0, Math.min(255, Math.round(resized[c * plane + i] as number)));
      pixels[i * 3 + c] = v;
      input[c * plane + i] = v / 255;
    }
  }
  const png = await encodePng({ width: side, height: side, channels: 3, depth: 8, data: pixels });
  return { png, input };
}

/** The official weight `model` (from `pnpm weights:fetch`) and a `side` px photo, seeded. */
export async function seedOfficialSr(opts: {
  officialDir: string;
  model: string;
  side: number;
  prefix: string;
}) {
  const record = JSON.parse(
    readFileSync(path.join(opts.officialDir, `${opts.model}.json`), "utf8"),
  ) as { spec: Record<string, unknown> };
  const modelBytes = readFileSync(path.join(opts.officialDir, `${opts.model}.onnx`));
  const { png, input } = await photoAt(opts.side);
  const store = await createTestDatabase({ prefix: `${opts.prefix}-` });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${opts.prefix}-data-`));
  for (const d of ["uploads", "weights", "results", "tmp"]) mkdirSync(path.join(dataDir, d));
  const team = await seedTeam(store.db);
  const weight = await seedWeight(store.db, dataDir, {
    teamId: team.teamId,
    taskKind: "super_resolution",
    bytes: modelBytes,
    spec: record.spec as never,
  });
  const image = await seedImage(store.db, dataDir, {
    ...team,
    bytes: png,
    width: opts.side,
    height: opts.side,
  });
  return {
    spec: record.spec,
    modelBytes,
    png,
    input,
    store,
    dataDir,
    team,
    weight,
    image,
    async cleanup() {
      await store.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
