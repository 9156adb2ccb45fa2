// Every link to a file goes through the authorised route handlers mounted under /api/files
// (see app/api/files). One place so pages never build paths themselves.
export const fileUrls = {
  imageOriginal: (imageId: string) => `/api/files/images/${imageId}`,
  imageThumbnail: (imageId: string) => `/api/files/images/${imageId}?thumbnail=1`,
  result: (taskId: string, itemId: string, variant?: "mask" | "probability" | "overlay" | "output") =>
    `/api/files/tasks/${taskId}/items/${itemId}${variant ? `?variant=${variant}` : ""}`,
  resultDownload: (taskId: string, itemId: string) => `/api/files/tasks/${taskId}/items/${itemId}?download=1`,
  taskZip: (taskId: string) => `/api/files/tasks/${taskId}/zip`,
  weightDownload: (weightId: string) => `/api/files/weights/${weightId}`,
  uploadImage: (teamId: string, datasetId?: string) =>
    `/api/files/images?teamId=${encodeURIComponent(teamId)}${datasetId ? `&datasetId=${encodeURIComponent(datasetId)}` : ""}`,
  uploadWeight: (teamId: string) => `/api/files/weights?teamId=${encodeURIComponent(teamId)}`,
};
