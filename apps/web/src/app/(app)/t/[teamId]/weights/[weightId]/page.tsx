import { OFFICIAL_MODELS } from "@studio/core/official/catalog";
import { WeightDetail } from "./weight-detail";

export default async function WeightPage({ params }: { params: Promise<{ weightId: string }> }) {
  const { weightId } = await params;
  // The catalog is server-side data (it reads DATA_DIR): the page gets only what it needs.
  const officialIds = Object.fromEntries(OFFICIAL_MODELS.map((m) => [m.onnx.sha256, m.name]));
  return <WeightDetail weightId={weightId} officialIds={officialIds} />;
}
