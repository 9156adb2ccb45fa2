// Shapes of weight lists that the API answers with and the web app shows.

/** Weights grouped by task kind, then by family, each group in the order of `weights`. */
export function groupWeightTree<Kind extends string, W extends { taskKind: Kind; family: string }>(
  weights: readonly W[],
) {
  const kinds = new Map<Kind, Map<string, W[]>>();
  for (const w of weights) {
    const families = kinds.get(w.taskKind) ?? new Map<string, W[]>();
    kinds.set(w.taskKind, families);
    families.set(w.family, [...(families.get(w.family) ?? []), w]);
  }
  return [...kinds].map(([taskKind, families]) => ({
    taskKind,
    families: [...families].map(([family, versions]) => ({ family, versions })),
  }));
}
