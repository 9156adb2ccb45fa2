// What a downloaded file is called. A result says what it is and never takes the original's
// name (`cat_x4.png`, `page_mask.png`, `page_probability.png`), so saving both into one folder
// keeps both; a task's zip mirrors the dataset's folders under those same names. A team may set
// its own pattern of tokens (`{model}_{name}_{scale}`); the extension is always the product's.
import { z } from "zod";

/** The name without its last extension ("archive.tar.gz" -> "archive.tar"). */
export function fileStem(name: string): string {
  return name.replace(/(?<=[^/\\])\.[^./\\]+$/, "") || "file";
}

/** Which output of an item a file is, as the worker records it. */
export interface ResultNaming {
  taskKind: string;
  /** Super-resolution: the model's scale (the weight spec's, as the worker recorded it). */
  scale?: number | null;
  /**
   * The output: "mask", "probability", "overlay" (segmentation), "scores" (classification),
   * "result" (super-resolution), or another result-metadata key.
   */
  output: string;
  /** With the dot: ".png", ".json". */
  ext: string;
}

/** The suffix after the original's stem: `_x4`, `_mask`, `_probability`, ... */
export function resultSuffix({ taskKind, scale, output }: Omit<ResultNaming, "ext">): string {
  if (output === "result" && taskKind === "super_resolution") {
    return typeof scale === "number" && Number.isFinite(scale) && scale > 0
      ? `_x${Number(scale.toFixed(2))}`
      : "_upscaled";
  }
  return `_${output.replace(/[^\p{L}\p{N}._-]+/gu, "-") || "result"}`;
}

/** What a team's name pattern may say, and what each token stands for. */
export const RESULT_NAME_TOKENS = [
  "name",
  "suffix",
  "output",
  "scale",
  "model",
  "task",
  "index",
] as const;
export type ResultNameToken = (typeof RESULT_NAME_TOKENS)[number];

/** No pattern (or an empty one) names results as before: `cat_x4.png`. */
export const DEFAULT_RESULT_NAME_PATTERN = "{name}{suffix}";
export const RESULT_NAME_PATTERN_MAX = 120;

const TOKEN = /\{([^{}]*)\}/g;
const tokenList = RESULT_NAME_TOKENS.map((t) => `{${t}}`).join(", ");

/**
 * A team's result name pattern: tokens in braces, literal text between them, the extension
 * added by the product. It must hold `{name}` or `{index}` so the files of one task keep
 * distinct names (a zip still adds " (2)" to a name taken twice).
 */
export const resultNamePatternSchema = z
  .string()
  .trim()
  .max(RESULT_NAME_PATTERN_MAX, `A name pattern is at most ${RESULT_NAME_PATTERN_MAX} characters.`)
  .superRefine((pattern, ctx) => {
    if (pattern === "") return;
    const unknown = [...pattern.matchAll(TOKEN)]
      .map((m) => m[1] as string)
      .filter((t) => !(RESULT_NAME_TOKENS as readonly string[]).includes(t));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `Unknown token ${unknown.map((t) => `{${t}}`).join(", ")} in the name pattern. Tokens: ${tokenList}.`,
      });
    }
    if (/[{}]/.test(pattern.replace(TOKEN, ""))) {
      ctx.addIssue({
        code: "custom",
        message: `A brace in the name pattern does not belong to a token. Tokens: ${tokenList}.`,
      });
    }
    if (/[\\/]/.test(pattern)) {
      ctx.addIssue({
        code: "custom",
        message:
          "A name pattern names a file, not a folder: no / or \\ (zips keep the dataset's folders).",
      });
    }
    if (!pattern.includes("{name}") && !pattern.includes("{index}")) {
      ctx.addIssue({
        code: "custom",
        message: `A name pattern must contain {name} or {index} so results keep distinct names. Tokens: ${tokenList}.`,
      });
    }
  });

/**
 * A weight's short name for `{model}`: its name as a lower-case slug
 * ("RealESR AnimeVideo v3 (x4)" -> "realesr-animevideo-v3-x4").
 */
export function modelShortName(weightName: string | null | undefined): string {
  const slug = (weightName ?? "")
    .normalize("NFKD")
    .replace(/\.onnx$/i, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}.]+/gu, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return slug || "model";
}

/** What a pattern's tokens other than the output's own need: the task, model and position. */
export interface ResultNameContext {
  /** The team's pattern; null or empty = `{name}{suffix}`. */
  pattern?: string | null;
  taskName?: string | null;
  weightName?: string | null;
  /** 1-based position of the item in its task. */
  index?: number | null;
}

