import { z } from "zod";

// Output schemas shared by several routers.
export const id = z.string().min(1).max(64);
export const roleSchema = z.enum(["ADMIN", "MEMBER"]);
export const taskKindSchema = z.enum(["segmentation", "super_resolution", "classification"]);

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
