"use client";

import { useTranslations } from "next-intl";
import { SelectControl } from "~/components/select-field";
import { useTeam } from "~/components/team-context";
import { useTeamName } from "~/lib/team-name";

export function TeamSwitcher() {
  const t = useTranslations();
  const { team, teams, setTeamId } = useTeam();
  const teamName = useTeamName();
  if (!team) return null;
  return (
    <div className="grid min-w-0 gap-1">
      <span id="team-switcher-label" className="px-1 text-xs text-muted-foreground">
        {t("nav.team")}
      </span>
      <SelectControl
        labelledBy="team-switcher-label"
        testId="team-switcher"
        className="min-w-0"
        value={team.id}
        onValueChange={setTeamId}
        options={teams.map((item) => ({
          value: item.id,
          label: `${teamName(item)} · ${t(`roles.${item.role}`)}`,
        }))}
      />
    </div>
  );
}
