import { fileRoute } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = fileRoute("reportPdf");
