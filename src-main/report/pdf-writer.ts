/**
 * A thin layout layer over pdfkit for the study report: A4 pages, DejaVu Sans (embedded, so every
 * Unicode symbol the numbers need — κ, α, ≥, ±, − — prints), headings that keep with what follows,
 * wrapped paragraphs, tables that break across pages with their header repeated, figures scaled to
 * the text width, warning boxes. Page numbers are written at the end.
 *
 * Table cells and key–value lines are wrapped here, not by pdfkit: a line breaks only at a space or
 * after a hyphen or dash, never inside a word. Column widths start from the widths the caller asks
 * for and grow until the widest unbreakable piece of every cell fits (taken from the columns with room
 * to spare); when the columns cannot all fit, the table's font shrinks (to 6 pt at the least) and
 * headers with a short form use it. Every cell laid out is recorded (text, font, size, the width it
 * had, its lines and where it sits) when the caller passes a log, so tests can check that nothing is
 * wider than its column.
 *
 * Figures keep their caption under them. A figure that does not fit on the rest of a page floats: the
 * text that follows fills the page, and the figure opens the next page (before the next section at
 * the latest), so no third of a page is left blank.
 */
import path from 'node:path';
import PDFDocument from 'pdfkit';
import { packageRoot } from '../paths';

const FONT_DIR = () => path.join(packageRoot(), 'assets', 'fonts');
export const PAGE = { width: 595.28, height: 841.89, margin: 56 };
/** The smallest font a table shrinks to before a piece of text may be broken. */
export const MIN_TABLE_FONT = 6;
/** A figure may be shrunk to this share of its size to stay where it is. */
const MIN_SCALE = 0.75;
/** Padding between a table cell's text and its borders. */
const PAD = 3;

export type FontName = 'body' | 'bold';
const HEADING_SIZE = { 1: 16, 2: 13, 3: 11 } as const;

export interface TableColumn {
  header: string;
  /** A shorter header used when the table does not fit with the full one. */
  short?: string;
  /** Cells hold identifiers: a line breaks only at spaces, never after a hyphen inside one. */
  nowrap?: boolean;
  width: number;
  align?: 'left' | 'right' | 'center';
}

/** One table cell or key–value line as laid out: its text, font and the width it had (points). */
export interface CellRecord {
  kind: 'table-header' | 'table-cell' | 'key' | 'value';
  /** 0-based page index. */
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
  font: FontName;
  size: number;
  /** The lines the text was wrapped into. */
  lines: string[];
}

interface PendingFigure {
  image: Buffer;
  width: number;
  height: number;
  caption: string;
}

/**
 * The pieces a line may break between: words split at spaces (not at a no-break space), and after a
 * hyphen or dash inside a word ("IWNE-" "FS") unless `nowrap` (identifiers). A piece is never broken.
 */
export function breakPieces(text: string, nowrap = false): { piece: string; space: boolean }[] {
  const out: { piece: string; space: boolean }[] = [];
  for (const word of text.split(/[ \t\n]+/).filter(Boolean)) {
    if (nowrap) out.push({ piece: word, space: true });
    else word.split(/(?<=[-–—])/).forEach((piece, i) => out.push({ piece, space: i === 0 }));
  }
  return out;
}

export class PdfWriter {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;
  private readonly log: CellRecord[] | null;
  private readonly pending: PendingFigure[] = [];
  /** A heading waiting for the block it keeps with (it is drawn on the page where that block starts). */
  private pendingHeading: { text: string; level: 1 | 2 | 3 } | null = null;

