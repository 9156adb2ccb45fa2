import { queueStats } from "@studio/db/queue";
import { type SystemResponse, systemResponseSchema } from "@studio/inference/protocol";
import { z } from "zod";
import { protectedProcedure, publicProcedure, router } from "../trpc";

export const systemRouter = router({
  /** Liveness of the web side; no data. */
  health: publicProcedure
    .input(z.void())
    .output(z.object({ ok: z.literal(true), time: z.date() }))
    .query(() => ({ ok: true as const, time: new Date() })),

  /** Queue depth by state, workers alive, and the inference service's host report (or why not). */
  status: protectedProcedure
    .input(z.void())
    .output(
      z.object({
        queue: z.object({
          tasks: z.record(z.string(), z.number().int()),
          ready: z.number().int(),
          delayed: z.number().int(),
        }),
        workers: z.object({
          alive: z.number().int(),
          total: z.number().int(),
          list: z.array(
            z.object({
              id: z.string(),
              hostname: z.string(),
              device: z.string(),
              alive: z.boolean(),
              heartbeatAt: z.date(),
              startedAt: z.date(),
            }),
          ),
        }),
        inference: z.object({
          reachable: z.boolean(),
          /** Host, CPU, memory, GPU, execution providers, worker and preview load. */
          report: systemResponseSchema.nullable(),
          error: z.string().nullable(),
        }),
      }),
    )
    .query(async ({ ctx }) => {
      const stats = await queueStats(ctx.db);
      let inference: { reachable: boolean; report: SystemResponse | null; error: string | null };
      try {
        inference = { reachable: true, report: await ctx.inference.system(), error: null };
      } catch (error) {
        inference = {
          reachable: false,
          report: null,
          error: error instanceof Error ? error.message : "inference service unavailable",
        };
      }
      return {
        queue: { tasks: stats.tasks, ready: stats.ready, delayed: stats.delayed },
        workers: {
          alive: stats.workers.alive,
          total: stats.workers.total,
          list: stats.workers.list.map(
            ({ id, hostname, device, alive, heartbeatAt, startedAt }) => ({
              id,
              hostname,
              device,
              alive,
              heartbeatAt,
              startedAt,
            }),
          ),
        },
        inference,
      };
    }),
});
