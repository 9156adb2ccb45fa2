// Route-handler functions for apps/web: each takes a Web Request and the request's context
// (from authenticateRequest) and returns a Response. Their paths: ../file-routes.ts.

export type { ImageRendition } from "../../storage/renditions";
export { authenticateRequest } from "./access";
export { type DownloadQuery, downloadFile } from "./download";
export { FILE_ROUTE_HANDLERS, type FileRouteHandler } from "./routes";
export { uploadArchive } from "./upload-archive";
export { uploadImage } from "./upload-image";
export { uploadWeight } from "./upload-weight";
