import { getTranslations } from "next-intl/server";
import { SettingsView } from "./settings-view";

export async function generateMetadata() {
  const t = await getTranslations("settings");
  return { title: t("title") };
}

export default function SettingsPage() {
  return <SettingsView />;
}
