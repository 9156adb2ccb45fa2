import { type SystemResponse, systemResponseSchema } from "@studio/contracts/inference/system";
import { listNodes } from "@studio/db/nodes";
import { queueStats } from "@studio/db/queue";
import { z } from "zod";
import { protectedProcedure, publicProcedure, router } from "../trpc";

/**
 * What a member who is not a site admin sees of the host: enough for the dashboard's device,
 * CPU and memory lines, without hostname, versions, paths or load of other teams' work.
 */
const hostSummarySchema = z.object({
  cpu: z.object({ model: z.string(), cores: z.number().int(), loadAverage: z.array(z.number()) }),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number() }),
  gpu: z.object({
    cudaAvailable: z.boolean(),
    devices: z.array(z.object({ name: z.string() })),
  }),
  providers: z.array(z.string()),
});
type HostSummary = z.infer<typeof hostSummarySchema>;

function summarise(report: SystemResponse): HostSummary {
  return {
    cpu: { model: report.cpu.model, cores: report.cpu.cores, loadAverage: [] },
    memory: { totalBytes: report.memory.totalBytes, freeBytes: report.memory.freeBytes },
    gpu: {
      cudaAvailable: report.gpu.cudaAvailable,
      devices: report.gpu.devices.map((d) => ({ name: d.name })),
    },
    providers: report.providers.map((p) => p.name),
  };
}

export const systemRouter = router({
  /** Liveness of the web side; no data. */
  health: publicProcedure
    .input(z.void())
    .output(z.object({ ok: z.literal(true), time: z.date() }))
    .query(() => ({ ok: true as const, time: new Date() })),

  /**
   * Queue depth, workers alive, and the inference service's host report (or why not). Site
   * admins get everything (counts by every state, the worker list, the full host report);
   * other users get the queued/running totals, worker counts and a host summary
   * (`detail: "summary"`), since the queue and hosts are shared by all teams.
   */
  status: protectedProcedure
    .input(z.void())
    .output(
      z.object({
        detail: z.enum(["full", "summary"]),
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
        /**
         * The inference nodes of the installation: how many are up, and for site admins each
         * one with its state (up, down: stopped heartbeating, stopped: shut down cleanly).
         */
        nodes: z.object({
          up: z.number().int(),
          total: z.number().int(),
          list: z.array(
            z.object({
              id: z.string(),
              url: z.string(),
              hostname: z.string(),
              device: z.string(),
              state: z.enum(["up", "down", "stopped"]),
              load: z.number().int(),
              capacity: z.number().int(),
              weightsLoaded: z.number().int(),
              version: z.string(),
              heartbeatAt: z.date(),
              startedAt: z.date(),
            }),
          ),
        }),
        inference: z.object({
          reachable: z.boolean(),
          /** Host, CPU, memory, GPU, execution providers, worker and preview load. */
          report: z.union([systemResponseSchema, hostSummarySchema]).nullable(),
          error: z.string().nullable(),
        }),
      }),
    )
    .query(async ({ ctx }) => {
      const full = ctx.user.isSiteAdmin;
      const [stats, nodeList] = await Promise.all([queueStats(ctx.db), listNodes(ctx.db)]);
      let inference: {
        reachable: boolean;
        report: SystemResponse | HostSummary | null;
        error: string | null;
      };
      try {
        const report = await ctx.inference.system();
        inference = { reachable: true, report: full ? report : summarise(report), error: null };
      } catch (error) {
        inference = {
          reachable: false,
          report: null,
          error:
            full && error instanceof Error
              ? error.message
              : "The inference service is unavailable.",
        };
      }
      const workers = {
        alive: stats.workers.alive,
        total: stats.workers.total,
        list: full
          ? stats.workers.list.map(({ id, hostname, device, alive, heartbeatAt, startedAt }) => ({
              id,
              hostname,
              device,
              alive,
              heartbeatAt,
              startedAt,
            }))
          : [],
      };
      const tasks = full
        ? stats.tasks
        : { queued: stats.tasks.queued ?? 0, running: stats.tasks.running ?? 0 };
      const nodes = {
        up: nodeList.filter((node) => node.state === "up").length,
        total: nodeList.length,
        list: full
          ? nodeList.map(({ providers: _, pid: __, weights, ...node }) => ({
              ...node,
              weightsLoaded: weights.length,
            }))
          : [],
      };
      return {
        detail: full ? ("full" as const) : ("summary" as const),
        queue: { tasks, ready: stats.ready, delayed: stats.delayed },
        workers,
        nodes,
        inference,
      };
    }),
});
