import { uploadWeight } from "@studio/api/files";
import { requestContext } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// The response waits for validation, which loads and trial-runs the model.
export const maxDuration = 300;

export async function POST(request: Request): Promise<Response> {
  return uploadWeight(request, await requestContext(request));
}
