import { fileRoute } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = fileRoute("images");
