// A thin layer over PDFKit for the report's few shapes: headings, label/value rows, a picture
// in a box, and a footer on every page. PDFKit places text in a flow (doc.y moves down) and
// starts a new page by itself when text runs past the bottom margin; the rows here check the
// room they need first, so a row or a picture is never cut in two.
import PDFDocument from "pdfkit";
import { fontPath } from "./fonts";

export const PAGE = { width: 595.28, height: 841.89, margin: 48 } as const;
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const LABEL_WIDTH = 132;
const FOOTER_Y = PAGE.height - 32;

const INK = "#111827";
const MUTED = "#6b7280";
const RULE = "#d1d5db";
const BOX = "#f3f4f6";

export type Fact = [label: string, value: string];

export class ReportLayout {
  readonly doc: PDFKit.PDFDocument;
  private pageNumber = 0;

  constructor(
    options: { title: string; lang: string },
    private readonly footer: (page: number) => string,
  ) {
    const regular = fontPath("regular");
    this.doc = new PDFDocument({
      size: "A4",
      margin: PAGE.margin,
      autoFirstPage: false,
      // Our face from the start: PDFKit's default Helvetica is read from files in its own
      // folder, which a bundled server build does not have.
      font: regular,
      lang: options.lang,
      displayTitle: true,
      info: { Title: options.title, Creator: "Vision Studio", Producer: "Vision Studio" },
    });
    this.doc.registerFont("body", regular);
    this.doc.registerFont("bold", fontPath("bold"));
    this.doc.on("pageAdded", () => this.drawFooter());
    this.doc.addPage();
  }

