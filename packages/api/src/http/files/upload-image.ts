import type { Context } from "../../context";
import { env } from "../../env";
import { AppError, notFound } from "../../errors";
import { addImagesToDataset } from "../../services/datasets";
import { cleanName, deleteImages, stageCheckedImage, storeImage } from "../../services/images";
import { formatBytes, receiveToTemp, removeQuietly } from "../../storage/files";
import { checkStorageQuota, checkUploadLimits, declaredLength, requireTeam } from "./access";
import { json, toErrorResponse } from "./responses";

/**
 * POST, body = the image bytes as uploaded (not multipart), query:
 * `teamId` (required), `name` (display name), `datasetId` (optional: also add to that dataset).
 * 201 `{ image }`; errors `{ error: { code, message } }` with 400/401/404/413/415/422/429, and
 * 502/503 when the inference service, which decodes the image, fails or cannot be reached, 503
 * when the file storage cannot. A refused upload leaves no file, no object and no row.
 */
export async function uploadImage(request: Request, ctx: Context): Promise<Response> {
  let tmpPath: string | undefined;
  try {
    if (request.method !== "POST") throw new AppError("method_not_supported", "Use POST.");
    const url = new URL(request.url);
    const team = await requireTeam(ctx, url.searchParams.get("teamId"));
    // biome-ignore lint/style/noNonNullAssertion: requireTeam checked the user
    const user = ctx.user!;
    const datasetId = url.searchParams.get("datasetId");
    if (datasetId) {
      const dataset = await ctx.db.dataset.findFirst({
        where: { id: datasetId, teamId: team.id },
        select: { id: true },
      });
      if (!dataset) throw notFound("Dataset not found.");
    }
    const max = env().MAX_IMAGE_BYTES;
    const length = declaredLength(request);
    if (length !== null && length > max) {
      throw new AppError("payload_too_large", `The upload is larger than ${formatBytes(max)}.`);
    }
    await checkUploadLimits(ctx, user, length);
    const file = await receiveToTemp(request.body, max);
    tmpPath = file.tmpPath;
    // Without a Content-Length the quota could not be checked before the body arrived.
    if (length === null) await checkStorageQuota(ctx, user, file.size);
    const name = cleanName(url.searchParams.get("name"), `image-${file.sha256.slice(0, 8)}`);
    // Staged in the store for the inference service to decode, then kept: nothing of a
    // refused upload stays (the temp file and the staged object are removed on failure).
    const staged = await stageCheckedImage(file, name, ctx.inference);
    tmpPath = undefined;
    const image = await storeImage(ctx.db, { teamId: team.id, userId: user.id, staged, name });
    if (datasetId) {
      await addImagesToDataset(ctx.db, team.id, datasetId, [image.id]).catch(
        async (error: unknown) => {
          await deleteImages(ctx.db, team.id, [image.id]);
          throw error;
        },
      );
    }
    return json({ image }, 201);
  } catch (error) {
    await removeQuietly(tmpPath);
    return toErrorResponse(error);
  }
}
