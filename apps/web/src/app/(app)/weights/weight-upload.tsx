"use client";

import { SPEC_PRESETS } from "@studio/core/spec";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { useTeamId } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Progress } from "~/components/ui/progress";
import { fileUrls } from "~/lib/file-urls";
import { UploadError, uploadFile } from "~/lib/upload";

const KINDS = ["segmentation", "super_resolution", "classification"] as const;
type SpecPresetKey = keyof typeof SPEC_PRESETS;

const SPEC_KEYS = Object.keys(SPEC_PRESETS) as SpecPresetKey[];

type Phase =
  | { state: "idle" }
  | { state: "uploading"; percent: number }
  | { state: "validating" }
  | { state: "done"; name: string }
  | { state: "failed"; message: string; code: string | null };

/**
 * Team admins upload ONNX (or an NCNN .param/.bin pair). The server validates before it
 * answers, so the phases are: bytes going up, then "validating", then the verdict.
 */
export function WeightUpload() {
  const t = useTranslations();
  const teamId = useTeamId();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<(typeof KINDS)[number]>("super_resolution");
  const [phase, setPhase] = useState<Phase>({ state: "idle" });

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return;
    const text = (key: string) => String(form.get(key) ?? "").trim();
    const url = fileUrls.uploadWeight({
      teamId,
      taskKind: kind,
      name: text("name"),
      family: text("family"),
      version: text("version"),
      specPreset: text("specPreset") || undefined,
    });
    setPhase({ state: "uploading", percent: 0 });
    try {
      // The body is the file itself; the server streams it to disk and validates it.
      const result = await uploadFile<{ weight?: { name: string } }>(url, file, (p) => {
        const percent = Math.round((p.loaded / p.total) * 100);
        setPhase(percent >= 100 ? { state: "validating" } : { state: "uploading", percent });
      });
      setPhase({ state: "done", name: result.weight?.name ?? "" });
      await queryClient.invalidateQueries({ queryKey: [["weights"]] });
    } catch (error) {
      setPhase({
        state: "failed",
        message: error instanceof Error ? error.message : String(error),
        code: error instanceof UploadError ? error.code : null,
      });
    }
  }

  const busy = phase.state === "uploading" || phase.state === "validating";
  return (
    <Card data-testid="weight-upload">
      <CardHeader>
        <CardTitle>{t("weights.upload")}</CardTitle>
        <CardDescription>{t("weights.uploadHint")}</CardDescription>
      </CardHeader>
      <CardContent>
        <form className="grid gap-3 sm:grid-cols-2" onSubmit={onSubmit}>
          <div className="grid gap-2 sm:col-span-2">
            <Label htmlFor="weight-file">{t("weights.file")}</Label>
            <Input id="weight-file" name="file" type="file" accept=".onnx" required />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-kind">{t("weights.kind")}</Label>
            <select
              id="weight-kind"
              name="taskKind"
              value={kind}
              onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}
              className="h-10 rounded-md border border-border bg-background px-3 text-sm"
            >
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`kinds.${k}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-spec">{t("weights.specPreset")}</Label>
            <select
              id="weight-spec"
              name="specPreset"
              className="h-10 rounded-md border border-border bg-background px-3 text-sm"
              defaultValue=""
            >
              <option value="">—</option>
              {SPEC_KEYS.filter((k) => SPEC_PRESETS[k].kind === kind).map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-name">{t("weights.name")}</Label>
            <Input id="weight-name" name="name" required maxLength={200} />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-family">{t("weights.family")}</Label>
            <Input id="weight-family" name="family" required maxLength={100} />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-version">{t("weights.version")}</Label>
            <Input id="weight-version" name="version" required maxLength={50} defaultValue="1" />
          </div>
          <div className="flex items-end">
            <Button type="submit" disabled={busy} className="w-full sm:w-auto">
              {t("weights.upload")}
            </Button>
          </div>
        </form>
        <div className="mt-4 grid gap-2" aria-live="polite">
          {phase.state === "uploading" ? (
            <>
              <Progress
                value={phase.percent}
                aria-label={t("weights.progress", { percent: phase.percent })}
              />
              <p className="text-sm text-muted-foreground">
                {t("weights.progress", { percent: phase.percent })}
              </p>
            </>
          ) : null}
          {phase.state === "validating" ? (
            <p className="text-sm text-muted-foreground" role="status">
              {t("weights.validating")}
            </p>
          ) : null}
          {phase.state === "done" ? <Alert variant="success">{t("weights.valid")}</Alert> : null}
          {phase.state === "failed" ? (
            <Alert data-testid="weight-upload-error">
              <strong>{t("weights.invalid")}:</strong> {phase.message}
              {phase.code ? <span className="ml-1 font-mono text-xs">({phase.code})</span> : null}
            </Alert>
          ) : null}
        </div>
      </CardContent>
    </Card>
  );
}
