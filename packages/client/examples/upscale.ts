// Upscales one image 4x with the official super-resolution weight and saves the PNG.
//
//   STUDIO_URL=http://localhost:3000 STUDIO_TOKEN=vs_... \
//     pnpm --filter @studio/client exec tsx examples/upscale.ts photo.jpg photo-x4.png
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { createClient } from "@studio/client";

const [input, output = "upscaled.png"] = process.argv.slice(2);
const url = process.env.STUDIO_URL ?? "http://localhost:3000";
const token = process.env.STUDIO_TOKEN;
if (!input || !token) {
  console.error("usage: STUDIO_TOKEN=vs_... tsx examples/upscale.ts <image> [output.png]");
  process.exit(2);
}

const client = createClient({ url, token });
const teamId = await client.team();
const image = await client.uploadImage({ data: await readFile(input), name: basename(input) });

const weights = await client.trpc.weights.list.query({ teamId, taskKind: "super_resolution" });
const weight = weights.find((w) => w.isOfficial && w.isDefault && w.status === "ready");
if (!weight) throw new Error("no official default super-resolution weight is ready");

const { id } = await client.trpc.tasks.create.mutate({
  teamId,
  weightId: weight.id,
  target: { type: "image", imageId: image.id },
  params: { tuning: { preset: "gentle" } },
});
const task = await client.waitForTask(id, {
  onProgress: (t) => console.log(`${t.status} ${Math.round(t.progress * 100)}%`),
});
const item = task.items[0];
if (task.status !== "succeeded" || !item) throw new Error(`task ended ${task.status}: ${task.error ?? item?.error}`);

const png = await client.downloadResult({ taskId: id, itemId: item.id });
await writeFile(output, png);
console.log(`saved ${output} (${image.width * 4}x${image.height * 4}, signature ${task.paramSignature})`);
