"use client";

import type { ImportReportWire } from "@studio/contracts/inference/import-report";
import {
  checkWeightHead,
  isWeightFormat,
  WEIGHT_EXPECTATIONS,
  WEIGHT_FILE_KINDS,
  WEIGHT_HEAD_BYTES,
  type WeightExpectation,
  type WeightFileKind,
} from "@studio/contracts/weight-file";
import { SPEC_PRESETS, TASK_KINDS, type TaskKind } from "@studio/core/spec";
import { zipStored } from "@studio/core/zip";
import { useQuery } from "@tanstack/react-query";
import { Upload } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { Field, Form, formText, RequiredMark, SubmitButton, TextField } from "~/components/form";
import { SelectField } from "~/components/select-field";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogTitle,
  DialogTrigger,
} from "~/components/ui/dialog";
import { Input } from "~/components/ui/input";
import { Progress } from "~/components/ui/progress";
import { RequestError, useErrorMessage } from "~/lib/errors";
import { fileUrls } from "~/lib/file-urls";
import { routes } from "~/lib/routes";
import { uploadFile } from "~/lib/upload";
import { useTeamPage } from "~/lib/use-team-page";
import { ImportReportDetails, parseImportReport } from "./import-report";

type SpecPresetKey = keyof typeof SPEC_PRESETS;
const SPEC_KEYS = Object.keys(SPEC_PRESETS) as SpecPresetKey[];
// A select item cannot have an empty value: this one stands for "no preset, the default".
const DEFAULT_SPEC = "default";

/** The architecture select's first choice: read it from the file (nothing sent). */
const DETECT_ARCHITECTURE = "detect";

/**
 * An architecture's documentation, less the sentences that point into this repository's
 * source (written for developers; a user of the app has no such folder).
 */
function withoutRepositoryPaths(doc: string): string {
  return doc
    .split(/(?<=\.)\s+/)
    .filter((sentence) => !/\b(?:packages|apps)\/[\w./-]+/.test(sentence))
    .join(" ");
}

/** What the admin has: an ONNX file, an NCNN .param/.bin pair, or a PyTorch/safetensors state_dict. */
const SOURCES = ["onnx", "ncnn", "pytorch"] as const;
type Source = (typeof SOURCES)[number];
const ACCEPT: Record<Exclude<Source, "ncnn">, string> = {
  onnx: ".onnx",
  pytorch: ".pth,.pt,.safetensors",
};

/** A file refused from its first bytes: what it looks like, what the slot takes. */
interface WrongFormat {
  fileName: string;
  found: WeightFileKind;
  expected: WeightExpectation;
}

/** The code the server gives the same refusal (the alert carries it, as for the server's). */
const WRONG_FORMAT_CODE: Record<WeightExpectation, string> = {
  onnx: "not_onnx",
  state_dict: "unknown_format",
  ncnn_param: "bad_ncnn_archive",
  ncnn_bin: "bad_ncnn_archive",
  ncnn_zip: "bad_ncnn_archive",
};

/** Which choice of "File format" takes a file that looks like `kind`. */
function sourceFor(kind: WeightFileKind): Source | null {
  if (kind === "onnx") return "onnx";
  if (kind === "ncnn_param") return "ncnn";
  if (kind === "pytorch_zip" || kind === "pytorch_pickle" || kind === "safetensors") {
    return "pytorch";
  }
  return null;
}

/** Reads the head of a chosen file (File.slice: the rest is never read) and checks it. */
async function wrongFormat(file: File, expected: WeightExpectation): Promise<WrongFormat | null> {
  const head = new Uint8Array(await file.slice(0, WEIGHT_HEAD_BYTES).arrayBuffer());
  const check = checkWeightHead(head, expected, file.size);
  return check.ok ? null : { fileName: file.name, found: check.found, expected };
}

/** The server's early refusal (`details: { found, expected }`), to word it as the browser's. */
function wrongFormatOf(error: unknown, fileName: string): WrongFormat | null {
  if (!(error instanceof RequestError)) return null;
  const details = error.details as { found?: unknown; expected?: unknown } | null;
  const found = WEIGHT_FILE_KINDS.find((k) => k === details?.found);
  const expected = WEIGHT_EXPECTATIONS.find((e) => e === details?.expected);
  return found && expected ? { fileName, found, expected } : null;
}

type Phase =
  | { state: "idle" }
  | { state: "refused"; wrong: WrongFormat }
  | { state: "preparing" }
  | { state: "uploading"; percent: number }
  | { state: "validating" }
  | { state: "done"; name: string; id: string | null }
  | { state: "failed"; error: unknown; code: string | null; report: ImportReportWire | null };

/** The "Upload weight" button of the weights page and the dialog it opens. */
export function WeightUploadDialog() {
  const { t } = useTeamPage();
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button data-testid="open-weight-upload">
          <Upload aria-hidden />
          {t("weights.upload")}
        </Button>
      </DialogTrigger>
      <DialogContent
        closeLabel={t("common.close")}
        className="max-w-2xl"
        data-testid="weight-upload"
        // Radix asks for a description; the form's own hint (per format) is it.
        aria-describedby="weight-upload-hint"
      >
        <DialogTitle>{t("weights.upload")}</DialogTitle>
        <WeightUpload />
      </DialogContent>
    </Dialog>
  );
}

