"use client";

import { useTranslations } from "next-intl";
import { useTeam } from "~/components/team-context";
import {
  Select,
  SelectContent,
  SelectItem,
  SelectTrigger,
  SelectValue,
} from "~/components/ui/select";

export function TeamSwitcher() {
  const t = useTranslations();
  const { team, teams, setTeamId } = useTeam();
  if (!team) return null;
  return (
    <div className="grid min-w-0 gap-1">
      <span id="team-switcher-label" className="px-1 text-xs text-muted-foreground">
        {t("nav.team")}
      </span>
      <Select value={team.id} onValueChange={setTeamId}>
        <SelectTrigger
          aria-labelledby="team-switcher-label"
          data-testid="team-switcher"
          className="min-w-0"
        >
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          {teams.map((item) => (
            <SelectItem key={item.id} value={item.id}>
              {item.name} · {t(`roles.${item.role}`)}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
    </div>
  );
}
