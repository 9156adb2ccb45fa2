import type { useTranslations } from "next-intl";
import type * as React from "react";

/** Official model ids by the sha256 of their ONNX file (the server reads these off the catalog). */
export type OfficialIds = Readonly<Record<string, string>>;

interface DescribedWeight {
  isOfficial: boolean;
  sha256: string;
  description: string;
}

/**
 * A weight's description in the page's language. An official weight's is the app's own text
 * for its model (`weights.officialDescriptions.<id>`: the stored one is the catalog's English);
 * names of projects and packages in it are marked as not to be translated. Any other weight's
 * is what its uploader wrote, as it is. Null when there is none.
 */
export function weightDescription(
  weight: DescribedWeight,
  officialIds: OfficialIds,
  /** `useTranslations("weights.officialDescriptions")` */
  t: ReturnType<typeof useTranslations<"weights.officialDescriptions">>,
): React.ReactNode {
  const id = weight.isOfficial ? officialIds[weight.sha256] : undefined;
  if (id && t.has(id)) {
    return t.rich(id, { name: (chunks) => <span translate="no">{chunks}</span> });
  }
  return weight.description || null;
}
