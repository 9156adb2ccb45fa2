// The PDF report's words. The API has no next-intl, so each language is one small module here
// (strings-en.ts, strings-zh-cn.ts); where the web app's report page says the same thing
// (messages/*.json: kinds, status, newTask.*, tasks.*), the words are the same, so the PDF
// reads like the page it was exported from.
import type { TaskKind } from "@studio/core/spec";
import { TASK_NAME_LOCALES, type TaskNameLocale } from "../task-names";
import { REPORT_STRINGS_EN } from "./strings-en";
import { REPORT_STRINGS_ZH_CN } from "./strings-zh-cn";

/** The web app's locales. */
export const REPORT_LOCALES = TASK_NAME_LOCALES;
export type ReportLocale = TaskNameLocale;

export interface ReportStrings {
  /** Document title, in the footer. */
  title: string;
  /** The cover's heading: the title with the task's name. */
  titleOf: (taskName: string) => string;
  generated: (date: string) => string;
  /** The footer's page number. */
  page: (n: number) => string;
  sections: {
    task: string;
    weight: string;
    params: string;
    checksums: string;
    scores: string;
    images: string;
  };
  labels: {
    name: string;
    kind: string;
    state: string;
    images: string;
    imagesDone: (succeeded: number, total: number, failed: number) => string;
    dataset: string;
    createdBy: string;
    created: string;
    started: string;
    finished: string;
    duration: string;
    durationDetail: (wall: string, sum: string, mean: string) => string;
    device: string;
    weight: string;
    official: string;
    weightSha256: string;
    signature: string;
    signatureHint: string;
    record: string;
    inputSha256: string;
    resultSha256: string;
    before: string;
    after: string;
    /** Caption of the "after" picture by the output shown (mask, probability map ...). */
    outputs: Record<string, string>;
    input: string;
    result: string;
    time: string;
    timeDetail: (total: string, model: string) => string;
    coverage: string;
    coverageValue: (percent: string, threshold: string) => string;
    topLabels: string;
    error: string;
    noPicture: string;
    notRun: string;
  };
  kinds: Record<TaskKind, string>;
  statuses: Record<string, string>;
  params: {
    model: string;
    weightGone: (sha: string) => string;
    tile: string;
    tileAuto: string;
    tileOff: string;
    size: (width: number, height: number) => string;
    overlap: string;
    tuning: string;
    presets: Record<string, string>;
    tuningValues: (v: {
      sharpen: string;
      contrast: string;
      brightness: string;
      saturation: string;
      gamma: string;
      denoise: string;
    }) => string;
    denoiseSize: (size: number) => string;
    denoiseOff: string;
    tuningRaw: string;
    threshold: string;
    topK: string;
    scores: string;
    scoresProbability: string;
    scoresLogits: string;
    output: string;
    formats: Record<string, string>;
    quality: (q: number) => string;
    outputSize: {
      model: string;
      scale: (scale: number) => string;
      width: (px: number) => string;
      height: (px: number) => string;
    };
    colorKeep: string;
    colorSrgb: string;
  };
  /** Quality scores against references (see scores.ts). */
  scores: {
    images: string;
    threshold: string;
    diceIou: string;
    precisionRecall: string;
    clDice: string;
    means: string;
    meansValue: (dice: string, iou: string, clDice: string) => string;
    bestThreshold: string;
    bestThresholdValue: (threshold: string, dice: string) => string;
    reference: string;
    referencePair: string;
    referenceDownscaled: string;
    measuredOn: string;
    measuredOnValue: (crop: number) => string;
    psnr: string;
    ssim: string;
    vsBicubic: (model: string, bicubic: string) => string;
    identical: string;
    top1: string;
    topK: (k: number) => string;
    confusion: string;
    confusionAxes: string;
    confusionTooLarge: (labels: number) => string;
    item: string;
    segmentationItem: (v: {
      dice: string;
      iou: string;
      clDice: string;
      precision: string;
      recall: string;
    }) => string;
    superResolutionItem: (psnr: string, ssim: string) => string;
    classificationItem: (label: string, predicted: string, rank: number | null) => string;
  };
  /** The last page's note when the report holds fewer images than the task. */
  capped: (shown: number, total: number) => string;
}

const STRINGS: Record<ReportLocale, ReportStrings> = {
  en: REPORT_STRINGS_EN,
  "zh-CN": REPORT_STRINGS_ZH_CN,
};

export const reportStrings = (locale: ReportLocale): ReportStrings => STRINGS[locale];

/**
 * The language to write in: the one the page asked for, else the first of the browser's
 * languages that we have (`zh`, `zh-Hans`, `zh-CN` all read as zh-CN), else English.
 */
export function reportLocale(asked: string | null, acceptLanguage: string | null): ReportLocale {
  if (asked && (REPORT_LOCALES as readonly string[]).includes(asked)) return asked as ReportLocale;
  for (const part of (acceptLanguage ?? "").split(",")) {
    const tag = part.split(";")[0]?.trim().toLowerCase() ?? "";
    if (tag === "zh" || tag.startsWith("zh-cn") || tag.startsWith("zh-hans")) return "zh-CN";
    if (tag.startsWith("en")) return "en";
  }
  return "en";
}
