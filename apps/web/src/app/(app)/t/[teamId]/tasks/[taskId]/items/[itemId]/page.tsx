import { ResultView } from "./result-view";

export default async function ResultPage({
  params,
}: {
  params: Promise<{ taskId: string; itemId: string }>;
}) {
  const { taskId, itemId } = await params;
  return <ResultView taskId={taskId} itemId={itemId} />;
}
