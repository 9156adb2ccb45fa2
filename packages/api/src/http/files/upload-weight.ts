import {
  blankImportReport,
  type ImportReportWire as ImportReport,
} from "@studio/contracts/inference/import-report";
import {
  checkWeightHead,
  WEIGHT_HEAD_BYTES,
  type WeightExpectation,
  weightMismatchMessage,
} from "@studio/contracts/weight-file";
import type { ArchitectureInfo } from "@studio/core/architectures/catalog";
import { SPEC_PRESETS, TaskKind } from "@studio/core/spec";
import { z } from "zod";
import type { Context } from "../../context";
import { env } from "../../env";
import { AppError, badRequest, forbidden } from "../../errors";
import {
  architectureFor,
  type ImportFormat,
  importStateDict,
  isImportableName,
  namedArchitecture,
} from "../../services/import-weight";
import { convertNcnnZip } from "../../services/ncnn-weight";
import { registerWeightUpload } from "../../services/weights";
import { deleteBlobsQuietly, type StoredFile, stageFile } from "../../storage/blobs";
import { formatBytes, receiveToTemp, removeQuietly } from "../../storage/files";
import {
  checkStorageQuota,
  checkUploadLimits,
  declaredLength,
  requireTeam,
  requireUser,
} from "./access";
import { peekBody } from "./peek-body";
import { json, toErrorResponse } from "./responses";

const metaSchema = z.object({
  teamId: z.string().min(1).max(64).optional(),
  official: z.enum(["1", "true"]).optional(),
  /** Required for ONNX and NCNN; an imported state_dict takes its architecture's. */
  taskKind: TaskKind.optional(),
  /** Required for ONNX and NCNN; an import defaults to the architecture's name and id. */
  name: z.string().trim().min(1).max(200).optional(),
  family: z.string().trim().min(1).max(100).optional(),
  version: z.string().trim().min(1).max(50),
  description: z.string().max(2000).optional(),
  license: z.string().max(200).optional(),
  /** A named spec preset (see @studio/core/spec SPEC_PRESETS) ... */
  specPreset: z.string().max(100).optional(),
  /** ... or the spec as JSON; neither lets the service derive it from the graph. */
  spec: z.string().max(20_000).optional(),
  /**
   * onnx: the body is the .onnx file; ncnn: a zip with one .param and one .bin; pytorch /
   * safetensors: a state_dict for `architecture`. Absent: an import when `fileName` ends in
   * .pth/.pt/.safetensors or `architecture` is given, else onnx.
   */
  format: z.enum(["onnx", "ncnn", "pytorch", "safetensors"]).optional(),
  /**
   * For a state_dict: absent = detected from the weights; a family (rrdb, srvgg, unet) = detected
   * within it; an id of @studio/core/architectures/catalog (octa-unet, rrdbnet-x2-nf64-nb23-gc32,
   * ...) = the file is checked against it.
   */
  architecture: z.string().trim().min(1).max(100).optional(),
  /** The uploaded file's name, for the import report. */
  fileName: z.string().trim().min(1).max(255).optional(),
});

type Meta = z.infer<typeof metaSchema>;

function resolveFormat(meta: Meta): "onnx" | "ncnn" | ImportFormat {
  if (meta.format) return meta.format;
  if (isImportableName(meta.fileName) || meta.architecture) {
    return meta.fileName?.toLowerCase().endsWith(".safetensors") ? "safetensors" : "pytorch";
  }
  return "onnx";
}

/**
 * What the body must look like for the format, and the code a mismatch answers with: the code the
 * full check would have given (the validator's not_onnx, the importer's unknown_format, the NCNN
 * archive's bad_ncnn_archive), so a client sees the same refusal, only sooner.
 */
const EXPECTED: Record<
  "onnx" | "ncnn" | ImportFormat,
  { head: WeightExpectation; code: "not_onnx" | "unknown_format" | "bad_ncnn_archive" }
> = {
  onnx: { head: "onnx", code: "not_onnx" },
  ncnn: { head: "ncnn_zip", code: "bad_ncnn_archive" },
  pytorch: { head: "state_dict", code: "unknown_format" },
  safetensors: { head: "state_dict", code: "unknown_format" },
};

/**
 * Reads the first WEIGHT_HEAD_BYTES of the body and refuses a file that is plainly not the
 * format before the rest is read: the answer goes out while the client is still sending, and
 * nothing of the body is stored. What comes back is the whole body, to receive as usual.
 */
async function refuseWrongFormat(
  body: ReadableStream<Uint8Array> | null,
  format: "onnx" | "ncnn" | ImportFormat,
  declared: number | null,
  meta: Meta,
): Promise<ReadableStream<Uint8Array> | null> {
  if (!body) return body;
  const peeked = await peekBody(body, WEIGHT_HEAD_BYTES);
  // An empty body is receiveToTemp's to refuse, in its words.
  if (peeked.head.length === 0) return peeked.body;
  const size =
    peeked.head.length < WEIGHT_HEAD_BYTES ? peeked.head.length : (declared ?? undefined);
  const expected = EXPECTED[format];
  const check = checkWeightHead(peeked.head, expected.head, size);
  if (check.ok) return peeked.body;
  await peeked.cancel();
  const message = weightMismatchMessage(check.found, check.expected);
  const mismatch = { found: check.found, expected: check.expected };
  throw new AppError(expected.code, message, {
    // A state_dict's refusals carry the import report (the web app shows it); this one too.
    details:
      expected.head === "state_dict"
        ? { ...emptyImportRefusal(meta, size ?? peeked.head.length, message), ...mismatch }
        : mismatch,
  });
}

