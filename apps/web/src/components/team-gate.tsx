"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { ErrorState, Loading } from "~/components/query-state";
import { useTeam } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { routes } from "~/lib/routes";

/** Renders its children once the current user and team are known. */
export function TeamGate({ children }: { children: React.ReactNode }) {
  const t = useTranslations("team");
  const { team, teams, unknownTeam, isLoading, error } = useTeam();
  if (isLoading) return <Loading />;
  if (unknownTeam) {
    const home = teams.find((item) => item.isPersonal) ?? teams[0];
    return (
      <Alert data-testid="unknown-team">
        {t("unknownTeam")}{" "}
        {home ? (
          <Link className="underline" href={routes.dashboard(home.id)}>
            {t("goToTeam", { name: home.name })}
          </Link>
        ) : null}
      </Alert>
    );
  }
  if (error || !team) return <ErrorState error={error ?? new Error("No team")} />;
  return <>{children}</>;
}
