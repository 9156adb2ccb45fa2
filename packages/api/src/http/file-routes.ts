// The file routes (bytes travel here; tRPC carries JSON only), written once: where each is
// mounted. The Next.js route files (apps/web/src/app/api/files/<name>/route.ts, placed by
// Next's file-system routing at exactly these paths), createApiHandler, the web app's links and
// the typed client all read this table. Import-free so the browser and the client can use it.
export const TRPC_PATH = "/api/trpc";

export const FILE_ROUTE_PATHS = {
  images: "/api/files/images",
  archives: "/api/files/archives",
  weights: "/api/files/weights",
  download: "/api/files/download",
  /** A finished task's report as a PDF (query teamId, id, locale, timeZone). */
  reportPdf: "/api/files/report.pdf",
} as const;

export type FileRouteName = keyof typeof FILE_ROUTE_PATHS;
