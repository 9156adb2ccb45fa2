// Every link to a file goes through the authorised route handlers (app/api/files/*,
// mounted from @studio/api/files). One place so pages never build paths themselves.
import type { ImageRendition } from "@studio/api/files";
import { FILE_ROUTE_PATHS } from "@studio/api/http/file-routes";

function query(params: Record<string, string | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  return search.toString();
}

const download = (params: Record<string, string | undefined | null>) =>
  `${FILE_ROUTE_PATHS.download}?${query(params)}`;

export type ResultVariant = "probabilityPath" | "overlayPath";

export const fileUrls = {
  /** The original bytes as uploaded (16-bit, TIFF, tens of MB): for downloads, not for display. */
  image: (teamId: string, imageId: string, inline = true) =>
    download({ type: "image", teamId, id: imageId, inline: inline ? "1" : null }),
  /**
   * An 8-bit WebP any browser shows: `thumb` (within 256 px) for galleries and lists, `display`
   * (within 2048 px) wherever an image is shown large.
   */
  rendition: (teamId: string, imageId: string, rendition: ImageRendition) =>
    download({ type: "image", teamId, id: imageId, rendition }),
  result: (
    teamId: string,
    taskId: string,
    itemId: string,
    options: { variant?: ResultVariant; inline?: boolean } = {},
  ) =>
    download({
      type: "result",
      teamId,
      id: taskId,
      itemId,
      variant: options.variant,
      inline: options.inline === false ? null : "1",
    }),
  /**
   * A result as an 8-bit WebP within 256 px (`thumb`) or 2048 px (`display`): for showing it
   * small; the viewer and downloads use `result` (full size, exact bytes).
   */
  resultRendition: (
    teamId: string,
    taskId: string,
    itemId: string,
    rendition: ImageRendition,
    variant?: ResultVariant,
  ) => download({ type: "result", teamId, id: taskId, itemId, variant, rendition }),
  taskZip: (teamId: string, taskId: string) => download({ type: "task-zip", teamId, id: taskId }),
  weight: (teamId: string, weightId: string) => download({ type: "weight", teamId, id: weightId }),
  uploadImage: (teamId: string, name: string, datasetId?: string) =>
    `${FILE_ROUTE_PATHS.images}?${query({ teamId, name, datasetId })}`,
  /** A zip into an existing dataset (`datasetId`) or a new one named `name`. */
  uploadArchive: (teamId: string, target: { datasetId: string } | { name: string }) =>
    `${FILE_ROUTE_PATHS.archives}?${query({ teamId, ...target })}`,
  /**
   * ONNX needs taskKind/name/family; `format: "ncnn"` sends a zip of .param + .bin; a PyTorch or
   * safetensors state_dict needs `architecture` (taskKind, name, family default to its own).
   */
  uploadWeight: (params: {
    teamId: string;
    version: string;
    taskKind?: string;
    name?: string;
    family?: string;
    specPreset?: string;
    description?: string;
    format?: "ncnn" | "pytorch" | "safetensors";
    architecture?: string;
    fileName?: string;
  }) => `${FILE_ROUTE_PATHS.weights}?${query(params)}`,
};
