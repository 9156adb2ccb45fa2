"use client";

import type { RouterOutputs } from "@studio/api";
import { useRef } from "react";
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
