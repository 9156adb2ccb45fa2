"use client";

import { ErrorState, Loading } from "~/components/query-state";
import { useTeam } from "~/components/team-context";

/** Renders its children once the current user and team are known. */
export function TeamGate({ children }: { children: React.ReactNode }) {
  const { team, isLoading, error } = useTeam();
  if (isLoading) return <Loading />;
  if (error || !team) return <ErrorState error={error ?? new Error("No team")} />;
  return <>{children}</>;
}
