import { getTranslations } from "next-intl/server";
import { TeamView } from "./team-view";

export async function generateMetadata() {
  const t = await getTranslations("team");
  return { title: t("title") };
}

export default function TeamPage() {
  return <TeamView />;
}