  constructor(info: { title: string; subject: string; creationDate: Date }, opts: { log?: CellRecord[] } = {}) {
    this.log = opts.log ?? null;
    this.doc = new PDFDocument({
      size: 'A4',
      margin: PAGE.margin,
      bufferPages: true,
      info: {
        Title: info.title,
        Subject: info.subject,
        Author: 'FundusLab',
        Creator: 'FundusLab',
        Producer: 'FundusLab (pdfkit)',
        CreationDate: info.creationDate,
      },
    });
    this.doc.registerFont('body', path.join(FONT_DIR(), 'DejaVuSans.ttf'));
    this.doc.registerFont('bold', path.join(FONT_DIR(), 'DejaVuSans-Bold.ttf'));
    this.doc.font('body').fontSize(10);
    this.doc.on('data', (c: Buffer) => this.chunks.push(c));
    this.done = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
  }

  get textWidth(): number {
    return PAGE.width - 2 * PAGE.margin;
  }

  private get bottom(): number {
    return PAGE.height - PAGE.margin;
  }

  /** Points left on this page. */
  get remaining(): number {
    return this.bottom - this.doc.y;
  }

  /** Points of a whole page between the margins. */
  get pageSpace(): number {
    return this.bottom - PAGE.margin;
  }

  /** Figures wait for the next page (so the next figure goes there too). */
  get floating(): boolean {
    return this.pending.length > 0;
  }

  private get page(): number {
    return this.doc.bufferedPageRange().count - 1;
  }

  private get atTop(): boolean {
    return this.doc.y <= PAGE.margin + 1;
  }

  /** A new page, opened by the figures waiting for one. */
  private breakPage(): void {
    this.doc.addPage();
    this.placePending();
  }

  /** Starts a new page unless at least `height` points are left on this one. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.breakPage();
    if (this.doc.y + height > this.bottom && !this.atTop) this.doc.addPage();
  }

  /**
   * Makes room for a block whose first `height` points must stay together (with the heading before
   * it, if one waits): a new page when they do not fit here.
   */
  private startBlock(height: number): void {
    const h = this.pendingHeading;
    if (!h) return this.ensure(height);
    this.pendingHeading = null;
    const size = HEADING_SIZE[h.level];
    this.doc.font('bold').fontSize(size);
    const hh = this.doc.heightOfString(h.text, { width: this.textWidth }) + size * 0.9 + (h.level === 1 ? 16 : 8);
    this.ensure(hh + height);
    if (!this.atTop) this.doc.moveDown(h.level === 1 ? 1 : 0.6);
    this.doc.font('bold').fontSize(size).fillColor('#111').text(h.text, PAGE.margin, this.doc.y, { width: this.textWidth });
    this.doc.moveDown(0.3);
    this.doc.font('body').fontSize(10).fillColor('#222');
  }

  newPage(): void {
    this.startBlock(0);
    this.placePending(true);
    this.doc.addPage();
  }

  /** A heading, drawn with the block that follows it (never alone at the foot of a page). */
  heading(text: string, level: 1 | 2 | 3 = 1): void {
    if (this.pendingHeading) {
      this.doc.font('bold').fontSize(HEADING_SIZE[level]);
      this.startBlock(this.doc.heightOfString(text, { width: this.textWidth }) + 40);
    }
    if (level === 1) this.placePending(true); // a section's figures stay in front of the next section
    this.pendingHeading = { text, level };
  }

  /**
   * Wrapped lines from the current position down, at `x` within `width`; a line that does not fit opens
   * a new page (where floating figures go first), so a long text flows across pages.
   */
  private flow(lines: readonly string[], x: number, font: FontName, size: number, colour: string): void {
    this.doc.font(font).fontSize(size);
    const lh = this.doc.currentLineHeight(true);
    for (const line of lines) {
      if (this.doc.y + lh > this.bottom) this.breakPage();
      this.doc.font(font).fontSize(size).fillColor(colour);
      const y = this.doc.y;
      this.doc.text(line, x, y, { lineBreak: false });
      this.doc.x = PAGE.margin;
      this.doc.y = y + lh;
    }
  }

