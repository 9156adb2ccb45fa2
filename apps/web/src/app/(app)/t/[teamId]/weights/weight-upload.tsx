"use client";

import type { ImportReportWire } from "@studio/contracts/inference/import-report";
import { SPEC_PRESETS, TASK_KINDS, type TaskKind } from "@studio/core/spec";
import { zipStored } from "@studio/core/zip";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { Field, Form, formText, SubmitButton, TextField } from "~/components/form";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Input } from "~/components/ui/input";
import { NativeSelect } from "~/components/ui/native-select";
import { Progress } from "~/components/ui/progress";
import { fileUrls } from "~/lib/file-urls";
import { routes } from "~/lib/routes";
import { UploadError, uploadFile } from "~/lib/upload";
import { useTeamPage } from "~/lib/use-team-page";
import { ImportReportDetails, parseImportReport } from "./import-report";

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
      report: ImportReportWire | null;
    };

/**
 * Team admins upload ONNX, an NCNN pair (zipped here, converted by the server) or a PyTorch /
 * safetensors state_dict for a known architecture (checked key by key, built into ONNX by the
 * server). The server validates before it answers: bytes going up, "validating", then the verdict.
 */
export function WeightUpload() {
  const { t, format, trpc, teamId, queryClient } = useTeamPage();
  const [source, setSource] = useState<Source>("onnx");
  const [kind, setKind] = useState<TaskKind>("super_resolution");
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
  const effectiveKind: TaskKind =
    source === "pytorch" && architecture ? architecture.taskKind : kind;

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

  async function upload(form: FormData) {
    const text = (key: string) => formText(form, key).trim();
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
    <TitledCard
      data-testid="weight-upload"
      className="min-w-0"
      title={t("weights.upload")}
      description={t(`weights.uploadHints.${source}`)}
    >
      <Form
        className="grid gap-3 sm:grid-cols-2 [&>*]:min-w-0"
        onValues={(form) => void upload(form)}
      >
        <Field htmlFor="weight-source" label={t("weights.sourceFormat")} className="sm:col-span-2">
          <NativeSelect
            id="weight-source"
            value={source}
            onChange={(e) => {
              setSource(e.target.value as Source);
              setPhase({ state: "idle" });
            }}
          >
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {t(`weights.sources.${s}`)}
              </option>
            ))}
          </NativeSelect>
        </Field>
        {source === "ncnn" ? (
          <>
            <TextField
              id="weight-param"
              name="paramFile"
              label={t("weights.paramFile")}
              type="file"
              accept=".param"
              required
            />
            <TextField
              id="weight-bin"
              name="binFile"
              label={t("weights.binFile")}
              type="file"
              accept=".bin"
              required
            />
          </>
        ) : (
          <Field htmlFor="weight-file" label={t("weights.file")} className="sm:col-span-2">
            <Input
              key={source}
              id="weight-file"
              name="file"
              type="file"
              accept={ACCEPT[source]}
              required
            />
          </Field>
        )}
        {source === "pytorch" ? (
          <Field
            htmlFor="weight-architecture"
            label={t("weights.architecture")}
            className="sm:col-span-2"
          >
            <NativeSelect
              id="weight-architecture"
              value={architectureId}
              onChange={(e) => chooseArchitecture(e.target.value)}
              required
              disabled={!architectures.data}
            >
              {architectures.data?.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.id})
                </option>
              ))}
            </NativeSelect>
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
          </Field>
        ) : null}
        <Field htmlFor="weight-kind" label={t("weights.kind")}>
          <NativeSelect
            id="weight-kind"
            name="taskKind"
            value={effectiveKind}
            onChange={(e) => setKind(e.target.value as TaskKind)}
            disabled={source === "pytorch"}
          >
            {TASK_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kinds.${k}`)}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Field htmlFor="weight-spec" label={t("weights.specPreset")}>
          <NativeSelect
            key={`${source}-${effectiveKind}`}
            id="weight-spec"
            name="specPreset"
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
          </NativeSelect>
        </Field>
        <TextField
          id="weight-name"
          name="name"
          label={t("weights.name")}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required={source !== "pytorch"}
          maxLength={200}
        />
        <TextField
          id="weight-family"
          name="family"
          label={t("weights.family")}
          value={family}
          onChange={(e) => setFamily(e.target.value)}
          required={source !== "pytorch"}
          maxLength={100}
        />
        <TextField
          id="weight-version"
          name="version"
          label={t("weights.version")}
          required
          maxLength={50}
          defaultValue="1"
        />
        <div className="flex items-end">
          <SubmitButton pending={busy} className="w-full sm:w-auto">
            {t("weights.upload")}
          </SubmitButton>
        </div>
      </Form>
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
              <Link className="underline" href={routes.weight(teamId, phase.id)}>
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
    </TitledCard>
  );
}
