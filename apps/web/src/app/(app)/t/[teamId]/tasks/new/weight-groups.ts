import type { OfficialPurposeGroup } from "@studio/core/official/catalog";

/** An official model's id and purpose by the sha256 of its ONNX file (read off the catalog). */
export type OfficialPurposes = Readonly<
  Record<string, { name: string; group: OfficialPurposeGroup }>
>;

/** The order of the groups in the weight select; the team's own weights come last. */
export const WEIGHT_GROUPS = [
  "upscale-x2",
  "upscale-x3",
  "upscale-x4",
  "denoise",
  "text-detection",
  "classification",
  "team",
] as const;
export type WeightGroup = (typeof WEIGHT_GROUPS)[number];

interface ListedWeight {
  isOfficial: boolean;
  sha256: string;
}

/** The group of a listed weight: an official one by its catalog purpose, any other "team". */
export function weightGroup(weight: ListedWeight, purposes: OfficialPurposes): WeightGroup {
  return (weight.isOfficial ? purposes[weight.sha256]?.group : undefined) ?? "team";
}

/** The official model id of a listed weight, for its one-line purpose; null for the team's own. */
export function officialModelId(weight: ListedWeight, purposes: OfficialPurposes): string | null {
  return (weight.isOfficial ? purposes[weight.sha256]?.name : undefined) ?? null;
}

/** Weights grouped by purpose in WEIGHT_GROUPS order, each group keeping the list's order. */
export function groupWeights<W extends ListedWeight>(
  list: readonly W[],
  purposes: OfficialPurposes,
): { group: WeightGroup; weight: W }[] {
  return list
    .map((weight, index) => ({ group: weightGroup(weight, purposes), weight, index }))
    .sort(
      (a, b) =>
        WEIGHT_GROUPS.indexOf(a.group) - WEIGHT_GROUPS.indexOf(b.group) || a.index - b.index,
    )
    .map(({ group, weight }) => ({ group, weight }));
}
