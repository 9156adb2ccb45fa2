"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { Loading } from "~/components/query-state";
import { useTeamId } from "~/components/team-context";
import { legacyPathForTeam, routes } from "~/lib/routes";

/**
 * Old team page URLs (`/tasks/<id>`, `/weights`, ... from before the team was in the URL) keep
 * working: they open the same page in the last team chosen in this browser, else the personal
 * team. Rendered inside the team gate, so that team is known.
 */
export function LegacyTeamRedirect() {
  const router = useRouter();
  const teamId = useTeamId();
  useEffect(() => {
    const { pathname, search, hash } = window.location;
    const target = legacyPathForTeam(pathname, search, teamId) ?? routes.dashboard(teamId);
    router.replace(`${target}${hash}`);
  }, [router, teamId]);
  return <Loading />;
}
