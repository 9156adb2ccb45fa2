import { getTranslations } from "next-intl/server";
import { WeightsView } from "./weights-view";

export async function generateMetadata() {
  const t = await getTranslations("weights");
  return { title: t("title") };
}

export default function WeightsPage() {
  return <WeightsView />;
}