/** The import report of a file refused before the importer saw it: nothing was read. */
function emptyImportRefusal(meta: Meta, sizeBytes: number, message: string): ImportReport {
  return {
    ...blankImportReport({
      architecture: meta.architecture ?? "",
      fileName: meta.fileName ?? "",
      sizeBytes,
    }),
    summary: message,
    error: { code: "unknown_format", message },
  };
}

/** Task kind, name and family: given, or for an import the architecture's. */
function describeUpload(meta: Meta, architecture: ArchitectureInfo | null) {
  if (architecture) {
    if (meta.taskKind && meta.taskKind !== architecture.taskKind) {
      throw badRequest(
        `taskKind: ${architecture.id} is a ${architecture.taskKind} architecture, not ${meta.taskKind}.`,
      );
    }
    return {
      taskKind: architecture.taskKind,
      name: meta.name ?? architecture.name,
      family: meta.family ?? architecture.id,
    };
  }
  for (const key of ["taskKind", "name", "family"] as const) {
    if (!meta[key]) throw badRequest(`${key}: required`);
  }
  return {
    taskKind: meta.taskKind as TaskKind,
    name: meta.name as string,
    family: meta.family as string,
  };
}

function parseSpec(meta: Meta): unknown {
  if (meta.spec) {
    try {
      return JSON.parse(meta.spec);
    } catch {
      throw new AppError("invalid_spec", "spec is not valid JSON.");
    }
  }
  if (meta.specPreset) {
    const preset = (SPEC_PRESETS as Record<string, unknown>)[meta.specPreset];
    if (!preset) {
      throw new AppError(
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
 * (converted to ONNX by the core importer), `format=pytorch|safetensors` for a state_dict, with
 * an optional `architecture` (absent: detected from the keys and shapes; a family or an id: a
 * check), built into ONNX by @studio/core/importers; a refusal answers 422 with the import
 * report in `error.details`. A body whose first bytes are plainly not the format (a PNG sent
 * as ONNX, an ONNX file sent as a state_dict) is refused from them at once, with the code the full
 * check would give and `details: { found, expected }` (@studio/contracts/weight-file), before the
 * rest is read. Answers when validation has finished: 201 `{ weight }` ready to
 * use, or 422 with the service's precise reason (nothing is kept), 503 when the inference
 * service or the file storage is unreachable. The upload is staged in the blob store (incoming/)
 * for the service to validate or convert, then kept under weights/<sha256>.onnx.
 */
export async function uploadWeight(request: Request, ctx: Context): Promise<Response> {
  let tmpPath: string | undefined;
  /** The ONNX file staged in the store, until registerWeightUpload keeps or deletes it. */
  let stagedKey: string | undefined;
  try {
    if (request.method !== "POST") throw new AppError("method_not_supported", "Use POST.");
    const user = requireUser(ctx);
    const parsed = metaSchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badRequest(`${issue?.path.join(".")}: ${issue?.message}`);
    }
    const meta = parsed.data;
    let owner: { teamId: string } | { official: true };
    if (meta.official) {
      if (!user.isSiteAdmin) throw forbidden("Only site admins upload official weights.");
      owner = { official: true };
    } else {
      owner = { teamId: (await requireTeam(ctx, meta.teamId ?? null, true)).id };
    }
    const format = resolveFormat(meta);
    const imported = format === "pytorch" || format === "safetensors";
    const architectureParam = imported ? architectureFor(meta.architecture) : undefined;
    // A named id is checked against the task kind before the body is read; a detected one
    // only once the service has converted the file.
    const named = namedArchitecture(architectureParam);
    if (!imported || named) describeUpload(meta, named);
    const givenSpec = parseSpec(meta);
    const max = env().MAX_WEIGHT_BYTES;
    const length = declaredLength(request);
    if (length !== null && length > max) {
      throw new AppError("payload_too_large", `The weight is larger than ${formatBytes(max)}.`);
    }
    await checkUploadLimits(ctx, user, length);
    const body = await refuseWrongFormat(request.body, format, length, meta);
    const received = await receiveToTemp(body, max);
    tmpPath = received.tmpPath;
    let importReport: ImportReport | undefined;
    let architecture: ArchitectureInfo | null = null;
    let file: StoredFile;
    // Each of these removes the temp file; what comes back is the ONNX file staged in the store.
    if (format === "ncnn") {
      file = await convertNcnnZip(received, ctx.inference);
    } else if (imported) {
      ({
        file,
        report: importReport,
        architecture,
      } = await importStateDict(
        received,
        {
          architecture: architectureParam,
          fileName: meta.fileName,
          format: format as ImportFormat,
        },
        ctx.inference,
      ));
    } else {
      file = await stageFile(received, ".onnx");
    }
    tmpPath = undefined;
    stagedKey = file.key;
    const described = describeUpload(meta, architecture);
    const spec = givenSpec ?? architecture?.defaultSpec;
    // What is stored is the ONNX file, whose size the declared length did not know.
    await checkStorageQuota(ctx, user, file.size);
    const weight = await registerWeightUpload(ctx.db, ctx.inference, {
      owner,
      userId: user.id,
      file,
      meta: {
        ...meta,
        ...described,
        spec,
        // The container the reader found, which may differ from a mislabelled declaration.
        sourceFormat: importReport?.format ?? (format as "onnx" | "ncnn"),
        importReport,
      },
    });
    return json({ weight }, 201);
  } catch (error) {
    // A staged object registerWeightUpload moved or deleted is gone; deleting it again is a no-op.
    await Promise.all([removeQuietly(tmpPath), deleteBlobsQuietly(stagedKey)]);
    return toErrorResponse(error);
  }
}
