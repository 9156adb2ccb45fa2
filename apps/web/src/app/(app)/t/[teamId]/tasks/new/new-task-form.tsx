"use client";

import { type TaskKind, taskKindSchema } from "@studio/contracts/task";
import type { ResultProvenance } from "@studio/core/image/provenance-read";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Play } from "lucide-react";
import { useTranslations } from "next-intl";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { MutationFeedback, TextField } from "~/components/form";
import { PageHeader } from "~/components/page-header";
import { QueryView } from "~/components/query-state";
import { SelectControl, SelectField, SelectFrame } from "~/components/select-field";
import { TitledCard } from "~/components/titled-card";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "~/components/ui/tabs";
import { routes } from "~/lib/routes";
import { useTeamPage } from "~/lib/use-team-page";
import { ImagePicker } from "./image-picker";
import { ParamControls } from "./param-controls";
import { DEFAULT_FORM, type FormParams, formFromParams, maxTopK, toParams } from "./params";
import { PrecisionControl } from "./precision-control";
import { type PreviewImage, PreviewPanel, type ShownPreview } from "./preview-panel";
import { PREVIEW_CARD_ID, PreviewStrip } from "./preview-strip";
import { ResultSource, type SourceNote } from "./result-source";
import { groupWeights, type OfficialPurposes, officialModelId } from "./weight-groups";

// How many of a dataset's images the preview offers to choose from.
const DATASET_PREVIEW_CHOICES = 24;

