"use client";

import { useFormatter, useTranslations } from "next-intl";

/** What a classification score is, as the worker records it (`scoreKind` in the result). */
export type ScoreKind = "softmax" | "sigmoid" | "logits";

/**
 * A classified image beside its top labels, each with its score and a bar, and a sentence that
 * says what the scores are: probabilities (softmax or per-label sigmoid) or raw logits.
 */
export function ClassificationResult({
  imageUrl,
  imageAlt,
  width,
  height,
  scores,
  scoreKind,
}: {
  imageUrl: string;
  imageAlt: string;
  width: number;
  height: number;
  scores: Array<{ label: string; score: number }>;
  scoreKind: ScoreKind | null;
}) {
  const t = useTranslations("result");
  const format = useFormatter();
  const ranked = [...scores].sort((a, b) => b.score - a.score);
  // Probabilities read as percentages; logits (any real number) as plain numbers, their bars
  // spanning the lowest to the highest score shown.
  const probability =
    scoreKind === "softmax" ||
    scoreKind === "sigmoid" ||
    (scoreKind === null && ranked.every((s) => s.score >= 0 && s.score <= 1));
  const low = Math.min(...ranked.map((s) => s.score));
  const high = Math.max(...ranked.map((s) => s.score));
  const bar = (score: number) =>
    probability ? score : high > low ? (score - low) / (high - low) : 1;
  const text = (score: number) =>
    probability
      ? format.number(score, { style: "percent", maximumFractionDigits: 1 })
      : format.number(score, { maximumFractionDigits: 3 });

  return (
    <div className="grid gap-4 md:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
      <div className="checkerboard flex items-center justify-center overflow-hidden rounded-md border border-border">
        {/* biome-ignore lint/performance/noImgElement: authorised route handler, no optimisation wanted */}
        <img
          src={imageUrl}
          alt={imageAlt}
          width={width}
          height={height}
          data-testid="classified-image"
          className="block h-auto max-h-[60vh] w-auto max-w-full object-contain"
        />
      </div>
      <div className="grid content-start gap-3">
        <p className="text-sm text-muted-foreground" data-testid="score-kind">
          {scoreKind ? t(`scoreKind.${scoreKind}`) : t("scoreKind.unknown")}
        </p>
        <ol className="grid gap-2" data-testid="top-labels" aria-label={t("classes")}>
          {ranked.map((s, rank) => (
            <li key={s.label} className="grid gap-1" data-testid="top-label">
              <div className="flex items-baseline justify-between gap-3 text-sm">
                <span
                  className={
                    rank === 0 ? "min-w-0 break-words font-semibold" : "min-w-0 break-words"
                  }
                >
                  {s.label}
                </span>
                <span className="shrink-0 font-mono tabular-nums">{text(s.score)}</span>
              </div>
              <div className="h-2 overflow-hidden rounded-full bg-muted" aria-hidden>
                <div
                  className="h-full rounded-full bg-primary"
                  style={{ width: `${Math.max(0, Math.min(1, bar(s.score))) * 100}%` }}
                />
              </div>
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
