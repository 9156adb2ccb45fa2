// Route-handler functions for apps/web: each takes a Web Request and the request's context
// (from authenticateRequest) and returns a Response. See /tmp/exports/api.md for the routes.
export { authenticateRequest } from "./access";
export { type DownloadQuery, downloadFile } from "./download";
export type { ImageRendition } from "./renditions";
export { uploadArchive } from "./upload-archive";
export { uploadImage } from "./upload-image";
export { uploadWeight } from "./upload-weight";