  paragraph(text: string, opts: { size?: number; colour?: string; bold?: boolean } = {}): void {
    const font: FontName = opts.bold ? 'bold' : 'body';
    const size = opts.size ?? 10;
    const lines = this.wrap(text, font, size, this.textWidth);
    this.doc.font(font).fontSize(size);
    this.startBlock(Math.min(lines.length, 3) * this.doc.currentLineHeight(true));
    this.flow(lines, PAGE.margin, font, size, opts.colour ?? '#222');
    this.doc.font('body').fontSize(10).fillColor('#222');
    this.doc.moveDown(0.4);
  }

  bullets(items: readonly string[]): void {
    for (const item of items) {
      const lines = this.wrap(item, 'body', 10, this.textWidth - 14);
      this.doc.font('body').fontSize(10);
      this.startBlock(Math.min(lines.length, 2) * this.doc.currentLineHeight(true));
      this.doc.fillColor('#222').text('•', PAGE.margin, this.doc.y, { lineBreak: false });
      this.flow(lines, PAGE.margin + 14, 'body', 10, '#222');
      this.doc.font('body').fontSize(10).moveDown(0.2);
    }
    this.doc.moveDown(0.3);
  }

  /** A boxed warning that stands out from the text: a bold title and its lines. */
  warningBox(title: string, lines: readonly string[]): void {
    const inner = this.textWidth - 24;
    this.doc.font('bold').fontSize(10.5);
    const th = this.doc.heightOfString(title, { width: inner });
    this.doc.font('body').fontSize(9);
    const bh = lines.reduce((a, l) => a + this.doc.heightOfString(l, { width: inner - 10 }) + 3, 0);
    const h = th + bh + 22;
    this.startBlock(h + 8);
    const y = this.doc.y + 2;
    this.doc.save();
    this.doc.rect(PAGE.margin, y, this.textWidth, h).fillAndStroke('#fff4e5', '#c2410c');
    this.doc.rect(PAGE.margin, y, 5, h).fill('#c2410c');
    this.doc.restore();
    this.doc
      .font('bold')
      .fontSize(10.5)
      .fillColor('#9a3412')
      .text(title, PAGE.margin + 14, y + 9, { width: inner });
    this.doc.y += 3;
    this.doc.font('body').fontSize(9).fillColor('#431407');
    for (const l of lines) {
      const ly = this.doc.y;
      this.doc.text('•', PAGE.margin + 14, ly, { width: 8 });
      this.doc.text(l, PAGE.margin + 24, ly, { width: inner - 10 });
      this.doc.y += 3;
    }
    this.doc.x = PAGE.margin;
    this.doc.y = y + h + 10;
    this.doc.font('body').fontSize(10).fillColor('#222');
  }

  private width(text: string, font: FontName, size: number): number {
    return this.doc.font(font).fontSize(size).widthOfString(text);
  }

  /** The widest piece of `text` that may not be broken (breakPieces). */
  private widestPiece(text: string, font: FontName, size: number, nowrap = false): number {
    return Math.max(0, ...breakPieces(text, nowrap).map((p) => this.width(p.piece, font, size)));
  }

  /**
   * `text` wrapped into lines no wider than `width`, breaking only between pieces (breakPieces); a
   * piece wider than the whole line — which the callers avoid — is broken by characters as a last resort.
   */
  wrap(text: string, font: FontName, size: number, width: number, nowrap = false): string[] {
    const lines: string[] = [];
    for (const para of text.split('\n')) {
      let line = '';
      for (const { piece, space } of breakPieces(para, nowrap)) {
        const candidate = line ? line + (space ? ' ' : '') + piece : piece;
        if (this.width(candidate, font, size) <= width + 1e-6) {
          line = candidate;
          continue;
        }
        if (line) lines.push(line);
        line = piece;
        while (this.width(line, font, size) > width + 1e-6 && line.length > 1) {
          let n = line.length - 1;
          while (n > 1 && this.width(line.slice(0, n), font, size) > width) n--;
          lines.push(line.slice(0, n));
          line = line.slice(n);
        }
      }
      lines.push(line);
    }
    return lines;
  }

