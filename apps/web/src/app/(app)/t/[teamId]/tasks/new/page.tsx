import { OFFICIAL_MODELS } from "@studio/core/official/catalog";
import { getTranslations } from "next-intl/server";
import { NewTaskForm } from "./new-task-form";
import type { OfficialPurposes } from "./weight-groups";

export async function generateMetadata() {
  const t = await getTranslations("newTask");
  return { title: t("title") };
}

export default async function NewTaskPage({
  searchParams,
}: {
  searchParams: Promise<{ datasetId?: string; kind?: string }>;
}) {
  const { datasetId, kind } = await searchParams;
  // What each official weight is for, by the checksum the weight list reports.
  const officialPurposes: OfficialPurposes = Object.fromEntries(
    OFFICIAL_MODELS.map((m) => [m.onnx.sha256, { name: m.name, group: m.purpose.group }]),
  );
  return (
    <NewTaskForm
      initialDatasetId={datasetId ?? null}
      initialKind={kind ?? null}
      officialPurposes={officialPurposes}
    />
  );
}
