import { getTranslations } from "next-intl/server";
import { TasksList } from "./tasks-list";

export async function generateMetadata() {
  const t = await getTranslations("tasks");
  return { title: t("title") };
}

export default function TasksPage() {
  return <TasksList />;
}
