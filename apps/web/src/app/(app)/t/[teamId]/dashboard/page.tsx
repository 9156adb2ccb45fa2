import { getTranslations } from "next-intl/server";
import { Dashboard } from "./dashboard";

export async function generateMetadata() {
  const t = await getTranslations("dashboard");
  return { title: t("title") };
}

export default function DashboardPage() {
  return <Dashboard />;
}
