// Each file route's handler, by the name it has in FILE_ROUTE_PATHS.
import type { Context } from "../../context";
import type { FileRouteName } from "../file-routes";
import { downloadFile } from "./download";
import { uploadArchive } from "./upload-archive";
import { uploadImage } from "./upload-image";
import { uploadWeight } from "./upload-weight";

export type FileRouteHandler = (request: Request, ctx: Context) => Promise<Response>;

export const FILE_ROUTE_HANDLERS: Record<FileRouteName, FileRouteHandler> = {
  images: uploadImage,
  archives: uploadArchive,
  weights: uploadWeight,
  download: downloadFile,
  // Loaded on first use: PDFKit and its font engine are needed by no other route.
  reportPdf: async (request, ctx) => (await import("./report-pdf")).downloadReportPdf(request, ctx),
};
