import { useTranslations } from "next-intl";
import { useCallback } from "react";

/** What the server appends to the owner's name when it makes a personal team at sign-up. */
const PERSONAL_SUFFIX = " (personal)";

interface NamedTeam {
  name: string;
  isPersonal: boolean;
}

/** The owner's name of a personal team that still has the name it got at sign-up; else null. */
export function personalTeamOwner(team: NamedTeam): string | null {
  if (!team.isPersonal || !team.name.endsWith(PERSONAL_SUFFIX)) return null;
  return team.name.slice(0, -PERSONAL_SUFFIX.length);
}

/**
 * `(team) => name` as the page shows it. The server names a personal team "<owner> (personal)"
 * in English; that suffix is shown in the page's language. Any other name (a renamed personal
 * team too) is the team's own and shows as it is.
 */
export function useTeamName(): (team: NamedTeam) => string {
  const t = useTranslations("team");
  return useCallback(
    (team: NamedTeam) => {
      const owner = personalTeamOwner(team);
      return owner === null ? team.name : t("personalName", { owner });
    },
    [t],
  );
}
