"use client";

import type { RouterOutputs } from "@studio/api";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { nextPollInterval } from "./polling";

/** What both `tasks.get` and `tasks.status` answer, which is all the interval looks at. */
type PolledTask = Pick<
  RouterOutputs["tasks"]["status"],
  "status" | "progress" | "itemsDone" | "itemsFailed"
>;

/**
 * A react-query `refetchInterval` for one task: fast while running, backing off while it
 * waits unchanged in the queue, stopped at a final state. Hidden tabs are paused by
 * react-query itself (`refetchIntervalInBackground` stays false).
 */
export function useTaskRefetchInterval() {
  const state = useRef({ fingerprint: "", updatedAt: 0, unchanged: 0 });
  return (query: { state: { data?: PolledTask; dataUpdatedAt: number } }): number | false => {
    const data = query.state.data;
    if (!data) return 2000;
    const s = state.current;
    if (query.state.dataUpdatedAt !== s.updatedAt) {
      const fingerprint = `${data.status}|${data.progress}|${data.itemsDone}|${data.itemsFailed}`;
      s.unchanged = fingerprint === s.fingerprint ? s.unchanged + 1 : 0;
      s.fingerprint = fingerprint;
      s.updatedAt = query.state.dataUpdatedAt;
    }
    return nextPollInterval(data.status, s.unchanged);
  };
}

/**
 * A task page's task: `tasks.get` under its own cache key (which renames and other mutations
 * invalidate, and which the item page reads too), polled with `tasks.getIfChanged` and the
 * version of the answer in the cache. While the task is unchanged the server reads one row and
 * answers a few bytes, and the cached answer stays as it is.
 */
export function usePolledTask(teamId: string, taskId: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const refetchInterval = useTaskRefetchInterval();
  const options = trpc.tasks.get.queryOptions({ teamId, taskId });
  return useQuery({
    ...options,
    queryFn: async ({ signal }) => {
      const previous = queryClient.getQueryData(options.queryKey);
      const answer = await client.tasks.getIfChanged.query(
        { teamId, taskId, ifChanged: previous?.version },
        { signal },
      );
      if (!answer.unchanged) {
        const { unchanged: _, ...task } = answer;
        return task;
      }
      // The cache was emptied while the answer was on its way: ask for the whole task.
      return previous ?? client.tasks.get.query({ teamId, taskId }, { signal });
    },
    refetchInterval,
  });
}
