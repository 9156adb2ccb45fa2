import { getTranslations } from "next-intl/server";
import { DatasetsView } from "./datasets-view";

export async function generateMetadata() {
  const t = await getTranslations("datasets");
  return { title: t("title") };
}

export default function DatasetsPage() {
  return <DatasetsView />;
}
