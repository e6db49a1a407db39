/**
 * Layout checks of a rendered report: every table cell and key–value line the PDF writer recorded is
 * measured again with pdfkit (the same fonts) against the width it had, its lines must rebuild its
 * text with breaks only at spaces or after a hyphen, and poppler's pdftotext -bbox must find exactly
 * those lines inside the cell's box on its page (so the PDF shows no word broken inside a cell).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import { packageRoot } from '../../../src-main/paths';
import type { CellRecord } from '../../../src-main/report/pdf-writer';

export interface PdfWord {
  page: number;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
  text: string;
}

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** Every word of the PDF with its box (points, top-left origin), from pdftotext -bbox. */
export function pdfWords(pdf: string): PdfWord[] {
  const html = execFileSync('pdftotext', ['-bbox', pdf, '-'], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  const out: PdfWord[] = [];
  let page = -1;
  for (const m of html.matchAll(/<page\b|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)) {
    if (m[0] === '<page') page++;
    else out.push({ page, xMin: Number(m[1]), yMin: Number(m[2]), xMax: Number(m[3]), yMax: Number(m[4]), text: decode(m[5]!) });
  }
  return out;
}

/** A measuring document with the report's fonts. */
export function measurer(): (text: string, font: 'body' | 'bold', size: number) => number {
  const doc = new PDFDocument({ size: 'A4' });
  const fonts = path.join(packageRoot(), 'assets', 'fonts');
  doc.registerFont('body', path.join(fonts, 'DejaVuSans.ttf'));
  doc.registerFont('bold', path.join(fonts, 'DejaVuSans-Bold.ttf'));
  return (text, font, size) => doc.font(font).fontSize(size).widthOfString(text);
}

const squeeze = (s: string) => s.replace(/\s+/g, '');

/** Where the cell's lines break inside a word: the words broken, empty when every break is at a space or after a hyphen or dash. */
export function brokenWords(record: Pick<CellRecord, 'text' | 'lines'>): string[] {
  const text = record.text.replace(/[ \t\n]+/g, ' ').trim();
  const broken: string[] = [];
  let pos = 0;
  record.lines.forEach((line, i) => {
    if (!text.startsWith(line, pos)) {
      broken.push(`line "${line}" is not the text at ${pos}`);
      return;
    }
    pos += line.length;
    if (i === record.lines.length - 1 || line === '') return;
    if (text[pos] === ' ') pos++;
    else if (!/[-–—]$/.test(line)) broken.push(`${line.split(' ').pop()}|${text.slice(pos).split(' ')[0]}`);
  });
  return broken;
}

/** Every problem of the recorded cells: too wide for their column, broken inside a word, or not shown as recorded in the PDF. */
export function layoutProblems(records: readonly CellRecord[], words: readonly PdfWord[]): string[] {
  const measure = measurer();
  const problems: string[] = [];
  for (const r of records) {
    if (!r.text.trim()) continue;
    const where = `${r.kind} on page ${r.page + 1} "${r.text}"`;
    for (const line of r.lines) {
      const w = measure(line, r.font, r.size);
      if (w > r.width + 0.01) problems.push(`${where}: "${line}" is ${w.toFixed(1)} pt wide in ${r.width.toFixed(1)} pt`);
    }
    for (const b of brokenWords(r)) problems.push(`${where}: word broken at ${b}`);
    const inside = words
      .filter((w) => w.page === r.page)
      .filter((w) => {
        const cx = (w.xMin + w.xMax) / 2;
        const cy = (w.yMin + w.yMax) / 2;
        return cx >= r.x - 1 && cx <= r.x + r.width + 1 && cy >= r.y - 1 && cy <= r.y + r.height + 1;
      })
      .sort((a, b) => a.yMin - b.yMin || a.xMin - b.xMin);
    const lines: string[] = [];
    let lastY = -Infinity;
    for (const w of inside) {
      if (Math.abs(w.yMin - lastY) > 2) {
        lines.push('');
        lastY = w.yMin;
      }
      lines[lines.length - 1] += w.text;
    }
    const expected = r.lines.map(squeeze).filter(Boolean);
    if (lines.map(squeeze).join('\n') !== expected.join('\n'))
      problems.push(`${where}: the PDF shows ${JSON.stringify(lines)} where the lines ${JSON.stringify(r.lines)} were written`);
  }
  return problems;
}
