"use client";

import { useQuery } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { useTRPC } from "~/trpc/react";

export interface CurrentTeam {
  id: string;
  name: string;
  isPersonal: boolean;
  role: "ADMIN" | "MEMBER";
}

interface TeamState {
  team: CurrentTeam | null;
  teams: CurrentTeam[];
  isSiteAdmin: boolean;
  setTeamId: (id: string) => void;
  isLoading: boolean;
  error: unknown;
}

const TeamContext = createContext<TeamState | null>(null);
const STORAGE_KEY = "studio.teamId";

/**
 * Every team-scoped procedure takes a teamId; the chosen team lives here (remembered per
 * browser) so pages need not thread it through the URL. Defaults to the personal team.
 */
export function TeamProvider({ children }: { children: React.ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const [chosen, setChosen] = useState<string | null>(null);

  useEffect(() => {
    setChosen(window.localStorage.getItem(STORAGE_KEY));
  }, []);

  const setTeamId = useCallback((id: string) => {
    window.localStorage.setItem(STORAGE_KEY, id);
    setChosen(id);
  }, []);

  const value = useMemo<TeamState>(() => {
    const teams = (me.data?.teams ?? []) as CurrentTeam[];
    const team =
      teams.find((t) => t.id === chosen) ?? teams.find((t) => t.isPersonal) ?? teams[0] ?? null;
    return {
      team,
      teams,
      isSiteAdmin: me.data?.isSiteAdmin ?? false,
      setTeamId,
      isLoading: me.isPending,
      error: me.error,
    };
  }, [me.data, me.isPending, me.error, chosen, setTeamId]);

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