/**
 * Team admins upload ONNX, an NCNN pair (zipped here, converted by the server) or a PyTorch /
 * safetensors state_dict for a known architecture (checked key by key, built into ONNX by the
 * server). The server validates before it answers: bytes going up, "validating", then the verdict.
 */
function WeightUpload() {
  const { t, format, trpc, teamId, queryClient } = useTeamPage();
  const errorText = useErrorMessage();
  const [source, setSource] = useState<Source>("onnx");
  const [kind, setKind] = useState<TaskKind>("super_resolution");
  // Detected from the file's keys and shapes unless the admin names one (then it is a check).
  const [architectureId, setArchitectureId] = useState<string>(DETECT_ARCHITECTURE);
  const [name, setName] = useState("");
  const [family, setFamily] = useState("");
  const [specPreset, setSpecPreset] = useState<string>(DEFAULT_SPEC);
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

  /**
   * What to send, read from the form; a file whose first bytes are not the chosen format is
   * refused here, before any byte is uploaded.
   */
  async function body(
    form: FormData,
  ): Promise<{ blob: Blob; fileName: string } | { wrong: WrongFormat } | null> {
    if (source === "ncnn") {
      const param = form.get("paramFile");
      const bin = form.get("binFile");
      if (!(param instanceof File) || !(bin instanceof File) || !param.size || !bin.size)
        return null;
      const wrong =
        (await wrongFormat(param, "ncnn_param")) ?? (await wrongFormat(bin, "ncnn_bin"));
      if (wrong) return { wrong };
      const zip = zipStored([
        { name: param.name || "model.param", data: new Uint8Array(await param.arrayBuffer()) },
        { name: bin.name || "model.bin", data: new Uint8Array(await bin.arrayBuffer()) },
      ]);
      return { blob: new Blob([zip], { type: "application/zip" }), fileName: "ncnn.zip" };
    }
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return null;
    const wrong = await wrongFormat(file, source === "pytorch" ? "state_dict" : "onnx");
    if (wrong) return { wrong };
    return { blob: file, fileName: file.name };
  }

  /** A file just chosen is checked at once, so a wrong one is said before "Upload" is pressed. */
  async function checkChosen(input: HTMLInputElement, expected: WeightExpectation) {
    const file = input.files?.[0];
    const wrong = file && file.size > 0 ? await wrongFormat(file, expected) : null;
    if (wrong) setPhase({ state: "refused", wrong });
    else setPhase((current) => (current.state === "refused" ? { state: "idle" } : current));
  }

  async function upload(form: FormData) {
    const text = (key: string) => formText(form, key).trim();
    setPhase({ state: "preparing" });
    const payload = await body(form);
    if (!payload) {
      setPhase({ state: "idle" });
      return;
    }
    if ("wrong" in payload) {
      setPhase({ state: "refused", wrong: payload.wrong });
      return;
    }
    const common = {
      teamId,
      version: text("version"),
      name: name.trim() || undefined,
      family: family.trim() || undefined,
      specPreset: specPreset === DEFAULT_SPEC ? undefined : specPreset,
    };
    const url =
      source === "pytorch"
        ? fileUrls.uploadWeight({
            ...common,
            architecture: architectureId === DETECT_ARCHITECTURE ? undefined : architectureId,
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
      const wrong = wrongFormatOf(error, payload.fileName);
      if (wrong) {
        setPhase({ state: "refused", wrong });
        return;
      }
      setPhase({
        state: "failed",
        error,
        code: error instanceof RequestError ? error.code : null,
        report: error instanceof RequestError ? parseImportReport(error.details) : null,
      });
    }
  }

  const busy =
    phase.state === "preparing" || phase.state === "uploading" || phase.state === "validating";
  const nameRequired = source !== "pytorch";
  const headline = t(
    phase.state === "failed" && phase.report ? "weights.importRejected" : "weights.invalid",
  );
  // The words of the refusal, once: a message that repeats the headline loses the repeat.
  const reason =
    phase.state === "failed"
      ? errorText(phase.error).replace(new RegExp(`^${escapeRegExp(headline)}[:.]?\\s*`, "i"), "")
      : "";
  return (
    <div className="grid min-w-0 gap-4">
      <DialogDescription id="weight-upload-hint">
        {t(`weights.uploadHints.${source}`)}
      </DialogDescription>
      <Form
        className="grid gap-3 sm:grid-cols-2 [&>*]:min-w-0"
        onValues={(form) => void upload(form)}
      >
        <SelectField
          id="weight-source"
          label={t("weights.sourceFormat")}
          className="sm:col-span-2"
          required
          value={source}
          onValueChange={(next) => {
            setSource(next);
            setSpecPreset(DEFAULT_SPEC);
            setPhase({ state: "idle" });
          }}
          options={SOURCES.map((s) => ({ value: s, label: t(`weights.sources.${s}`) }))}
        />
        {source === "ncnn" ? (
          <>
            <TextField
              id="weight-param"
              name="paramFile"
              label={t("weights.paramFile")}
              type="file"
              accept=".param"
              required
              markRequired
              onChange={(event) => void checkChosen(event.currentTarget, "ncnn_param")}
            />
            <TextField
              id="weight-bin"
              name="binFile"
              label={t("weights.binFile")}
              type="file"
              accept=".bin"
              required
              markRequired
              onChange={(event) => void checkChosen(event.currentTarget, "ncnn_bin")}
            />
          </>
        ) : (
          <Field htmlFor="weight-file" label={t("weights.file")} className="sm:col-span-2" required>
            <Input
              key={source}
              id="weight-file"
              name="file"
              type="file"
              accept={ACCEPT[source]}
              required
              onChange={(event) =>
                void checkChosen(event.currentTarget, source === "pytorch" ? "state_dict" : "onnx")
              }
            />
          </Field>
        )}
        {source === "pytorch" ? (
          <div className="grid gap-2 sm:col-span-2">
            <SelectField
              id="weight-architecture"
              label={t("weights.architecture")}
              required
              value={architectureId}
              onValueChange={chooseArchitecture}
              options={[
                { value: DETECT_ARCHITECTURE, label: t("weights.architectureDetect") },
                ...(architectures.data ?? []).map((a) => ({
                  value: a.id,
                  label: `${a.name} (${a.id})`,
                })),
              ]}
            />
            {architectures.error ? (
              <Alert>{errorText(architectures.error)}</Alert>
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
                  {withoutRepositoryPaths(architecture.doc)}
                </p>
              </div>
            ) : null}
          </div>
        ) : null}
        <SelectField
          id="weight-kind"
          className="content-start"
          label={t("weights.kind")}
          required
          value={effectiveKind}
          onValueChange={(next) => {
            setKind(next);
            setSpecPreset(DEFAULT_SPEC);
          }}
          disabled={source === "pytorch"}
          hint={source === "pytorch" ? t("weights.kindFromArchitecture") : undefined}
          options={TASK_KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
        />
        <SelectField
          id="weight-spec"
          className="content-start"
          label={t("weights.specPreset")}
          value={specPreset}
          onValueChange={setSpecPreset}
          hint={t("weights.specPresetHint")}
          options={[
            {
              value: DEFAULT_SPEC,
              label:
                source === "pytorch" ? t("weights.architectureDefault") : t("weights.specFromFile"),
            },
            ...SPEC_KEYS.filter((k) => SPEC_PRESETS[k].kind === effectiveKind).map((k) => ({
              value: k,
              label: k,
            })),
          ]}
        />
        <TextField
          id="weight-name"
          name="name"
          label={t("weights.name")}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required={nameRequired}
          markRequired
          maxLength={200}
        />
        <TextField
          id="weight-family"
          name="family"
          label={t("weights.family")}
          value={family}
          onChange={(e) => setFamily(e.target.value)}
          required={nameRequired}
          markRequired
          maxLength={100}
        />
        <TextField
          id="weight-version"
          name="version"
          label={t("weights.version")}
          required
          markRequired
          maxLength={50}
          defaultValue="1"
        />
        <div className="flex flex-col justify-end gap-2">
          <p className="text-xs text-muted-foreground">
            <RequiredMark /> {t("weights.requiredNote")}
          </p>
          <SubmitButton pending={busy} className="w-full sm:w-auto">
            {t("weights.upload")}
          </SubmitButton>
        </div>
      </Form>
      <div className="grid min-w-0 gap-2" aria-live="polite">
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
        {phase.state === "refused" ? (
          <Alert
            data-testid="weight-upload-error"
            data-code={WRONG_FORMAT_CODE[phase.wrong.expected]}
            data-found={phase.wrong.found}
            className="grid gap-1 break-words"
          >
            <strong>{t("weights.invalid")}</strong>
            <span>
              {t("weights.wrongFormat", {
                file: phase.wrong.fileName,
                found: t(`weights.fileKinds.${phase.wrong.found}`),
                expected: t(`weights.expectedFiles.${phase.wrong.expected}`),
              })}
              {isWeightFormat(phase.wrong.found) && sourceFor(phase.wrong.found) !== source
                ? ` ${t("weights.wrongFormatSwitch", {
                    format: t(`weights.sources.${sourceFor(phase.wrong.found) ?? source}`),
                  })}`
                : null}
            </span>
          </Alert>
        ) : null}
        {phase.state === "failed" ? (
          <>
            <Alert
              data-testid="weight-upload-error"
              data-code={phase.code ?? undefined}
              className="grid gap-1 break-words"
            >
              <strong>{headline}</strong>
              {reason ? <span>{reason}</span> : null}
            </Alert>
            {phase.report ? (
              <div className="max-h-80 overflow-auto rounded-md border border-border p-3">
                <ImportReportDetails report={phase.report} showSummary={false} />
              </div>
            ) : null}
          </>
        ) : null}
      </div>
    </div>
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
