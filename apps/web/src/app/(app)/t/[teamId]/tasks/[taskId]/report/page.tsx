import { getTranslations } from "next-intl/server";
import { ReportView } from "./report-view";

export async function generateMetadata() {
  const t = await getTranslations("report");
  return { title: t("title") };
}

export default async function ReportPage({ params }: { params: Promise<{ taskId: string }> }) {
  const { taskId } = await params;
  return <ReportView taskId={taskId} />;
}
