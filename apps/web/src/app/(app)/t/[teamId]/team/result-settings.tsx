"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { MutationFeedback } from "~/components/form";
import { TitledCard } from "~/components/titled-card";
import { Label } from "~/components/ui/label";
import { Switch } from "~/components/ui/switch";
import { useTeamPage } from "~/lib/use-team-page";

/**
 * What results carry from their inputs: the date and camera always; the GPS position only when
 * an admin allows it (a location is personal data). Members see the setting, admins change it.
 */
export function ResultSettings({ isAdmin }: { isAdmin: boolean }) {
  const { t, trpc, queryClient, teamId } = useTeamPage();
  const settings = useQuery(trpc.teams.resultSettings.queryOptions({ teamId }));
  const save = useMutation(
    trpc.teams.setResultSettings.mutationOptions({
      onSuccess: (data) =>
        queryClient.setQueryData(trpc.teams.resultSettings.queryKey({ teamId }), data),
    }),
  );
  const keepGps = settings.data?.keepGps ?? false;
  return (
    <TitledCard title={t("team.resultFiles")} description={t("team.resultFilesHint")}>
      <div className="flex items-center gap-3">
        <Switch
          id="results-keep-gps"
          data-testid="results-keep-gps"
          checked={keepGps}
          disabled={!isAdmin || !settings.data || save.isPending}
          onCheckedChange={(checked) => save.mutate({ teamId, keepGps: checked })}
        />
        <Label htmlFor="results-keep-gps">{t("team.keepGps")}</Label>
      </div>
      <MutationFeedback error={save.error ?? settings.error} className="mt-3" />
    </TitledCard>
  );
}
