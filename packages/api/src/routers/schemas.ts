import { itemStatusSchema, taskKindSchema, taskStatusSchema } from "@studio/contracts/task";
import { z } from "zod";
import { DATASET_LAYOUTS } from "../services/dataset-layout";
import { SOURCE_FORMATS, WEIGHT_STATUSES } from "../services/weights";

export { taskKindSchema };

// Output schemas shared by several routers.
export const id = z.string().min(1).max(64);
export const roleSchema = z.enum(["ADMIN", "MEMBER"]);
export const weightStatusSchema = z.enum(WEIGHT_STATUSES);

/**
 * The store keeps these enums as plain strings (SQLite has no enum type). The output accepts
 * the string and parses it into the enum, so clients get the union type and a value outside
 * the list fails here instead of reaching a page.
 */
const stored = <T extends z.ZodType<string, string>>(schema: T) => z.string().pipe(schema);
export const storedTaskKind = stored(taskKindSchema);
export const storedTaskStatus = stored(taskStatusSchema);
export const storedItemStatus = stored(itemStatusSchema);
export const storedWeightStatus = stored(weightStatusSchema);
export const storedSourceFormat = stored(z.enum(SOURCE_FORMATS));
export const storedDatasetLayout = stored(z.enum(DATASET_LAYOUTS));

export const userOutput = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  isSiteAdmin: z.boolean(),
  createdAt: z.date(),
});

export const teamSummaryOutput = z.object({
  id: z.string(),
  name: z.string(),
  isPersonal: z.boolean(),
  role: roleSchema,
});

export const okOutput = z.object({ ok: z.literal(true) });

/** Cursor paging: `cursor` is the id of the last row of the previous page. */
export const pageInput = z.object({
  cursor: id.nullish(),
  limit: z.number().int().min(1).max(100).default(50),
});

export const actorOutput = z.object({ id: z.string(), name: z.string() });
export const pageOutput = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export const jsonRecord = z.record(z.string(), z.unknown());
