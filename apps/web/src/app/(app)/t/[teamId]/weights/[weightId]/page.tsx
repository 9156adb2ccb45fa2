import { WeightDetail } from "./weight-detail";

export default async function WeightPage({ params }: { params: Promise<{ weightId: string }> }) {
  const { weightId } = await params;
  return <WeightDetail weightId={weightId} />;
}
