/**
 * The report's layout layer on its own: table cells wrap only at spaces and after hyphens (narrow
 * columns widen, the font shrinks, short headers are used), identifiers stay whole, every cell fits its
 * column (measured again and read back with pdftotext -bbox), a figure that does not fit floats to the
 * next page while the text after it fills this one, a heading never ends a page alone, and the
 * formatting helpers print true minus signs, intervals with "to" and readable dates.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ci, dateTime, fmt } from '../../../src-main/report/context';
import { breakPieces, PdfWriter, type CellRecord } from '../../../src-main/report/pdf-writer';
import { tempDir } from '../../support/files';
import { brokenWords, layoutProblems, pdfWords } from './layout-check';

async function write(build: (w: PdfWriter) => void): Promise<{ file: string; log: CellRecord[]; pages: number }> {
  const log: CellRecord[] = [];
  const w = new PdfWriter({ title: 't', subject: 's', creationDate: new Date('2026-01-02T03:04:05Z') }, { log });
  build(w);
  const { bytes, pages } = await w.finish('test');
  const file = path.join(await tempDir('pdf-writer'), 'w.pdf');
  await fsp.writeFile(file, bytes);
  return { file, log, pages };
}

const pageText = (file: string, page: number) =>
  execFileSync('pdftotext', ['-f', String(page), '-l', String(page), '-layout', file, '-']).toString('utf8');

describe('report layout', () => {
  it('breaks lines only at spaces and after hyphens, never inside a word', () => {
    expect(breakPieces('IWNE-FS at 0.5').map((p) => p.piece)).toEqual(['IWNE-', 'FS', 'at', '0.5']);
    expect(breakPieces('iwne-fs-f1-s0 x', true).map((p) => p.piece)).toEqual(['iwne-fs-f1-s0', 'x']);
    expect(breakPieces('1.25\u00a0×\u00a010⁻²').map((p) => p.piece)).toEqual(['1.25\u00a0×\u00a010⁻²']);
    expect(brokenWords({ text: 'Synthetic data', lines: ['Synthe', 'tic data'] })).toEqual(['Synthe|tic']);
    expect(brokenWords({ text: 'IWNE-FS data', lines: ['IWNE-', 'FS data'] })).toEqual([]);
  });

  it('widens narrow columns, shrinks the font or uses short headers so that every word fits', async () => {
    const words = ['Synthetic', 'genextreme', 'Backend', 'exponweib', 'dweibull'];
    const { file, log } = await write((w) => {
      w.table(
        [
          { header: 'Run', width: 0.1, nowrap: true },
          ...words.map((h, i) => ({ header: `${h} header`, short: h.slice(0, 4) + '.', width: i === 0 ? 0.05 : 0.12 })),
          { header: 'Issues (err/warn)', width: 0.06, align: 'right' as const },
        ],
        [
          ['iwne-cl-resnet18-w8-eyepacs-demo-f0.5-s0', ...words, '0/12'],
          ['ifi-fs-resnet50-demo-f1-s0', ...words.map((x) => `${x} ${x}`), '3/4'],
        ],
        { highlight: (r, c) => r === 0 && c === 2 },
      );
      w.keyValues([['Dataset with a long name', `sha256 ${'0123456789abcdef'.repeat(4)}`]]);
    });
    expect(log.filter((r) => r.kind === 'table-cell').length).toBe(14);
    expect(log.find((r) => r.text.startsWith('iwne-cl-'))!.lines).toHaveLength(1); // an identifier stays on one line
    expect(layoutProblems(log, pdfWords(file))).toEqual([]);
  });

  it('lets a figure that does not fit float to the next page while the following text fills this one', async () => {
    const png = await sharp({ create: { width: 900, height: 900, channels: 3, background: '#3366aa' } })
      .png()
      .toBuffer();
    const filler = 'Filler text of the page. '.repeat(140);
    const { file, pages } = await write((w) => {
      w.heading('Section', 1);
      w.paragraph(filler);
      w.figure(png, 900, 900, 'Fig 1. The floating figure.');
      w.paragraph('Text after the figure.');
      w.heading('Orphan check', 2);
      w.paragraph(filler.repeat(2));
    });
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(pageText(file, 1)).toContain('Text after the figure.');
    expect(pageText(file, 1)).not.toContain('Fig 1. The floating figure.');
    expect(pageText(file, 2)).toContain('Fig 1. The floating figure.');
    for (let p = 1; p <= pages; p++) {
      // No page ends with a heading.
      const lines = pageText(file, p)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('test'));
      expect(['Section', 'Orphan check']).not.toContain(lines[lines.length - 1]);
    }
  });

  it('prints true minus signs, intervals with "to" and dates for readers', () => {
    expect(ci(-0.216, -0.006)).toBe('−0.216 to −0.006');
    expect(ci(0.5, 0.75)).toBe('0.500 to 0.750');
    expect(fmt(-0.0001)).toBe('0.000');
    expect(fmt(-1.5, 2)).toBe('−1.50');
    expect(dateTime('2026-12-06T14:05:33.123Z')).toBe('6 Dec 2026, 14:05 UTC');
    expect(dateTime(new Date('2026-01-02T03:04:05Z'))).toBe('2 Jan 2026, 03:04 UTC');
  });
});