  /** Writes wrapped lines at (x, y) within `width`, aligned; returns the height used. */
  private writeLines(lines: readonly string[], x: number, y: number, width: number, font: FontName, size: number, align: string): number {
    this.doc.font(font).fontSize(size);
    const lh = this.doc.currentLineHeight(true);
    lines.forEach((line, i) => {
      const w = this.doc.widthOfString(line);
      const dx = align === 'right' ? width - w : align === 'center' ? (width - w) / 2 : 0;
      this.doc.text(line, x + Math.max(0, dx), y + i * lh, { lineBreak: false });
    });
    return lines.length * lh;
  }

  private record(r: Omit<CellRecord, 'page'>): void {
    this.log?.push({ ...r, page: this.page });
  }

  /** Key–value lines (a definition list); a value too wide for its line at 9 pt is set smaller rather than broken inside a word. */
  keyValues(rows: readonly [string, string][], keyWidth = 150): void {
    const valueWidth = this.textWidth - keyWidth;
    for (const [k, v] of rows) {
      let size = 9;
      while (size > MIN_TABLE_FONT && this.widestPiece(v, 'body', size) > valueWidth) size -= 0.5;
      let keySize = 9;
      while (keySize > MIN_TABLE_FONT && this.widestPiece(k, 'bold', keySize) > keyWidth - 8) keySize -= 0.5;
      const keyLines = this.wrap(k, 'bold', keySize, keyWidth - 8);
      const valueLines = this.wrap(v, 'body', size, valueWidth);
      this.doc.font('body').fontSize(size);
      const vh = valueLines.length * this.doc.currentLineHeight(true);
      this.doc.font('bold').fontSize(keySize);
      const kh = keyLines.length * this.doc.currentLineHeight(true);
      const h = Math.max(vh, kh, 12);
      this.startBlock(h);
      const y = this.doc.y;
      this.doc.fillColor('#222');
      this.writeLines(keyLines, PAGE.margin, y, keyWidth - 8, 'bold', keySize, 'left');
      this.writeLines(valueLines, PAGE.margin + keyWidth, y, valueWidth, 'body', size, 'left');
      this.record({
        kind: 'key',
        x: PAGE.margin,
        y,
        width: keyWidth - 8,
        height: kh,
        text: k,
        font: 'bold',
        size: keySize,
        lines: keyLines,
      });
      this.record({
        kind: 'value',
        x: PAGE.margin + keyWidth,
        y,
        width: valueWidth,
        height: vh,
        text: v,
        font: 'body',
        size,
        lines: valueLines,
      });
      this.doc.x = PAGE.margin;
      this.doc.y = y + h + 2;
    }
    this.doc.font('body').fontSize(10).moveDown(0.4);
  }

  /**
   * Column widths (points) for a table at a font size: the asked-for widths, each raised to its widest
   * piece, the rise taken from the columns with room to spare; null when the pieces cannot all fit.
   */
  private columnWidths(
    asked: readonly number[],
    headers: readonly string[],
    rows: readonly (readonly string[])[],
    size: number,
    bold: (row: number, col: number) => boolean,
    nowrap: (col: number) => boolean,
  ): number[] | null {
    const min = asked.map(
      (_, c) =>
        Math.max(
          this.widestPiece(headers[c]!, 'bold', size),
          ...rows.map((r, i) => this.widestPiece(r[c] ?? '', bold(i, c) ? 'bold' : 'body', size, nowrap(c))),
        ) +
        2 * PAD +
        0.5,
    );
    const askedTotal = asked.reduce((a, b) => a + b, 0);
    const minTotal = min.reduce((a, b) => a + b, 0);
    if (minTotal > this.textWidth) return null;
    const total = Math.max(askedTotal, minTotal);
    const widths = asked.map((w) => (w * total) / askedTotal);
    const need = widths.reduce((a, w, i) => a + Math.max(0, min[i]! - w), 0);
    const slack = widths.reduce((a, w, i) => a + Math.max(0, w - min[i]!), 0);
    return widths.map((w, i) => (w < min[i]! ? min[i]! : w - (slack > 0 ? (need * (w - min[i]!)) / slack : 0)));
  }