/** The scale as a token value: "x4", or "" when the output has no scale. */
function scaleToken(scale: number | null | undefined): string {
  return typeof scale === "number" && Number.isFinite(scale) && scale > 0
    ? `x${Number(scale.toFixed(2))}`
    : "";
}

/**
 * The file name of a result: the team's pattern (default `<stem><suffix>`) with the extension
 * appended. A pattern that is invalid (stored before a rule changed) falls back to the default.
 */
export function resultFileName(
  originalName: string,
  naming: ResultNaming,
  context: ResultNameContext = {},
): string {
  const wanted = context.pattern?.trim() || DEFAULT_RESULT_NAME_PATTERN;
  const pattern = resultNamePatternSchema.safeParse(wanted).success
    ? wanted
    : DEFAULT_RESULT_NAME_PATTERN;
  const values: Record<ResultNameToken, string> = {
    name: fileStem(originalName),
    suffix: resultSuffix(naming),
    output: resultSuffix({ ...naming, taskKind: "", scale: null }).slice(1),
    scale: scaleToken(naming.scale),
    model: modelShortName(context.weightName),
    task: (context.taskName ?? "").trim() || "task",
    index: context.index != null ? String(context.index) : "",
  };
  const stem = pattern
    .replace(TOKEN, (_, token: ResultNameToken) => values[token] ?? "")
    .replace(/[\\/]+/g, "_")
    .trim();
  return `${stem || values.name}${naming.ext}`;
}

/**
 * The output a variant query names: "probability" and the worker's key "probabilityPath" are
 * the same file.
 */
export const variantOutput = (variant: string) => variant.replace(/Path$/, "") || variant;

/**
 * What an item's main file is: segmentation stores the mask as its main file, or the first
 * output switched on when the mask is off (then the main path is also the variant's path).
 */
export function mainOutput(
  taskKind: string,
  resultPath: string,
  meta: Record<string, unknown>,
): string {
  if (taskKind === "super_resolution") return "result";
  if (taskKind === "classification") return "scores";
  if (meta.probabilityPath === resultPath) return "probability";
  if (meta.overlayPath === resultPath) return "overlay";
  return "mask";
}

// Characters no common file system takes in a name (Windows is the strictest), control
// characters included; a zip entry with them would not extract on every machine.
const UNSAFE_IN_NAME = /[<>:"|?*\\\p{Cc}]/gu;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/** One folder or file name safe to extract anywhere. */
function safeSegment(segment: string): string {
  const cleaned = segment.replace(UNSAFE_IN_NAME, "_").replace(/[. ]+$/, "");
  if (!cleaned || cleaned === "." || cleaned === "..") return "_";
  return WINDOWS_RESERVED.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * The folder part of a dataset path ("cats/small/a.jpg" -> "cats/small/"), made safe: no empty,
 * `.` or `..` segments, so no entry can point outside the folder it is extracted into.
 */
export function safeFolder(relativePath: string): string {
  const parts = relativePath.split(/[\\/]+/).filter((p) => p !== "" && p !== "." && p !== "..");
  parts.pop();
  return parts.map((p) => `${safeSegment(p)}/`).join("");
}

/** A file name made safe for a zip entry (no folder part). */
export const safeFileName = (name: string) => safeSegment(name.split(/[\\/]/).pop() ?? "");

/**
 * Hands out zip entry names, adding " (2)", " (3)" ... before the extension to a name already
 * taken. Names are compared without case, since macOS and Windows extract `A.png` and `a.png`
 * onto the same file.
 */
export class UniqueNames {
  private readonly taken = new Set<string>();

  claim(wanted: string): string {
    const dot = wanted.lastIndexOf(".");
    const slash = wanted.lastIndexOf("/");
    const hasExt = dot > slash + 1;
    const base = hasExt ? wanted.slice(0, dot) : wanted;
    const ext = hasExt ? wanted.slice(dot) : "";
    let name = wanted;
    for (let n = 2; this.taken.has(name.toLowerCase()); n++) name = `${base} (${n})${ext}`;
    this.taken.add(name.toLowerCase());
    return name;
  }
}

/**
 * A file made of a whole task (its report `.pdf`, its results `.zip`) is called after the task:
 * `<task name><ext>`, made safe like a zip entry (a "/" in the name is kept as "_", not taken
 * as a folder).
 */
export function taskFileName(taskName: string, ext: string): string {
  const stem = taskName.replace(/[\\/]+/g, "_").trim();
  return `${safeSegment(stem || "task")}${ext}`;
}
