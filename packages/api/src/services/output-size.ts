// A super-resolution task's output size, checked when the task is created against the weight's
// scale and the chosen images' sizes, so a size the model cannot give is refused in words before
// anything queues (the worker checks every image again).
import type { OutputSettings } from "@studio/contracts/task";
import { outputDimensions } from "@studio/core/image/formats";
import type { Db } from "../db";
import { badRequest } from "../errors";
import { parseJson } from "./json";

export async function checkOutputSize(
  db: Db,
  params: Record<string, unknown>,
  weightSpec: string | null | undefined,
  imageIds: string[],
): Promise<void> {
  const output = params.output as OutputSettings | undefined;
  const scale = parseJson<{ scale?: unknown }>(weightSpec, {}).scale;
  if (!output || typeof scale !== "number") return;
  const images = await db.image.findMany({
    where: { id: { in: imageIds } },
    select: { originalName: true, width: true, height: true },
  });
  for (const image of images) {
    try {
      outputDimensions(image, scale, output.size, output.format);
    } catch (error) {
      throw badRequest(`${image.originalName}: ${(error as Error).message}.`);
    }
  }
}
