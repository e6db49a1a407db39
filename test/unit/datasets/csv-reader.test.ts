/**
 * The label CSV reader against hand-written expectations: the examples of RFC 4180 section 2, the
 * spreadsheet variants FundusLab accepts (BOM, `;`, tabs, trailing empty columns, short rows), and
 * malformed files, each refused with the line it is on instead of merging rows.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvFormatError, isBinary, parseLabelCsv, readLabelCsv } from '../../../src-main/services/datasets/import/csv-reader';
import { tempDir } from '../../support/files';

const rows = (text: string) => {
  const t = parseLabelCsv(text, 'labels.csv');
  return { header: t.header, rows: t.rows.map((r) => [r.line, ...r.cells]) };
};

const problem = (text: string): string => {
  try {
    parseLabelCsv(text, 'labels.csv');
  } catch (error) {
    expect(error).toBeInstanceOf(CsvFormatError);
    return (error as Error).message;
  }
  throw new Error('parsed without an error');
};

describe('parseLabelCsv: RFC 4180', () => {
  it('reads the examples of RFC 4180 section 2 (CRLF, last line with or without a break, quotes, embedded breaks and commas)', () => {
    expect(rows('aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n')).toEqual({ header: ['aaa', 'bbb', 'ccc'], rows: [[2, 'zzz', 'yyy', 'xxx']] });
    expect(rows('aaa,bbb,ccc\r\nzzz,yyy,xxx')).toEqual({ header: ['aaa', 'bbb', 'ccc'], rows: [[2, 'zzz', 'yyy', 'xxx']] });
    expect(rows('field_name,field_name,field_name\r\naaa,bbb,ccc\r\nzzz,yyy,xxx\r\n').rows).toEqual([
      [2, 'aaa', 'bbb', 'ccc'],
      [3, 'zzz', 'yyy', 'xxx'],
    ]);
    expect(rows('"aaa","bbb","ccc"\r\nzzz,yyy,xxx').header).toEqual(['aaa', 'bbb', 'ccc']);
    // 2.6: a field with a line break, a quote and a comma; the next record starts on line 4.
    expect(rows('h1,h2,h3\r\n"aaa","b\r\nbb","ccc"\r\nzzz,yyy,xxx')).toEqual({
      header: ['h1', 'h2', 'h3'],
      rows: [
        [2, 'aaa', 'b\r\nbb', 'ccc'],
        [4, 'zzz', 'yyy', 'xxx'],
      ],
    });
    // 2.7: a doubled quote is one quote.
    expect(rows('h1,h2,h3\r\n"aaa","b""bb","ccc"\r\n').rows).toEqual([[2, 'aaa', 'b"bb', 'ccc']]);
    expect(rows('image,grade\n"a,b.jpg",2\n"",\n').rows).toEqual([[2, 'a,b.jpg', '2']]); // the blank row ("", empty) is skipped
  });

  it('accepts a BOM, LF or CRLF, `;` and tab delimiters, trailing empty columns and short rows', () => {
    expect(rows('\ufeffimage,level\n1_left,0\n\n1_right,2\n')).toEqual({
      header: ['image', 'level'],
      rows: [
        [2, '1_left', '0'],
        [4, '1_right', '2'],
      ],
    });
    expect(rows('a;b;c\r\n1;"x;y"\r\n')).toEqual({ header: ['a', 'b', 'c'], rows: [[2, '1', 'x;y']] });
    expect(rows('a\tb\n1\t2\n').rows).toEqual([[2, '1', '2']]);
    expect(rows('Image name,Retinopathy grade,,,\nIDRiD_001, 3 ,,,\n')).toEqual({
      header: ['Image name', 'Retinopathy grade'],
      rows: [[2, 'IDRiD_001', '3', '', '', '']],
    });
    expect(rows('a,b\n  "q" ,2\n').rows).toEqual([[2, 'q', '2']]); // spaces around a quoted field
  });

  it('names the line of an unterminated quote instead of merging the rest of the file into one field', () => {
    expect(problem('image,grade\nx1,1\n"x2,2\nx3,3\nx4,4\n')).toBe(
      'labels.csv is not a well-formed CSV file (RFC 4180): line 3: field 1 opens a quote that is never closed.',
    );
  });

  it('names the line of text after a closing quote, a quote inside an unquoted field and a row with too many fields', () => {
    expect(problem('image,grade\nx1,1\n"x2"b,2\n')).toBe(
      'labels.csv is not a well-formed CSV file (RFC 4180): line 3: text after the closing quote of field 1.',
    );
    expect(problem('image,grade\nx1,1\nx"2,2\n')).toMatch(
      /: line 3: a quote inside the unquoted field 1 \(quote the whole field and double the quote\)\.$/,
    );
    expect(problem('image,grade\r\nx1,1\r\nx2,2,3\r\nx,4,5\r\n')).toBe(
      'labels.csv is not a well-formed CSV file (RFC 4180): line 3: 3 fields, the header has 2 (is a field with a comma not quoted?); line 4: 3 fields, the header has 2 (is a field with a comma not quoted?).',
    );
    const error = (() => {
      try {
        parseLabelCsv('a\n' + Array.from({ length: 8 }, () => 'x,y').join('\n'), 'l.csv', 'csv');
      } catch (e) {
        return e as CsvFormatError;
      }
      return null;
    })();
    expect(error?.message).toMatch(/line 6: .*; and 3 more malformed line\(s\)\.$/);
    expect(error?.issues).toEqual([{ path: 'csv', message: 'malformed CSV (line 2)' }]);
  });
});

describe('readLabelCsv: only label files are read', () => {
  it('refuses other extensions, binary content and files over 10 MB, naming the field', async () => {
    const dir = await tempDir('csv-reader');
    await fsp.writeFile(path.join(dir, 'key.pem'), 'image,grade\n');
    await fsp.writeFile(path.join(dir, 'nul.csv'), 'image,grade\n\u0000\n');
    await fsp.writeFile(path.join(dir, 'big.txt'), Buffer.alloc(10 * 1024 * 1024 + 1, 0x2c));
    for (const [name, message] of [
      ['key.pem', /expected a file ending in \.csv, \.tsv, \.txt/],
      ['nul.csv', /not a text file \(binary content\)/],
      ['big.txt', /too large for a label CSV/],
    ] as const) {
      await expect(readLabelCsv(path.join(dir, name), 'csv')).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(message),
        issues: [{ path: 'csv' }],
      });
    }
    await fsp.writeFile(path.join(dir, 'ok.TXT'), 'image;grade\nx;1\n');
    expect((await readLabelCsv(path.join(dir, 'ok.TXT'))).rows).toEqual([{ line: 2, cells: ['x', '1'] }]);
  });

  it('isBinary: NUL bytes and invalid UTF-8 are binary; UTF-8 text (a sequence cut at the end) is not', () => {
    expect(isBinary(Buffer.from('a,b\n'))).toBe(false);
    expect(isBinary(Buffer.from('é,ü\n'))).toBe(false);
    expect(isBinary(Buffer.from('é').subarray(0, 1))).toBe(false);
    expect(isBinary(Buffer.from([0x61, 0x00]))).toBe(true);
    expect(isBinary(Buffer.from([0x61, 0xff, 0x62]))).toBe(true);
  });
});
