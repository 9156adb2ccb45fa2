import { SPEC_PRESETS, TaskKind } from "@studio/core/spec";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Context } from "../context";
import { env } from "../env";
import { registerWeightUpload } from "../services/weights";
import { declaredLength, requireTeam, requireUser } from "./access";
import { json, toErrorResponse } from "./http";
import { convertNcnnZip } from "./ncnn-weight";
import { formatBytes, receiveToTemp, removeQuietly, UploadError } from "./storage";

const metaSchema = z.object({
  teamId: z.string().min(1).max(64).optional(),
  official: z.enum(["1", "true"]).optional(),
  taskKind: TaskKind,
  name: z.string().trim().min(1).max(200),
  family: z.string().trim().min(1).max(100),
  version: z.string().trim().min(1).max(50),
  description: z.string().max(2000).optional(),
  license: z.string().max(200).optional(),
  /** A named spec preset (see @studio/core/spec SPEC_PRESETS) ... */
  specPreset: z.string().max(100).optional(),
  /** ... or the spec as JSON; neither lets the service derive it from the graph. */
  spec: z.string().max(20_000).optional(),
  /** onnx (default): the body is the .onnx file; ncnn: a zip with one .param and one .bin. */
  format: z.enum(["onnx", "ncnn"]).default("onnx"),
});

function parseSpec(meta: z.infer<typeof metaSchema>): unknown {
  if (meta.spec) {
    try {
      return JSON.parse(meta.spec);
    } catch {
      throw new UploadError(400, "invalid_spec", "spec is not valid JSON.");
    }
  }
  if (meta.specPreset) {
    const preset = (SPEC_PRESETS as Record<string, unknown>)[meta.specPreset];
    if (!preset) {
      throw new UploadError(
        400,
        "invalid_spec",
        `Unknown spec preset "${meta.specPreset}"; known: ${Object.keys(SPEC_PRESETS).join(", ")}.`,
      );
    }
    return preset;
  }
  return undefined;
}

/**
 * POST, body = the ONNX file, query: `teamId` (team weight, team admins) or `official=1`
 * (site admins), `taskKind`, `name`, `family`, `version`, optional `description`, `license`,
 * `specPreset` or `spec` (JSON), `format=ncnn` for a zip of an NCNN `.param` + `.bin` pair
 * (converted to ONNX by the core importer). Answers when validation has finished: 201 `{ weight }` ready to
 * use, or 422 with the service's precise reason (nothing is kept), 503 when the inference
 * service is down.
 */
export async function uploadWeight(request: Request, ctx: Context): Promise<Response> {
  let tmpPath: string | undefined;
  try {
    if (request.method !== "POST") throw new UploadError(405, "method_not_allowed", "Use POST.");
    const user = requireUser(ctx);
    const parsed = metaSchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UploadError(400, "bad_request", `${issue?.path.join(".")}: ${issue?.message}`);
    }
    const meta = parsed.data;
    let owner: { teamId: string } | { official: true };
    if (meta.official) {
      if (!user.isSiteAdmin)
        throw new TRPCError({
          code: "FORBIDDEN",
          message: "Only site admins upload official weights.",
        });
      owner = { official: true };
    } else {
      owner = { teamId: (await requireTeam(ctx, meta.teamId ?? null, true)).id };
    }
    const spec = parseSpec(meta);
    const max = env().MAX_WEIGHT_BYTES;
    const length = declaredLength(request);
    if (length !== null && length > max) {
      throw new UploadError(413, "too_large", `The weight is larger than ${formatBytes(max)}.`);
    }
    let file = await receiveToTemp(request.body, max);
    tmpPath = file.tmpPath;
    if (meta.format === "ncnn") {
      file = await convertNcnnZip(file);
      tmpPath = file.tmpPath;
    }
    const weight = await registerWeightUpload(ctx.db, ctx.inference, {
      owner,
      userId: user.id,
      file,
      meta: { ...meta, spec, sourceFormat: meta.format },
    });
    return json({ weight }, 201);
  } catch (error) {
    await removeQuietly(tmpPath);
    return toErrorResponse(error);
  }
}
