"use client";

import { SPEC_PRESETS } from "@studio/core/spec";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { useTeamId } from "~/components/team-context";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { Progress } from "~/components/ui/progress";
import { fileUrls } from "~/lib/file-urls";
import { zipStored } from "~/lib/stored-zip";
import { UploadError, uploadFile } from "~/lib/upload";
import { useTRPC } from "~/trpc/react";
import { ImportReportDetails, type ImportReportView, parseImportReport } from "./import-report";

const KINDS = ["segmentation", "super_resolution", "classification"] as const;
type Kind = (typeof KINDS)[number];
type SpecPresetKey = keyof typeof SPEC_PRESETS;
const SPEC_KEYS = Object.keys(SPEC_PRESETS) as SpecPresetKey[];

/** What the admin has: an ONNX file, an NCNN .param/.bin pair, or a PyTorch/safetensors state_dict. */
const SOURCES = ["onnx", "ncnn", "pytorch"] as const;
type Source = (typeof SOURCES)[number];
const ACCEPT: Record<Exclude<Source, "ncnn">, string> = {
  onnx: ".onnx",
  pytorch: ".pth,.pt,.safetensors",
};

type Phase =
  | { state: "idle" }
  | { state: "preparing" }
  | { state: "uploading"; percent: number }
  | { state: "validating" }
  | { state: "done"; name: string; id: string | null }
  | {
      state: "failed";
      message: string;
      code: string | null;
      report: ImportReportView | null;
    };

const selectClass =
  "h-10 w-full min-w-0 rounded-md border border-border bg-background px-3 text-sm";

/**
 * Team admins upload ONNX, an NCNN pair (zipped here, converted by the server) or a PyTorch /
 * safetensors state_dict for a known architecture (checked key by key, built into ONNX by the
 * server). The server validates before it answers: bytes going up, "validating", then the verdict.
 */
