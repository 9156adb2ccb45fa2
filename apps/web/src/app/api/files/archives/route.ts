import { fileRoute } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// A large archive is unpacked and every image checked before the response.
export const maxDuration = 600;

export const POST = fileRoute("archives");
