// The report as a PDF: a cover (the task, its weight, parameters in words, checksums, overall
// quality scores) and one section per image (before / after pictures, sizes, times, device,
// checksums, mask coverage or top labels). The document streams: each page goes out when the
// next one starts, and each image's pictures are made only when its section is drawn, so a
// long report neither waits for its last picture nor holds them all.
import type { Readable } from "node:stream";
import type { InferenceClient } from "../../inference";
import { type Formats, formats, itemMs } from "./format";
import { CONTENT_WIDTH, type Fact, PAGE, ReportLayout } from "./layout";
import { paramsInWords } from "./params-in-words";
import type { ReportData, ReportItem } from "./report-data";
import { drawTaskScores, itemScoreFacts } from "./scores";
import { type ReportLocale, type ReportStrings, reportStrings } from "./strings";
import { ReportPictures, type Thumbnail } from "./thumbnails";

export interface ReportInput {
  data: ReportData;
  locale: ReportLocale;
  /** IANA zone the dates are written in (the reader's). */
  timeZone: string;
  /** When the report was made (the subtitle's date). */
  now?: Date;
  /** Makes the pictures (print renditions); without it every picture is "no picture". */
  inference?: InferenceClient | null;
}

const PICTURE_BOX = { width: (CONTENT_WIDTH - 16) / 2, height: 170 };

