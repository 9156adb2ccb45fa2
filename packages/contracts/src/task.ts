// Task kinds and statuses: the one list every package and the browser use. Depends on zod
// alone, so client components, the API and the inference service can all import it.
import { z } from "zod";

export const TASK_KINDS = ["segmentation", "super_resolution", "classification"] as const;
export const taskKindSchema = z.enum(TASK_KINDS);
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "partially_failed",
  "failed",
  "canceled",
] as const;
export const taskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const FINAL_TASK_STATUSES = ["succeeded", "partially_failed", "failed", "canceled"] as const;
export type FinalTaskStatus = (typeof FINAL_TASK_STATUSES)[number];

export const ITEM_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export const itemStatusSchema = z.enum(ITEM_STATUSES);
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export function isFinalTaskStatus(status: string): status is FinalTaskStatus {
  return (FINAL_TASK_STATUSES as readonly string[]).includes(status);
}
