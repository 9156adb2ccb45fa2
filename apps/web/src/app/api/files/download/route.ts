import { downloadFile } from "@studio/api/files";
import { requestContext } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  return downloadFile(request, await requestContext(request));
}
