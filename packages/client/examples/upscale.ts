// Example for the README: upload an image, run super-resolution with the default (official)
// weight, wait for the task, save the PNG.
//
//   pnpm --filter @studio/client exec tsx examples/upscale.ts \
//     --url http://localhost:3000 --token vs_... photo.jpg photo-x4.png
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "../src/index";

export async function upscale(options: {
  url: string;
  token: string;
  input: string;
  output: string;
  log?: (line: string) => void;
}) {
  const log = options.log ?? console.log;
  const client = createClient({ url: options.url, token: options.token });
  const teamId = await client.team();

  const image = await client.uploadImage({
    data: await readFile(options.input),
    name: path.basename(options.input),
  });
  log(`uploaded ${image.originalName}: ${image.width}x${image.height}`);

  const weight = await client.trpc.weights.defaultFor.query({
    teamId,
    taskKind: "super_resolution",
  });
  if (!weight)
    throw new Error("no default super-resolution weight; run `pnpm weights:fetch` or upload one");
  log(`weight ${weight.name} (${weight.sha256.slice(0, 12)}…)`);

  const { id } = await client.trpc.tasks.create.mutate({
    teamId,
    weightId: weight.id,
    target: { type: "image", imageId: image.id },
    params: { tuning: { preset: "gentle" } },
    // Running the script twice for the same file reuses the task instead of computing again.
    idempotencyKey: `upscale-${image.sha256}-${weight.id}`,
  });
  const task = await client.waitForTask(id, {
    onProgress: (t) => log(`task ${t.status} ${Math.round(t.progress * 100)}%`),
  });
  const item = task.items[0];
  if (task.status !== "succeeded" || !item)
    throw new Error(`task ${task.status}: ${task.error ?? item?.error}`);

  await writeFile(options.output, await client.downloadResult({ taskId: id, itemId: item.id }));
  log(`saved ${options.output} (${item.device}, ${item.timings?.totalMs ?? "?"} ms)`);
  return { taskId: id, itemId: item.id };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: {
      url: { type: "string", default: "http://localhost:3000" },
      token: { type: "string" },
    },
    allowPositionals: true,
  });
  const [input, output] = positionals;
  if (!values.token || !input || !output) {
    console.error(
      "usage: upscale.ts --url http://localhost:3000 --token vs_... <input image> <output.png>",
    );
    process.exit(2);
  }
  await upscale({ url: values.url as string, token: values.token, input, output });
}
