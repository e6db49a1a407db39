/**
 * A thin layout layer over pdfkit for the study report: A4 pages, DejaVu Sans (embedded, so every
 * Unicode symbol the numbers need — κ, α, ≥, ± — prints), headings that keep with what follows,
 * wrapped paragraphs, tables that break across pages with their header repeated, figures scaled to
 * the text width. Page numbers are written at the end.
 */
import path from 'node:path';
import PDFDocument from 'pdfkit';
import { packageRoot } from '../paths';

const FONT_DIR = () => path.join(packageRoot(), 'assets', 'fonts');
export const PAGE = { width: 595.28, height: 841.89, margin: 56 };

export interface TableColumn {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

export class PdfWriter {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(info: { title: string; subject: string; creationDate: Date }) {
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

  /** Starts a new page unless at least `height` points are left on this one. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  heading(text: string, level: 1 | 2 | 3 = 1): void {
    const size = level === 1 ? 16 : level === 2 ? 13 : 11;
    this.ensure(level === 1 ? 160 : size * 2 + 60); // keep a heading with what follows it
    if (this.doc.y > PAGE.margin + 1) this.doc.moveDown(level === 1 ? 1 : 0.6);
    this.doc.font('bold').fontSize(size).fillColor('#111').text(text, PAGE.margin, this.doc.y, { width: this.textWidth });
    this.doc.moveDown(0.3);
    this.doc.font('body').fontSize(10).fillColor('#222');
  }

  paragraph(text: string, opts: { size?: number; colour?: string; bold?: boolean } = {}): void {
    this.doc
      .font(opts.bold ? 'bold' : 'body')
      .fontSize(opts.size ?? 10)
      .fillColor(opts.colour ?? '#222');
    this.ensure(
      this.doc.heightOfString(text, { width: this.textWidth }) > 200 ? 40 : this.doc.heightOfString(text, { width: this.textWidth }),
    );
    this.doc.text(text, PAGE.margin, this.doc.y, { width: this.textWidth, align: 'left' });
    this.doc.moveDown(0.4);
    this.doc.font('body').fontSize(10).fillColor('#222');
  }

  bullets(items: readonly string[]): void {
    for (const item of items) {
      this.doc.font('body').fontSize(10);
      const h = this.doc.heightOfString(item, { width: this.textWidth - 14 });
      this.ensure(h);
      const y = this.doc.y;
      this.doc.text('•', PAGE.margin, y, { width: 10 });
      this.doc.text(item, PAGE.margin + 14, y, { width: this.textWidth - 14 });
      this.doc.moveDown(0.2);
    }
    this.doc.moveDown(0.3);
  }

  /** Key–value lines (a definition list). */
  keyValues(rows: readonly [string, string][], keyWidth = 150): void {
    for (const [k, v] of rows) {
      this.doc.font('bold').fontSize(9);
      const hk = this.doc.heightOfString(k, { width: keyWidth - 8 });
      this.doc.font('body');
      const h = Math.max(this.doc.heightOfString(v, { width: this.textWidth - keyWidth }), hk, 12);
      this.ensure(h);
      const y = this.doc.y;
      this.doc.font('bold').text(k, PAGE.margin, y, { width: keyWidth - 8 });
      this.doc.font('body').text(v, PAGE.margin + keyWidth, y, { width: this.textWidth - keyWidth });
      this.doc.y = Math.max(this.doc.y, y + h) + 2;
    }
    this.doc.fontSize(10).moveDown(0.4);
  }

  /** A table; widths are fractions of the text width when they sum to ≤ 1, else points. */
  table(
    columns: readonly TableColumn[],
    rows: readonly (readonly string[])[],
    opts: { highlight?: (row: number, col: number) => boolean; fontSize?: number } = {},
  ): void {
    const size = opts.fontSize ?? 8;
    const total = columns.reduce((a, c) => a + c.width, 0);
    const widths = columns.map((c) => (total <= 1.0001 ? c.width * this.textWidth : c.width));
    const pad = 3;
    const drawRow = (cells: readonly string[], header: boolean, rowIndex: number) => {
      this.doc.font(header ? 'bold' : 'body').fontSize(size);
      const h = Math.max(...cells.map((c, i) => this.doc.heightOfString(c, { width: widths[i]! - 2 * pad }))) + 2 * pad;
      if (this.doc.y + h > this.bottom) {
        this.doc.addPage();
        if (!header)
          drawRow(
            columns.map((c) => c.header),
            true,
            -1,
          );
      }
      const y = this.doc.y;
      let x = PAGE.margin;
      if (header)
        this.doc
          .rect(
            PAGE.margin,
            y,
            widths.reduce((a, b) => a + b, 0),
            h,
          )
          .fill('#e8eef5')
          .fillColor('#111');
      cells.forEach((c, i) => {
        const hl = !header && opts.highlight?.(rowIndex, i);
        if (hl) this.doc.rect(x, y, widths[i]!, h).fill('#fff1c1').fillColor('#111');
        this.doc
          .font(header || hl ? 'bold' : 'body')
          .fontSize(size)
          .fillColor('#111');
        this.doc.text(c, x + pad, y + pad, { width: widths[i]! - 2 * pad, align: columns[i]!.align ?? 'left' });
        x += widths[i]!;
      });
      this.doc
        .moveTo(PAGE.margin, y + h)
        .lineTo(PAGE.margin + widths.reduce((a, b) => a + b, 0), y + h)
        .lineWidth(0.5)
        .strokeColor('#bbbbbb')
        .stroke();
      this.doc.y = y + h;
      this.doc.x = PAGE.margin;
    };
    drawRow(
      columns.map((c) => c.header),
      true,
      -1,
    );
    rows.forEach((r, i) => drawRow(r, false, i));
    this.doc.font('body').fontSize(10).fillColor('#222');
    this.doc.moveDown(0.6);
  }

  /** A PNG figure scaled to the text width (or its natural size at 2× when smaller), with a caption. */
  figure(png: Buffer, pixelWidth: number, pixelHeight: number, caption: string): void {
    const w = Math.min(this.textWidth, pixelWidth / 2);
    const h = (w * pixelHeight) / pixelWidth;
    this.doc.fontSize(9);
    const capH = this.doc.heightOfString(caption, { width: this.textWidth });
    this.ensure(Math.min(h + capH + 10, this.bottom - PAGE.margin));
    const scale = Math.min(1, (this.bottom - this.doc.y - capH - 10) / h);
    this.doc.image(png, PAGE.margin + (this.textWidth - w * scale) / 2, this.doc.y, { width: w * scale, height: h * scale });
    this.doc.y += h * scale + 4;
    this.doc.font('body').fontSize(9).fillColor('#333').text(caption, PAGE.margin, this.doc.y, { width: this.textWidth });
    this.doc.fontSize(10).fillColor('#222').moveDown(0.8);
  }

  /** Writes "page i of n" footers and returns the PDF bytes and the page count. */
  async finish(footer: string): Promise<{ bytes: Buffer; pages: number }> {
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
