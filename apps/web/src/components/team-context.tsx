"use client";

import type { RouterOutputs } from "@studio/api";
import { useQuery } from "@tanstack/react-query";
import { useParams, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { pathForTeam } from "~/lib/routes";
import { useTRPC } from "~/trpc/react";

export type CurrentTeam = RouterOutputs["auth"]["me"]["teams"][number];

interface TeamState {
  /** The team of the page: from the URL on team pages, else the last one chosen. */
  team: CurrentTeam | null;
  teams: CurrentTeam[];
  isSiteAdmin: boolean;
  /** The URL names a team the user is not a member of (or that does not exist). */
  unknownTeam: boolean;
  /** Switches team: the same page for the other team, or remembered on pages outside teams. */
  setTeamId: (id: string) => void;
  isLoading: boolean;
  error: unknown;
}

const TeamContext = createContext<TeamState | null>(null);
const STORAGE_KEY = "studio.teamId";

/**
 * Team pages take the team from the URL (/t/<teamId>/...), so links work for every member
 * whatever they last chose. The browser only remembers the last team, for `/`, old URLs
 * without a team and pages outside teams; without one, the personal team.
 */
export function TeamProvider({ children }: { children: React.ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const params = useParams<{ teamId?: string }>();
  const routeTeamId = typeof params?.teamId === "string" ? params.teamId : null;
  const router = useRouter();
  // undefined until read: storage exists only in the browser, after hydration.
  const [remembered, setRemembered] = useState<string | null | undefined>(undefined);

  useEffect(() => {
    setRemembered(window.localStorage.getItem(STORAGE_KEY));
  }, []);

  const teams = useMemo(() => me.data?.teams ?? [], [me.data]);
  const routeTeam = routeTeamId ? (teams.find((t) => t.id === routeTeamId) ?? null) : null;

  useEffect(() => {
    if (!routeTeam) return;
    window.localStorage.setItem(STORAGE_KEY, routeTeam.id);
    setRemembered(routeTeam.id);
  }, [routeTeam]);

  const setTeamId = useCallback(
    (id: string) => {
      window.localStorage.setItem(STORAGE_KEY, id);
      setRemembered(id);
      // The address bar, not the rendered route: right after a navigation the new page may
      // still be loading, and switching must leave from where the user is now.
      const target = pathForTeam(window.location.pathname, id);
      if (target) router.push(target);
    },
    [router],
  );

  const value = useMemo<TeamState>(() => {
    const fallback =
      teams.find((t) => t.id === remembered) ?? teams.find((t) => t.isPersonal) ?? teams[0] ?? null;
    return {
      team: routeTeamId ? routeTeam : fallback,
      teams,
      isSiteAdmin: me.data?.isSiteAdmin ?? false,
      unknownTeam: Boolean(routeTeamId && me.data && !routeTeam),
      setTeamId,
      isLoading: me.isPending || remembered === undefined,
      error: me.error,
    };
  }, [me.data, me.isPending, me.error, teams, remembered, routeTeamId, routeTeam, setTeamId]);

  return <TeamContext.Provider value={value}>{children}</TeamContext.Provider>;
}

export function useTeam(): TeamState {
  const value = useContext(TeamContext);
  if (!value) throw new Error("useTeam must be used inside <TeamProvider>");
  return value;
}

/** The current team's id; components render only after the team is known. */
export function useTeamId(): string {
  const { team } = useTeam();
  if (!team) throw new Error("no current team");
  return team.id;
}
