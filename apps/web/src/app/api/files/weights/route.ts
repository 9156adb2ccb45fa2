import { fileRoute } from "~/server/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// The response waits for validation, which loads and trial-runs the model.
export const maxDuration = 300;

export const POST = fileRoute("weights");
