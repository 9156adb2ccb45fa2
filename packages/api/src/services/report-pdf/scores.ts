// Quality scores against references (issue #19): the worker measures a task's results against
// reference masks, high-resolution images or labels and stores them per image
// (resultMeta.scores) and per task (taskReport's `scores`), in @studio/core/metrics' shapes.
// Here they become the PDF's rows: the task's on the cover, each image's in its section.
import { type ItemScores, itemScoresSchema, type TaskScores } from "@studio/core/metrics";
import type { Formats } from "./format";
import type { Fact, ReportLayout } from "./layout";
import type { ReportStrings } from "./strings";

/** Labels past this make the confusion matrix's cells too small to read on A4. */
const MAX_MATRIX_LABELS = 12;

const ratio = (f: Formats, value: number | null) => (value === null ? "—" : f.number(value, 4));

function decibels(f: Formats, s: ReportStrings, value: number | null) {
  return value === null ? s.scores.identical : `${f.number(value, 2)} dB`;
}

/** The cover's section: the task's scores over all its images. */
export function drawTaskScores(
  layout: ReportLayout,
  scores: TaskScores,
  s: ReportStrings,
  f: Formats,
) {
  const w = s.scores;
  layout.heading(s.sections.scores);
  const facts: Fact[] = [[w.images, String(scores.images)]];
  if (scores.kind === "segmentation") {
    facts.push(
      [w.threshold, f.number(scores.threshold)],
      [w.diceIou, `${ratio(f, scores.dice)} / ${ratio(f, scores.iou)}`],
      [w.precisionRecall, `${ratio(f, scores.precision)} / ${ratio(f, scores.recall)}`],
      [w.clDice, ratio(f, scores.clDice)],
      [
        w.means,
        w.meansValue(
          ratio(f, scores.meanDice),
          ratio(f, scores.meanIou),
          ratio(f, scores.meanClDice),
        ),
      ],
      [
        w.bestThreshold,
        w.bestThresholdValue(
          f.number(scores.sweep.best.threshold),
          ratio(f, scores.sweep.best.dice),
        ),
      ],
    );
    layout.facts(facts);
  } else if (scores.kind === "super_resolution") {
    facts.push(
      [w.reference, scores.reference === "pair" ? w.referencePair : w.referenceDownscaled],
      [w.measuredOn, w.measuredOnValue(scores.crop)],
      [w.psnr, w.vsBicubic(decibels(f, s, scores.model.psnr), decibels(f, s, scores.bicubic.psnr))],
      [w.ssim, w.vsBicubic(ratio(f, scores.model.ssim), ratio(f, scores.bicubic.ssim))],
    );
    layout.facts(facts);
  } else {
    facts.push([w.top1, f.percent(scores.top1)], [w.topK(scores.k), f.percent(scores.topK)]);
    layout.facts(facts);
    const { labels, counts } = scores.confusion;
    layout.doc.moveDown(0.3);
    layout.paragraph(`${w.confusion}. ${w.confusionAxes}`, { small: true, muted: true });
    if (labels.length > MAX_MATRIX_LABELS) {
      layout.paragraph(w.confusionTooLarge(labels.length), { small: true, muted: true });
    } else {
      layout.table(
        ["", ...labels],
        labels.map((label, i) => [label, ...(counts[i] ?? []).map((n) => String(n))]),
      );
    }
  }
}

/** One image's scores as a row of its section, or nothing when it has none. */
export function itemScoreFacts(
  meta: Record<string, unknown>,
  s: ReportStrings,
  f: Formats,
): Fact[] {
  const parsed = itemScoresSchema.safeParse(meta.scores);
  if (!parsed.success) return [];
  return [[s.scores.item, itemScoresInWords(parsed.data, s, f)]];
}

function itemScoresInWords(scores: ItemScores, s: ReportStrings, f: Formats): string {
  const w = s.scores;
  if (scores.kind === "segmentation") {
    return w.segmentationItem({
      dice: ratio(f, scores.dice),
      iou: ratio(f, scores.iou),
      clDice: ratio(f, scores.clDice),
      precision: ratio(f, scores.precision),
      recall: ratio(f, scores.recall),
    });
  }
  if (scores.kind === "super_resolution") {
    return w.superResolutionItem(
      w.vsBicubic(decibels(f, s, scores.model.psnr), decibels(f, s, scores.bicubic.psnr)),
      w.vsBicubic(ratio(f, scores.model.ssim), ratio(f, scores.bicubic.ssim)),
    );
  }
  return w.classificationItem(scores.label, scores.predicted, scores.rank);
}