// Super-resolution first: the kind most people come for.
const KINDS: TaskKind[] = ["super_resolution", "segmentation", "classification"];

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function NewTaskForm({
  initialDatasetId,
  initialKind,
  officialPurposes,
}: {
  initialDatasetId: string | null;
  initialKind: string | null;
  /** Official weights' purposes by checksum (the select groups them, with a line on each). */
  officialPurposes: OfficialPurposes;
}) {
  const { t, trpc, teamId, router, locale } = useTeamPage();
  const [kind, setKind] = useState<TaskKind>(
    taskKindSchema.safeParse(initialKind).data ?? "super_resolution",
  );
  const [weightId, setWeightId] = useState<string | null>(null);
  const [source, setSource] = useState<"images" | "dataset">(
    initialDatasetId ? "dataset" : "images",
  );
  const [images, setImages] = useState<PreviewImage[]>([]);
  const [datasetId, setDatasetId] = useState<string | null>(initialDatasetId);
  const [form, setForm] = useState<FormParams>(DEFAULT_FORM);
  const [name, setName] = useState("");
  const [preview, setPreview] = useState<ShownPreview | null>(null);
  const [previewBusy, setPreviewBusy] = useState(false);
  // Which of the chosen images the preview shows (the first when none was picked).
  const [previewImageId, setPreviewImageId] = useState<string | null>(null);
  // One key per intended task: a double click or a retried request cannot queue it twice.
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);
  // A result file's provenance waiting for the weights of its kind, and what came of it.
  const [resultSource, setResultSource] = useState<{
    file: string;
    provenance: ResultProvenance;
  } | null>(null);
  const [sourceNote, setSourceNote] = useState<SourceNote>(null);
  // Its threshold stands, not the matched weight's default.
  const keepThreshold = useRef(false);

  const weights = useQuery(
    trpc.weights.list.queryOptions({ teamId, taskKind: kind, status: "ready" }),
  );
  const defaultWeight = useQuery(trpc.weights.defaultFor.queryOptions({ teamId, taskKind: kind }));
  const datasets = useQuery(trpc.datasets.list.queryOptions({ teamId, limit: 100 }));
  const datasetImages = useQuery({
    ...trpc.images.list.queryOptions({
      teamId,
      limit: DATASET_PREVIEW_CHOICES,
      datasetId: datasetId ?? "",
    }),
    enabled: source === "dataset" && datasetId !== null,
  });

  // Pick the default weight for the kind (team default, else official) when none is chosen.
  useEffect(() => {
    if (!weights.data) return;
    if (weightId && weights.data.some((w) => w.id === weightId)) return;
    const preferred =
      defaultWeight.data?.id ?? weights.data.find((w) => w.isDefault)?.id ?? weights.data[0]?.id;
    setWeightId(preferred ?? null);
  }, [weights.data, defaultWeight.data, weightId]);

  // A segmentation weight brings its own default threshold (the spec's defaultThreshold), a
  // classifier its labels (Top-k asks for no more than there are).
  const weightDetail = useQuery({
    ...trpc.weights.get.queryOptions({ teamId, weightId: weightId ?? "" }),
    enabled: weightId !== null,
  });
  const spec = weightDetail.data?.spec as {
    defaultThreshold?: number;
    labels?: string[];
    scale?: number;
  } | null;
  const specThreshold = kind === "segmentation" ? spec?.defaultThreshold : undefined;
  const topKMax = maxTopK(spec?.labels?.length ?? 0);
  useEffect(() => {
    setForm((f) => (f.topK > topKMax ? { ...f, topK: topKMax } : f));
  }, [topKMax]);
  useEffect(() => {
    if (keepThreshold.current) return;
    if (typeof specThreshold === "number") setForm((f) => ({ ...f, threshold: specThreshold }));
  }, [specThreshold]);

  function applySource(file: string, provenance: ResultProvenance | null) {
    const sourceKind = taskKindSchema.safeParse(provenance?.taskKind).data;
    const next = sourceKind && formFromParams(sourceKind, provenance?.params, DEFAULT_FORM);
    if (!provenance || !sourceKind || !next) {
      setSourceNote({ tone: "error", text: t("newTask.output.sourceNone", { file }) });
      return;
    }
    keepThreshold.current = sourceKind === "segmentation";
    setKind(sourceKind);
    setForm(next);
    setPreview(null);
    setSourceNote(null);
    setResultSource({ file, provenance });
  }

  // Once the weights of the result's kind are listed: the one it was made with, by checksum.
  useEffect(() => {
    if (!resultSource || !weights.data || kind !== resultSource.provenance.taskKind) return;
    const { weight } = resultSource.provenance;
    const match = weights.data.find((w) => w.sha256 === weight.sha256.toLowerCase());
    if (match) {
      setWeightId(match.id);
      setSourceNote({
        tone: "success",
        text: t("newTask.output.sourceApplied", {
          file: resultSource.file,
          weight: `${match.name} · ${match.version}`,
        }),
      });
    } else {
      setSourceNote({
        tone: "error",
        text: t("newTask.output.sourceWeightMissing", {
          file: resultSource.file,
          weight: weight.name ?? weight.family ?? "?",
          sha: weight.sha256.slice(0, 12),
        }),
      });
    }
    setResultSource(null);
  }, [resultSource, weights.data, kind, t]);

  const params = useMemo(() => toParams(kind, form), [kind, form]);
  const paramsKey = useMemo(
    () => JSON.stringify({ kind, weightId, params }),
    [kind, weightId, params],
  );
  const chosenWeight = weights.data?.find((w) => w.id === weightId);
  // INT8 only where the chosen weight's check offered it (a result's params may ask for it).
  const int8Refused = chosenWeight !== undefined && chosenWeight.int8?.state !== "offered";
  useEffect(() => {
    if (int8Refused) setForm((f) => (f.precision === "int8" ? { ...f, precision: "fp32" } : f));
  }, [int8Refused]);
  const tPurposes = useTranslations("newTask.weightPurposes");
  const chosenModel = chosenWeight ? officialModelId(chosenWeight, officialPurposes) : null;
  const previewChoices: PreviewImage[] =
    source === "images" ? images : (datasetImages.data?.items ?? []);
  const previewImage: PreviewImage | null =
    previewChoices.find((i) => i.id === previewImageId) ?? previewChoices[0] ?? null;
  const onPreview = useCallback((p: ShownPreview | null) => setPreview(p), []);

  const create = useMutation(
    trpc.tasks.create.mutationOptions({
      onSuccess: (task) => {
        setIdempotencyKey(newKey());
        router.push(routes.task(teamId, task.id));
      },
    }),
  );

  const canSubmit =
    weightId !== null &&
    (source === "images" ? images.length > 0 : datasetId !== null) &&
    !create.isPending;

  function submit() {
    if (!weightId) return;
    const target =
      source === "dataset" && datasetId
        ? { type: "dataset" as const, datasetId }
        : images.length === 1 && images[0]
          ? { type: "image" as const, imageId: images[0].id }
          : { type: "images" as const, imageIds: images.map((i) => i.id) };
    create.mutate({
      teamId,
      weightId,
      target,
      params,
      // Left empty, the API names the task after its kind and first image, in this language.
      name: name.trim() || null,
      locale: locale === "zh-CN" ? "zh-CN" : "en",
      idempotencyKey,
      // Only a preview of exactly these settings vouches for the signature.
      expectSignature: preview?.paramsKey === paramsKey ? preview.expectedSignature : null,
    });
  }

  return (
    <>
      <PageHeader title={t("newTask.title")} description={t("newTask.subtitle")} />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1.1fr)]">
        <div className="grid min-w-0 content-start gap-4 [&>*]:min-w-0">
          <TitledCard title={<>1 · {t("newTask.step1")}</>} contentClassName="grid gap-4">
            <SelectField
              id="kind"
              label={t("newTask.kind")}
              testId="kind-select"
              value={kind}
              onValueChange={(next) => {
                setKind(next);
                setWeightId(null);
                setPreview(null);
                keepThreshold.current = false;
              }}
              options={KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
            />
            <SelectFrame labelId="weight-label" label={t("newTask.weight")}>
              <QueryView
                query={weights}
                empty={<Alert variant="info">{t("newTask.noWeights")}</Alert>}
              >
                {(list) => (
                  <SelectControl
                    labelledBy="weight-label"
                    testId="weight-select"
                    placeholder={t("newTask.chooseWeight")}
                    value={weightId ?? undefined}
                    onValueChange={setWeightId}
                    options={groupWeights(list, officialPurposes).map(({ group, weight: w }) => ({
                      value: w.id,
                      label: `${t(`newTask.weightGroups.${group}`)} · ${w.name} · ${w.version}${w.isOfficial ? ` · ${t("weights.official")}` : ""}`,
                    }))}
                  />
                )}
              </QueryView>
              {chosenModel && tPurposes.has(chosenModel) ? (
                <p className="pt-1 text-sm text-muted-foreground" data-testid="weight-purpose">
                  {tPurposes.rich(chosenModel, {
                    name: (chunks) => <span translate="no">{chunks}</span>,
                  })}
                </p>
              ) : null}
              {chosenWeight ? (
                <p className="flex flex-wrap gap-1 pt-1 text-xs text-muted-foreground">
                  {chosenWeight.isOfficial ? (
                    <Badge tone="info">{t("weights.official")}</Badge>
                  ) : null}
                  {chosenWeight.isDefault ? (
                    <Badge tone="success">{t("weights.default")}</Badge>
                  ) : null}
                  <span className="break-all font-mono">
                    sha256 {chosenWeight.sha256.slice(0, 16)}…
                  </span>
                </p>
              ) : null}
            </SelectFrame>
            <ResultSource onProvenance={applySource} note={sourceNote} />
          </TitledCard>
          <TitledCard title={<>2 · {t("newTask.step2")}</>}>
            <Tabs value={source} onValueChange={(v) => setSource(v as "images" | "dataset")}>
              <TabsList>
                <TabsTrigger value="images">{t("newTask.fromUpload")}</TabsTrigger>
                <TabsTrigger value="dataset">{t("newTask.fromDataset")}</TabsTrigger>
              </TabsList>
              <TabsContent value="images">
                <ImagePicker
                  teamId={teamId}
                  selected={images}
                  onToggle={(image) =>
                    setImages((list) =>
                      list.some((i) => i.id === image.id)
                        ? list.filter((i) => i.id !== image.id)
                        : [...list, image],
                    )
                  }
                  onUploaded={(image) =>
                    setImages((list) =>
                      list.some((i) => i.id === image.id) ? list : [...list, image],
                    )
                  }
                />
              </TabsContent>
              <TabsContent value="dataset">
                <SelectField
                  id="dataset"
                  label={t("newTask.dataset")}
                  placeholder={t("newTask.chooseDataset")}
                  value={datasetId ?? undefined}
                  onValueChange={setDatasetId}
                  options={(datasets.data?.items ?? []).map((d) => ({
                    value: d.id,
                    label: `${d.name} (${d.imageCount})`,
                  }))}
                />
              </TabsContent>
            </Tabs>
          </TitledCard>
          <TitledCard title={<>3 · {t("newTask.step3")}</>}>
            <PreviewStrip
              preview={preview}
              busy={previewBusy}
              stale={preview !== null && preview.paramsKey !== paramsKey}
            />
            <ParamControls
              kind={kind}
              form={form}
              onChange={setForm}
              topKMax={topKMax}
              modelScale={kind === "super_resolution" ? (spec?.scale ?? null) : null}
            />
            {kind !== "classification" ? (
              <PrecisionControl
                teamId={teamId}
                kind={kind}
                weight={chosenWeight}
                value={form.precision}
                onChange={(precision) => setForm((f) => ({ ...f, precision }))}
              />
            ) : null}
          </TitledCard>
        </div>
        <div className="grid min-w-0 content-start gap-4 lg:sticky lg:top-4 lg:self-start">
          <TitledCard
            id={PREVIEW_CARD_ID}
            className="scroll-mt-16"
            title={t("newTask.preview")}
            contentClassName="grid gap-3"
          >
            {previewChoices.length > 1 ? (
              <SelectField
                id="preview-image"
                label={t("newTask.previewImage")}
                testId="preview-image-select"
                value={previewImage?.id}
                onValueChange={setPreviewImageId}
                options={previewChoices.map((i) => ({ value: i.id, label: i.originalName }))}
              />
            ) : null}
            <PreviewPanel
              teamId={teamId}
              kind={kind}
              weightId={weightId}
              image={previewImage}
              params={params}
              paramsKey={paramsKey}
              onPreview={onPreview}
              onBusy={setPreviewBusy}
            />
          </TitledCard>
          <TextField
            id="task-name"
            label={
              <>
                {t("newTask.name")}{" "}
                <span className="font-normal text-muted-foreground">
                  ({t("newTask.nameOptional")})
                </span>
              </>
            }
            value={name}
            onChange={(event) => setName(event.target.value)}
            maxLength={120}
            placeholder={
              source === "images" && images[0]
                ? t("newTask.defaultName", {
                    kind: t(`kinds.${kind}`),
                    image: images[0].originalName,
                    more: images.length - 1,
                  })
                : undefined
            }
            hint={t("newTask.nameHint")}
            data-testid="task-name-input"
          />
          <MutationFeedback error={create.error} />
          {!canSubmit && !create.isPending && source === "images" && images.length === 0 ? (
            <p className="text-sm text-muted-foreground">{t("newTask.noImages")}</p>
          ) : null}
          <Button size="lg" onClick={submit} disabled={!canSubmit} data-testid="submit-task">
            <Play aria-hidden />
            {create.isPending ? t("newTask.submitting") : t("newTask.submit")}
          </Button>
        </div>
      </div>
    </>
  );
}