export function WeightUpload() {
  const t = useTranslations();
  const format = useFormatter();
  const trpc = useTRPC();
  const teamId = useTeamId();
  const queryClient = useQueryClient();
  const [source, setSource] = useState<Source>("onnx");
  const [kind, setKind] = useState<Kind>("super_resolution");
  const [architectureId, setArchitectureId] = useState<string>("");
  const [name, setName] = useState("");
  const [family, setFamily] = useState("");
  const [phase, setPhase] = useState<Phase>({ state: "idle" });
  const architectures = useQuery({
    ...trpc.weights.architectures.queryOptions(),
    enabled: source === "pytorch",
    staleTime: Number.POSITIVE_INFINITY,
  });
  const architecture = architectures.data?.find((a) => a.id === architectureId) ?? null;
  const effectiveKind: Kind = source === "pytorch" && architecture ? architecture.taskKind : kind;

  function chooseArchitecture(id: string) {
    setArchitectureId(id);
    const chosen = architectures.data?.find((a) => a.id === id);
    if (chosen) {
      setName(chosen.name);
      setFamily(chosen.family);
    }
  }

  // The first architecture is preselected so its defaults fill the form.
  const firstArchitecture = architectures.data?.[0]?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once the list arrives
  useEffect(() => {
    if (source === "pytorch" && !architectureId && firstArchitecture)
      chooseArchitecture(firstArchitecture);
  }, [source, architectureId, firstArchitecture]);

  async function body(form: FormData): Promise<{ blob: Blob; fileName: string } | null> {
    if (source === "ncnn") {
      const param = form.get("paramFile");
      const bin = form.get("binFile");
      if (!(param instanceof File) || !(bin instanceof File) || !param.size || !bin.size)
        return null;
      const zip = zipStored([
        { name: param.name || "model.param", data: new Uint8Array(await param.arrayBuffer()) },
        { name: bin.name || "model.bin", data: new Uint8Array(await bin.arrayBuffer()) },
      ]);
      return { blob: new Blob([zip], { type: "application/zip" }), fileName: "ncnn.zip" };
    }
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return null;
    return { blob: file, fileName: file.name };
  }

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (key: string) => String(form.get(key) ?? "").trim();
    setPhase({ state: "preparing" });
    const payload = await body(form);
    if (!payload) {
      setPhase({ state: "idle" });
      return;
    }
    const common = {
      teamId,
      version: text("version"),
      name: name.trim() || undefined,
      family: family.trim() || undefined,
      specPreset: text("specPreset") || undefined,
    };
    const url =
      source === "pytorch"
        ? fileUrls.uploadWeight({
            ...common,
            architecture: architectureId,
            fileName: payload.fileName,
          })
        : fileUrls.uploadWeight({
            ...common,
            taskKind: kind,
            format: source === "ncnn" ? "ncnn" : undefined,
          });
    setPhase({ state: "uploading", percent: 0 });
    try {
      // The body is the file itself; the server streams it to disk and validates it.
      const result = await uploadFile<{ weight?: { id: string; name: string } }>(
        url,
        payload.blob,
        (p) => {
          const percent = Math.round((p.loaded / p.total) * 100);
          setPhase(percent >= 100 ? { state: "validating" } : { state: "uploading", percent });
        },
      );
      setPhase({ state: "done", name: result.weight?.name ?? "", id: result.weight?.id ?? null });
      await queryClient.invalidateQueries({ queryKey: [["weights"]] });
    } catch (error) {
      setPhase({
        state: "failed",
        message: error instanceof Error ? error.message : String(error),
        code: error instanceof UploadError ? error.code : null,
        report: error instanceof UploadError ? parseImportReport(error.details) : null,
      });
    }
  }

  const busy =
    phase.state === "preparing" || phase.state === "uploading" || phase.state === "validating";
  return (
    <Card data-testid="weight-upload" className="min-w-0">
      <CardHeader>
        <CardTitle>{t("weights.upload")}</CardTitle>
        <CardDescription>{t(`weights.uploadHints.${source}`)}</CardDescription>
      </CardHeader>
      <CardContent>
        <form className="grid gap-3 sm:grid-cols-2 [&>*]:min-w-0" onSubmit={onSubmit}>
          <div className="grid gap-2 sm:col-span-2">
            <Label htmlFor="weight-source">{t("weights.sourceFormat")}</Label>
            <select
              id="weight-source"
              value={source}
              onChange={(e) => {
                setSource(e.target.value as Source);
                setPhase({ state: "idle" });
              }}
              className={selectClass}
            >
              {SOURCES.map((s) => (
                <option key={s} value={s}>
                  {t(`weights.sources.${s}`)}
                </option>
              ))}
            </select>
          </div>
          {source === "ncnn" ? (
            <>
              <div className="grid gap-2">
                <Label htmlFor="weight-param">{t("weights.paramFile")}</Label>
                <Input id="weight-param" name="paramFile" type="file" accept=".param" required />
              </div>
              <div className="grid gap-2">
                <Label htmlFor="weight-bin">{t("weights.binFile")}</Label>
                <Input id="weight-bin" name="binFile" type="file" accept=".bin" required />
              </div>
            </>
          ) : (
            <div className="grid gap-2 sm:col-span-2">
              <Label htmlFor="weight-file">{t("weights.file")}</Label>
              <Input
                key={source}
                id="weight-file"
                name="file"
                type="file"
                accept={ACCEPT[source]}
                required
              />
            </div>
          )}
          {source === "pytorch" ? (
            <div className="grid gap-2 sm:col-span-2">
              <Label htmlFor="weight-architecture">{t("weights.architecture")}</Label>
              <select
                id="weight-architecture"
                value={architectureId}
                onChange={(e) => chooseArchitecture(e.target.value)}
                className={selectClass}
                required
                disabled={!architectures.data}
              >
                {architectures.data?.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.id})
                  </option>
                ))}
              </select>
              {architectures.error ? (
                <Alert>{architectures.error.message}</Alert>
              ) : architecture ? (
                <div
                  className="grid gap-1 rounded-md border border-border bg-muted/50 p-3 text-xs"
                  data-testid="architecture-doc"
                >
                  <p className="text-muted-foreground">
                    {t("weights.architectureFacts", {
                      kind: t(`kinds.${architecture.taskKind}`),
                      family: architecture.family,
                      parameters: format.number(architecture.parameterCount),
                      keys: architecture.requiredKeys,
                    })}
                  </p>
                  <p className="font-mono">
                    {architecture.input.name} [{architecture.input.shape.join(", ")}] →{" "}
                    {architecture.output.name} [{architecture.output.shape.join(", ")}]
                  </p>
                  <p className="max-h-40 overflow-auto whitespace-pre-line break-words">
                    {architecture.doc}
                  </p>
                </div>
              ) : null}
            </div>
          ) : null}
          <div className="grid gap-2">
            <Label htmlFor="weight-kind">{t("weights.kind")}</Label>
            <select
              id="weight-kind"
              name="taskKind"
              value={effectiveKind}
              onChange={(e) => setKind(e.target.value as Kind)}
              disabled={source === "pytorch"}
              className={selectClass}
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
              key={`${source}-${effectiveKind}`}
              id="weight-spec"
              name="specPreset"
              className={selectClass}
              defaultValue=""
            >
              <option value="">
                {source === "pytorch" ? t("weights.architectureDefault") : "—"}
              </option>
              {SPEC_KEYS.filter((k) => SPEC_PRESETS[k].kind === effectiveKind).map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-name">{t("weights.name")}</Label>
            <Input
              id="weight-name"
              name="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              required={source !== "pytorch"}
              maxLength={200}
            />
          </div>
          <div className="grid gap-2">
            <Label htmlFor="weight-family">{t("weights.family")}</Label>
            <Input
              id="weight-family"
              name="family"
              value={family}
              onChange={(e) => setFamily(e.target.value)}
              required={source !== "pytorch"}
              maxLength={100}
            />
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
        <div className="mt-4 grid min-w-0 gap-2" aria-live="polite">
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
              {t(source === "pytorch" ? "weights.importing" : "weights.validating")}
            </p>
          ) : null}
          {phase.state === "done" ? (
            <Alert variant="success">
              {t("weights.valid")}{" "}
              {phase.id ? (
                <Link className="underline" href={`/weights/${phase.id}`}>
                  {t("weights.openWeight", { name: phase.name })}
                </Link>
              ) : null}
            </Alert>
          ) : null}
          {phase.state === "failed" ? (
            <>
              <Alert data-testid="weight-upload-error" className="break-words">
                <strong>{t(phase.report ? "weights.importRejected" : "weights.invalid")}:</strong>{" "}
                {phase.message}
                {phase.code ? <span className="ml-1 font-mono text-xs">({phase.code})</span> : null}
              </Alert>
              {phase.report ? (
                <div className="rounded-md border border-border p-3">
                  <ImportReportDetails report={phase.report} showSummary={false} />
                </div>
              ) : null}
            </>
          ) : null}
        </div>
      </CardContent>
    </Card>
  );
}
