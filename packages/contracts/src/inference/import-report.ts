// The importer's report on a state_dict upload: sent by the inference service with a
// conversion (and in `details` of its refusal), stored by the API, shown by the web app.
import { z } from "zod";
import { importErrorCodeSchema } from "../errors";

const keyShapeSchema = z.array(z.number());

/**
 * @studio/core/importers ImportReport on the wire (the inference service fails to compile when
 * the two drift apart). Loose, so a field the importer gains later still reaches the web app.
 */
export const importReportSchema = z.looseObject({
  verdict: z.enum(["accepted", "rejected"]),
  /** One sentence for the UI: why rejected, or what was accepted. */
  summary: z.string(),
  problems: z.array(z.string()),
  warnings: z.array(z.string()),
  architecture: z.string(),
  fileName: z.string(),
  sizeBytes: z.number(),
  format: z.enum(["pytorch", "safetensors"]).nullable(),
  /** A file-level failure (unreadable, unsafe, not a state_dict) with its stable code. */
  error: z.object({ code: importErrorCodeSchema, message: z.string() }).nullable(),
  wrapperKey: z.string().nullable(),
  strippedPrefix: z.string().nullable(),
  tensorCount: z.number(),
  parameterCount: z.number(),
  dtypes: z.record(z.string(), z.number()),
  nonFinite: z.array(z.string()),
  missing: z.array(z.object({ key: z.string(), expectedShape: keyShapeSchema })),
  unexpected: z.array(z.object({ key: z.string(), shape: keyShapeSchema, dtype: z.string() })),
  shapeMismatches: z.array(
    z.object({ key: z.string(), expectedShape: keyShapeSchema, actualShape: keyShapeSchema }),
  ),
  dtypeMismatches: z.array(z.object({ key: z.string(), dtype: z.string() })),
  matched: z.number(),
});
export type ImportReportWire = z.infer<typeof importReportSchema>;

/**
 * A rejected report with nothing read yet: where every import starts, and the whole answer for a
 * file refused before the importer saw it.
 */
export function blankImportReport(file: {
  architecture: string;
  fileName: string;
  sizeBytes: number;
}) {
  return {
    verdict: "rejected" as const,
    summary: "",
    problems: [],
    warnings: [],
    ...file,
    format: null,
    error: null,
    wrapperKey: null,
    strippedPrefix: null,
    tensorCount: 0,
    parameterCount: 0,
    dtypes: {},
    nonFinite: [],
    missing: [],
    unexpected: [],
    shapeMismatches: [],
    dtypeMismatches: [],
    matched: 0,
  } satisfies ImportReportWire;
}
