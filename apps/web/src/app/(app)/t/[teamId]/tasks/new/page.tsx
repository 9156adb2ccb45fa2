import { getTranslations } from "next-intl/server";
import { NewTaskForm } from "./new-task-form";

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
  return <NewTaskForm initialDatasetId={datasetId ?? null} initialKind={kind ?? null} />;
}
