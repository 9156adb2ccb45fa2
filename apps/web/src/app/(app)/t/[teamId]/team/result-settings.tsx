"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { type ReactNode, useEffect, useState } from "react";
import { MutationFeedback } from "~/components/form";
import { TitledCard } from "~/components/titled-card";
import { Button } from "~/components/ui/button";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Switch } from "~/components/ui/switch";
import { useTeamPage } from "~/lib/use-team-page";

const DEFAULT_PATTERN = "{name}{suffix}";
const TOKENS = "{name} {suffix} {output} {scale} {model} {task} {index}";
// One made-up result the example is drawn for: the 2nd image of a x4 super-resolution task.
const SAMPLE: Record<string, string> = {
  name: "motorcycle_left",
  suffix: "_x4",
  output: "result",
  scale: "x4",
  model: "realesr-animevideov3-x4",
  task: "Bikes",
  index: "2",
};

/**
 * The example under the pattern field. The server (download-names.ts) names the files and
 * validates the pattern on save; this only fills the tokens of one sample, so the browser need
 * not load the API's server code. An unknown token is shown as typed, which the save refuses.
 */
function exampleName(pattern: string): string {
  const filled = (pattern.trim() || DEFAULT_PATTERN).replace(
    /\{([^{}]*)\}/g,
    (token, key: string) => SAMPLE[key] ?? token,
  );
  return `${filled}.png`;
}

/** Tokens and file names are not words of any language: browsers' translators leave them be. */
const machineText = (chunks: ReactNode) => (
  <code translate="no" className="font-mono">
    {chunks}
  </code>
);

/**
 * What results carry from their inputs (the date and camera always; the GPS position only when
 * an admin allows it, a location being personal data) and what they are called. Members see the
 * settings, admins change them.
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
  const stored = settings.data?.namePattern ?? "";
  const [pattern, setPattern] = useState(stored);
  useEffect(() => setPattern(stored), [stored]);
  const disabled = !isAdmin || !settings.data || save.isPending;
  return (
    <TitledCard title={t("team.resultFiles")} description={t("team.resultFilesHint")}>
      <div className="flex items-center gap-3">
        <Switch
          id="results-keep-gps"
          data-testid="results-keep-gps"
          checked={keepGps}
          disabled={disabled}
          onCheckedChange={(checked) => save.mutate({ teamId, keepGps: checked })}
        />
        <Label htmlFor="results-keep-gps">{t("team.keepGps")}</Label>
      </div>
      <form
        className="mt-4 grid gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate({ teamId, namePattern: pattern.trim() || null });
        }}
      >
        <Label htmlFor="result-name-pattern">{t("team.namePattern")}</Label>
        <div className="flex gap-2">
          <Input
            id="result-name-pattern"
            data-testid="result-name-pattern"
            value={pattern}
            placeholder={DEFAULT_PATTERN}
            translate="no"
            maxLength={120}
            disabled={disabled}
            onChange={(event) => setPattern(event.target.value)}
            aria-describedby="result-name-pattern-hint result-name-pattern-example"
          />
          {isAdmin ? (
            <Button type="submit" disabled={disabled || pattern.trim() === stored}>
              {save.isPending ? t("common.saving") : t("common.save")}
            </Button>
          ) : null}
        </div>
        <p id="result-name-pattern-hint" className="text-muted-foreground text-sm">
          {t.rich("team.namePatternHint", {
            tokens: TOKENS,
            name: "{name}",
            index: "{index}",
            code: machineText,
          })}
        </p>
        <p id="result-name-pattern-example" className="text-sm" data-testid="result-name-example">
          {t.rich("team.namePatternExample", { example: exampleName(pattern), code: machineText })}
        </p>
      </form>
      <MutationFeedback error={save.error ?? settings.error} className="mt-3" />
    </TitledCard>
  );
}
