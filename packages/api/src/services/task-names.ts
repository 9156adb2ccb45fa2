import type { TaskKind } from "@studio/core/spec";
import { z } from "zod";

export const TASK_NAME_MAX = 120;

/** A name as a caller gives it: trimmed, 1..120 characters. */
export const taskNameSchema = z.string().trim().min(1).max(TASK_NAME_MAX);

/** Languages the default name can be worded in (the web app's locales). */
export const TASK_NAME_LOCALES = ["en", "zh-CN"] as const;
export type TaskNameLocale = (typeof TASK_NAME_LOCALES)[number];

// The API words the default name itself so API clients get one too; the web app's messages
// hold the same kind names (messages/*.json "kinds"), which the API cannot read.
const WORDS: Record<
  TaskNameLocale,
  { kinds: Record<TaskKind, string>; more: (n: number) => string }
> = {
  en: {
    kinds: {
      segmentation: "Segmentation",
      super_resolution: "Super-resolution",
      classification: "Classification",
    },
    more: (n) => ` (+${n} more)`,
  },
  "zh-CN": {
    kinds: { segmentation: "图像分割", super_resolution: "超分辨率", classification: "图像分类" },
    more: (n) => `（另 ${n} 张）`,
  },
};

/**
 * "<kind> · <first image> (+N more)", at most TASK_NAME_MAX characters: a long image name is
 * shortened with an ellipsis so the kind and the count stay readable.
 */
export function defaultTaskName(
  kind: TaskKind,
  firstImageName: string | null,
  imageCount: number,
  locale: TaskNameLocale = "en",
): string {
  const words = WORDS[locale];
  const head = words.kinds[kind];
  if (!firstImageName) return head;
  const tail = imageCount > 1 ? words.more(imageCount - 1) : "";
  // Lengths in UTF-16 code units, as zod's max counts them; cut between code points.
  const room = TASK_NAME_MAX - head.length - " · ".length - tail.length;
  let image = firstImageName;
  if (image.length > room) {
    image = "";
    for (const char of firstImageName) {
      if (image.length + char.length > room - 1) break;
      image += char;
    }
    image += "…";
  }
  return `${head} · ${image}${tail}`;
}