  /**
   * A table; widths are fractions of the text width when they sum to ≤ 1, else points. `highlight`
   * marks a cell bold on a light yellow ground, `bold` sets it bold only.
   */
  table(
    columns: readonly TableColumn[],
    rows: readonly (readonly string[])[],
    opts: { highlight?: (row: number, col: number) => boolean; bold?: (row: number, col: number) => boolean; fontSize?: number } = {},
  ): void {
    const strong = (i: number, c: number) => !!opts.highlight?.(i, c) || !!opts.bold?.(i, c);
    const sum = columns.reduce((a, c) => a + c.width, 0);
    const asked = columns.map((c) => (sum <= 1.0001 ? c.width * this.textWidth : c.width));
    let size = opts.fontSize ?? 8;
    let headers = columns.map((c) => c.header);
    let widths: number[] | null = null;
    for (;;) {
      widths = this.columnWidths(asked, headers, rows, size, strong, (c) => !!columns[c]!.nowrap);
      if (widths) break;
      const short = columns.map((c) => c.short ?? c.header);
      if (short.some((s, i) => s !== headers[i])) {
        headers = short;
        continue;
      }
      if (size <= MIN_TABLE_FONT) break;
      size = Math.max(MIN_TABLE_FONT, size - 0.5);
    }
    const w: number[] = widths ?? asked.map((a) => (a * this.textWidth) / asked.reduce((x, y) => x + y, 0));
    const tableWidth = w.reduce((a, b) => a + b, 0);
    const layout = (cells: readonly string[], header: boolean, rowIndex: number) => {
      const fonts = cells.map((_, i): FontName => (header || strong(rowIndex, i) ? 'bold' : 'body'));
      const lines = cells.map((c, i) => this.wrap(c, fonts[i]!, size, w[i]! - 2 * PAD, !header && !!columns[i]!.nowrap));
      this.doc.font('body').fontSize(size);
      const lh = this.doc.currentLineHeight(true);
      return { fonts, lines, h: Math.max(1, ...lines.map((l) => l.length)) * lh + 2 * PAD };
    };
    const drawRow = (cells: readonly string[], header: boolean, rowIndex: number) => {
      const l = layout(cells, header, rowIndex);
      if (this.doc.y + l.h > this.bottom) {
        this.breakPage();
        if (!header) drawRow(headers, true, -1);
      }
      const y = this.doc.y;
      let x = PAGE.margin;
      if (header) this.doc.rect(PAGE.margin, y, tableWidth, l.h).fill('#e8eef5');
      cells.forEach((c, i) => {
        if (!header && opts.highlight?.(rowIndex, i)) this.doc.rect(x, y, w[i]!, l.h).fill('#fff1c1');
        this.doc.fillColor('#111');
        this.writeLines(l.lines[i]!, x + PAD, y + PAD, w[i]! - 2 * PAD, l.fonts[i]!, size, columns[i]!.align ?? 'left');
        this.record({
          kind: header ? 'table-header' : 'table-cell',
          x: x + PAD,
          y: y + PAD,
          width: w[i]! - 2 * PAD,
          height: l.h - 2 * PAD,
          text: c,
          font: l.fonts[i]!,
          size,
          lines: l.lines[i]!,
        });
        x += w[i]!;
      });
      this.doc
        .moveTo(PAGE.margin, y + l.h)
        .lineTo(PAGE.margin + tableWidth, y + l.h)
        .lineWidth(0.5)
        .strokeColor('#bbbbbb')
        .stroke();
      this.doc.y = y + l.h;
      this.doc.x = PAGE.margin;
    };
    // The header keeps with the first row.
    const first = rows[0] ? layout(rows[0], false, 0).h : 0;
    this.startBlock(layout(headers, true, -1).h + first);
    drawRow(headers, true, -1);
    rows.forEach((r, i) => drawRow(r, false, i));
    this.doc.font('body').fontSize(10).fillColor('#222');
    this.doc.moveDown(0.6);
  }