  get y(): number {
    return this.doc.y;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensureRoom(height: number) {
    if (this.doc.y + height > PAGE.height - PAGE.margin) this.doc.addPage();
  }

  title(text: string, subtitle: string) {
    this.doc.font("bold").fontSize(20).fillColor(INK);
    this.doc.text(text, PAGE.margin, this.doc.y, { width: CONTENT_WIDTH });
    this.doc.font("body").fontSize(9.5).fillColor(MUTED);
    this.doc.text(subtitle, { width: CONTENT_WIDTH });
    this.doc.moveDown(0.6);
  }

  /** A section heading with a rule under it; kept on one page with the next 60 points. */
  heading(text: string) {
    this.ensureRoom(80);
    this.doc.moveDown(0.6);
    this.doc.font("bold").fontSize(12.5).fillColor(INK);
    this.doc.text(text, PAGE.margin, this.doc.y, { width: CONTENT_WIDTH });
    const y = this.doc.y + 2;
    this.doc
      .moveTo(PAGE.margin, y)
      .lineTo(PAGE.margin + CONTENT_WIDTH, y)
      .lineWidth(0.6)
      .strokeColor(RULE)
      .stroke();
    this.doc.y = y + 6;
  }

  /** A smaller heading inside a section (one image). */
  subheading(text: string, note?: string) {
    this.doc.font("bold").fontSize(10.5).fillColor(INK);
    this.doc.text(text, PAGE.margin, this.doc.y, {
      width: CONTENT_WIDTH,
      continued: Boolean(note),
    });
    if (note) this.doc.font("body").fillColor(MUTED).text(`  ${note}`);
    this.doc.moveDown(0.3);
  }

  /** Label and value rows; a value wraps in its column (a long checksum breaks anywhere). */
  facts(facts: Fact[], options: { small?: boolean } = {}) {
    const size = options.small ? 8 : 9;
    const valueWidth = CONTENT_WIDTH - LABEL_WIDTH;
    for (const [label, value] of facts) {
      this.doc.font("body").fontSize(size);
      const height = Math.max(
        this.doc.heightOfString(label, { width: LABEL_WIDTH - 8 }),
        this.doc.heightOfString(value, { width: valueWidth }),
      );
      this.ensureRoom(height + 3);
      const y = this.doc.y;
      this.doc.fillColor(MUTED).text(label, PAGE.margin, y, { width: LABEL_WIDTH - 8 });
      this.doc.fillColor(INK).text(value, PAGE.margin + LABEL_WIDTH, y, { width: valueWidth });
      this.doc.y = y + height + 3;
    }
    this.doc.x = PAGE.margin;
  }

  paragraph(text: string, options: { small?: boolean; muted?: boolean } = {}) {
    this.doc
      .font("body")
      .fontSize(options.small ? 7.5 : 9)
      .fillColor(options.muted ? MUTED : INK);
    this.ensureRoom(this.doc.heightOfString(text, { width: CONTENT_WIDTH }) + 2);
    this.doc.text(text, PAGE.margin, this.doc.y, { width: CONTENT_WIDTH });
    this.doc.moveDown(0.3);
  }

  /**
   * A captioned box at (x, y) with a JPEG fitted and centred in it, or `fallback` text when
   * there is no picture. Does not move the flow; returns the box's bottom.
   */
  picture(
    x: number,
    y: number,
    box: { width: number; height: number },
    caption: string,
    jpeg: Buffer | null,
    fallback: string,
  ): number {
    this.doc.font("body").fontSize(8).fillColor(MUTED);
    this.doc.text(caption, x, y, { width: box.width, lineBreak: false, ellipsis: true });
    const top = y + 12;
    this.doc.rect(x, top, box.width, box.height).fillColor(BOX).fill();
    if (jpeg) {
      this.doc.image(jpeg, x, top, {
        fit: [box.width, box.height],
        align: "center",
        valign: "center",
      });
    } else {
      this.doc.font("body").fontSize(9).fillColor(MUTED);
      this.doc.text(fallback, x, top + box.height / 2 - 6, {
        width: box.width,
        align: "center",
        lineBreak: false,
      });
    }
    this.doc.fillColor(INK);
    return top + box.height;
  }

  /** Same as `picture`, with lines of text in the box instead (classification's labels). */
  textBox(
    x: number,
    y: number,
    box: { width: number; height: number },
    caption: string,
    lines: string[],
  ) {
    this.doc.font("body").fontSize(8).fillColor(MUTED);
    this.doc.text(caption, x, y, { width: box.width, lineBreak: false });
    const top = y + 12;
    this.doc.rect(x, top, box.width, box.height).fillColor(BOX).fill();
    this.doc.font("body").fontSize(9).fillColor(INK);
    this.doc.text(lines.join("\n"), x + 10, top + 10, {
      width: box.width - 20,
      height: box.height - 20,
      ellipsis: true,
    });
    return top + box.height;
  }

  /**
   * A small grid (the confusion matrix): the first column holds the row names, the others share
   * what is left of the width. Names too long for their cell end in an ellipsis.
   */
  table(header: string[], rows: string[][]) {
    const first = 110;
    const columns = Math.max(1, header.length - 1);
    const cell = Math.min(56, (CONTENT_WIDTH - first) / columns);
    const rowHeight = 13;
    const { doc } = this;
    const line = (cells: string[], bold: boolean) => {
      this.ensureRoom(rowHeight);
      const y = doc.y;
      doc
        .font(bold ? "bold" : "body")
        .fontSize(7.5)
        .fillColor(INK);
      cells.forEach((text, i) => {
        const x = i === 0 ? PAGE.margin : PAGE.margin + first + (i - 1) * cell;
        doc.text(text, x, y, {
          width: (i === 0 ? first : cell) - 4,
          align: i === 0 ? "left" : "right",
          lineBreak: false,
          ellipsis: true,
        });
      });
      doc.y = y + rowHeight;
    };
    line(header, true);
    for (const row of rows) line(row, false);
    doc.x = PAGE.margin;
    doc.moveDown(0.3);
  }

  /** The document outline (the viewer's sidebar) gets one entry per image. */
  bookmark(title: string) {
    this.doc.outline.addItem(title);
  }

  private drawFooter() {
    this.pageNumber += 1;
    const { doc } = this;
    // Text below the bottom margin would make PDFKit start yet another page: the margin is
    // lifted while the footer is written.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font("body").fontSize(7.5).fillColor(MUTED);
    doc.text(this.footer(this.pageNumber), PAGE.margin, FOOTER_Y, {
      width: CONTENT_WIDTH,
      align: "center",
      lineBreak: false,
      ellipsis: true,
    });
    doc.page.margins.bottom = bottom;
    doc.fillColor(INK);
    doc.x = PAGE.margin;
    doc.y = PAGE.margin;
  }
}
