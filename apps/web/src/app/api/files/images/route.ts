import { uploadImage } from "@studio/api/files";
import { requestContext } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return uploadImage(request, await requestContext(request));
}