/** The PDF's bytes as they are made. A failure past the first byte ends the stream with it. */
export function renderReportPdf(input: ReportInput): Readable {
  const s = reportStrings(input.locale);
  const f = formats(input.locale, input.timeZone);
  const { task } = input.data;
  const taskName = task.name || s.kinds[task.taskKind as keyof ReportStrings["kinds"]];
  const layout = new ReportLayout(
    { title: s.titleOf(taskName), lang: input.locale },
    (page) => `${s.title} · ${taskName} · ${s.page(page)}`,
  );
  const pictures = new ReportPictures(input.inference ?? null);
  void (async () => {
    drawCover(layout, input, s, f, taskName);
    // The images start on a page of their own, so the cover reads as one page.
    layout.doc.addPage();
    layout.heading(s.sections.images);
    for (const [index, item] of input.data.shown.entries()) {
      // The reader went away (the download was canceled): no more pictures to make.
      if (layout.doc.destroyed) return;
      const files = input.data.files.get(item.id);
      // Both pictures of one image at once; images one after another, so memory stays bounded.
      const [before, after] = await Promise.all([
        files ? pictures.of(files.input) : null,
        files?.result ? pictures.of(files.result) : null,
      ]);
      drawItem(layout, input, s, f, item, index, { before, after, output: files?.output ?? null });
    }
    const total = input.data.items.length;
    if (input.data.shown.length < total) {
      layout.doc.moveDown(1);
      layout.paragraph(s.capped(input.data.shown.length, total));
    }
    layout.doc.end();
  })().catch((error: unknown) => {
    console.error("report PDF failed", error);
    layout.doc.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return layout.doc;
}

function drawCover(
  layout: ReportLayout,
  input: ReportInput,
  s: ReportStrings,
  f: Formats,
  taskName: string,
) {
  const { task, items, summary } = input.data;
  const l = s.labels;
  layout.title(s.titleOf(taskName), s.generated(f.date(input.now ?? new Date())));

  const times = items.map((i) => itemMs(i.timings)).filter((v): v is number => v !== null);
  const sum = times.reduce((a, b) => a + b, 0);
  layout.heading(s.sections.task);
  const taskFacts: Fact[] = [
    [l.name, taskName],
    [l.kind, s.kinds[task.taskKind as keyof ReportStrings["kinds"]] ?? task.taskKind],
    [l.state, s.statuses[task.status] ?? task.status],
    [l.images, l.imagesDone(summary.succeeded, summary.items, summary.failed)],
  ];
  if (task.dataset) taskFacts.push([l.dataset, task.dataset.name]);
  taskFacts.push(
    [l.createdBy, task.createdBy.name ?? "—"],
    [l.created, f.date(task.createdAt)],
    [l.started, f.date(task.startedAt)],
    [l.finished, f.date(task.finishedAt)],
    [
      l.duration,
      l.durationDetail(
        f.ms(summary.wallMs),
        f.ms(sum),
        f.ms(times.length ? sum / times.length : null),
      ),
    ],
    [l.device, task.device ?? "—"],
  );
  if (task.error) taskFacts.push([l.error, task.error]);
  layout.facts(taskFacts);

  layout.heading(s.sections.weight);
  const w = task.weight;
  layout.facts([
    [
      l.weight,
      w
        ? `${w.name} · ${w.family} ${w.version}${w.isOfficial ? ` (${l.official})` : ""}`
        : s.params.weightGone(task.weightSha256.slice(0, 12)),
    ],
  ]);

  layout.heading(s.sections.params);
  layout.facts(paramsInWords(task, s, input.locale));
  layout.doc.moveDown(0.3);
  layout.paragraph(`${l.record}:`, { small: true, muted: true });
  layout.paragraph(JSON.stringify(task.params), { small: true, muted: true });

  layout.heading(s.sections.checksums);
  layout.facts([
    [l.weightSha256, w?.sha256 ?? task.weightSha256],
    [l.signature, task.paramSignature],
  ]);
  layout.paragraph(l.signatureHint, { small: true, muted: true });

  if (input.data.scores) drawTaskScores(layout, input.data.scores, s, f);
}

function drawItem(
  layout: ReportLayout,
  input: ReportInput,
  s: ReportStrings,
  f: Formats,
  item: ReportItem,
  index: number,
  pictures: { before: Thumbnail | null; after: Thumbnail | null; output: string | null },
) {
  const l = s.labels;
  const kind = input.data.task.taskKind;
  const meta = item.resultMeta ?? {};
  const name = item.image.originalName;
  // Heading, captions, the two boxes and the first rows of figures stay on one page.
  layout.ensureRoom(30 + 12 + PICTURE_BOX.height + 70);
  layout.doc.moveDown(0.4);
  layout.bookmark(`${index + 1}. ${name}`);
  layout.subheading(`${index + 1}. ${name}`, s.statuses[item.status] ?? item.status);

  const top = layout.y;
  const left = PAGE.margin;
  const right = PAGE.margin + PICTURE_BOX.width + 16;
  const { width, height } = item.image;
  const bottomBefore = layout.picture(
    left,
    top,
    PICTURE_BOX,
    `${l.before} · ${f.size(width, height)}`,
    pictures.before?.jpeg ?? null,
    l.noPicture,
  );
  let bottomAfter: number;
  if (kind === "classification") {
    bottomAfter = layout.textBox(right, top, PICTURE_BOX, l.topLabels, topLabels(meta, f));
  } else {
    const outW = typeof meta.width === "number" ? meta.width : null;
    const outH = typeof meta.height === "number" ? meta.height : null;
    const what = pictures.output ? (l.outputs[pictures.output] ?? pictures.output) : l.result;
    bottomAfter = layout.picture(
      right,
      top,
      PICTURE_BOX,
      [l.after, what, outW && outH ? f.size(outW, outH) : null].filter(Boolean).join(" · "),
      pictures.after?.jpeg ?? null,
      item.status === "succeeded" ? l.noPicture : (s.statuses[item.status] ?? l.notRun),
    );
  }
  layout.doc.x = PAGE.margin;
  layout.doc.y = Math.max(bottomBefore, bottomAfter) + 8;

  const facts: Fact[] = [
    [
      l.input,
      [
        s.params.size(width, height),
        item.image.format.toUpperCase(),
        item.image.sizeBytes ? f.bytes(item.image.sizeBytes) : null,
      ]
        .filter(Boolean)
        .join(" · "),
    ],
    [l.inputSha256, item.image.sha256],
  ];
  if (item.hasResult) {
    const outW = typeof meta.width === "number" ? meta.width : null;
    const outH = typeof meta.height === "number" ? meta.height : null;
    facts.push([
      l.result,
      [
        outW && outH ? s.params.size(outW, outH) : null,
        item.resultBytes ? f.bytes(item.resultBytes) : null,
      ]
        .filter(Boolean)
        .join(" · ") || "—",
    ]);
    if (item.resultSha256) facts.push([l.resultSha256, item.resultSha256]);
  }
  if (item.timings) {
    facts.push([l.time, l.timeDetail(f.ms(itemMs(item.timings)), f.ms(item.timings.runMs))]);
  }
  if (item.device) facts.push([l.device, item.device]);
  if (kind === "segmentation" && typeof meta.foregroundFraction === "number") {
    const threshold = typeof meta.threshold === "number" ? f.number(meta.threshold) : "—";
    facts.push([l.coverage, l.coverageValue(f.percent(meta.foregroundFraction), threshold)]);
  }
  if (item.error) facts.push([l.error, item.error]);
  facts.push(...itemScoreFacts(meta, s, f));
  layout.facts(facts, { small: true });
}

/** A classification's top labels with their scores (percent, or the raw logit). */
function topLabels(meta: Record<string, unknown>, f: Formats): string[] {
  const top = Array.isArray(meta.top) ? (meta.top as { label?: unknown; score?: unknown }[]) : [];
  const logits = meta.scoreKind === "logits";
  return top
    .filter((t) => typeof t.label === "string" && typeof t.score === "number")
    .map(
      (t) => `${t.label}  ${logits ? f.number(t.score as number) : f.percent(t.score as number)}`,
    );
}