  private figureSize(f: PendingFigure): { w: number; h: number; capH: number } {
    const w = Math.min(this.textWidth, f.width / 2);
    this.doc.font('body').fontSize(9);
    return { w, h: (w * f.height) / f.width, capH: this.doc.heightOfString(f.caption, { width: this.textWidth }) };
  }

  /** Places a figure here, scaled by `scale`, its caption under it. */
  private placeFigure(f: PendingFigure, scale: number): void {
    const { w, h } = this.figureSize(f);
    this.doc.image(f.image, PAGE.margin + (this.textWidth - w * scale) / 2, this.doc.y, { width: w * scale, height: h * scale });
    this.doc.y += h * scale + 4;
    this.doc.font('body').fontSize(9).fillColor('#333').text(f.caption, PAGE.margin, this.doc.y, { width: this.textWidth });
    this.doc.x = PAGE.margin;
    this.doc.fontSize(10).fillColor('#222').moveDown(0.8);
  }

  /** The scale at which a figure fits in `space` points (image, gap and caption), at most 1. */
  private fitScale(f: PendingFigure, space: number): number {
    const { h, capH } = this.figureSize(f);
    return Math.min(1, (space - capH - 14) / h);
  }

  /** Places the floating figures: on this page while they fit, else from the top of a new one. */
  private placePending(force = false): void {
    while (this.pending.length > 0) {
      const f = this.pending[0]!;
      if (this.fitScale(f, this.remaining) < 0.999) {
        if (!force && !this.atTop) return;
        if (!this.atTop) this.doc.addPage();
      }
      this.pending.shift();
      this.placeFigure(f, Math.max(0.1, this.fitScale(f, this.remaining)));
    }
  }

  /**
   * A figure (PNG or JPEG bytes) scaled to the text width (or its natural size at 2× when smaller),
   * with a caption. Placed here when it fits (allowing a slight shrink), else it floats to the next page.
   */
  figure(image: Buffer, pixelWidth: number, pixelHeight: number, caption: string): void {
    const f: PendingFigure = { image, width: pixelWidth, height: pixelHeight, caption };
    const page = this.bottom - PAGE.margin;
    if (this.pendingHeading) {
      // A figure right under its heading: both here when the figure fits (slightly shrunk at most), else both on a
      // new page; figures still floating go first.
      this.placePending(true);
      const { h, capH } = this.figureSize(f);
      this.startBlock(Math.min(page - 60, MIN_SCALE * h + capH + 14));
      return this.placeFigure(f, Math.max(0.1, this.fitScale(f, this.remaining)));
    }
    if (this.pending.length > 0) {
      this.pending.push(f);
      return;
    }
    const scale = this.fitScale(f, this.remaining);
    if (scale >= MIN_SCALE || this.atTop) return this.placeFigure(f, Math.max(0.1, this.fitScale(f, this.atTop ? page : this.remaining)));
    if (this.remaining < page / 4) {
      this.doc.addPage();
      return this.placeFigure(f, Math.max(0.1, this.fitScale(f, page)));
    }
    this.pending.push(f);
  }

  /** Writes "page i of n" footers and returns the PDF bytes and the page count. */
  async finish(footer: string): Promise<{ bytes: Buffer; pages: number }> {
    this.startBlock(0);
    this.placePending(true);
    const range = this.doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      this.doc.page.margins.bottom = 0; // the footer sits in the bottom margin; no automatic page break
      this.doc.font('body').fontSize(8).fillColor('#777');
      const y = PAGE.height - PAGE.margin + 18;
      this.doc.text(`${footer} — page ${i + 1} of ${range.count}`, PAGE.margin, y, {
        width: this.textWidth,
        align: 'center',
        lineBreak: false,
      });
    }
    this.doc.end();
    return { bytes: await this.done, pages: range.count };
  }
}
