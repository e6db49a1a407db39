/**
 * A small RFC 4180 CSV reader for label files: quoted fields, doubled quotes, CRLF/LF, a UTF-8 BOM,
 * `;` or tab delimiters (sniffed from the header), and trailing empty columns (IDRiD's CSVs have them).
 */
export interface CsvTable {
  /** Header names, trimmed; empty trailing columns are dropped. */
  header: string[];
  /** Data rows (1-based line numbers of the file kept for messages); blank rows are skipped. */
  rows: { line: number; cells: string[] }[];
}

export function parseCsv(text: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = sniffDelimiter(firstLine);
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === delimiter) {
      cells.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(field);
      records.push({ line: recordLine, cells });
      cells = [];
      field = '';
      line++;
      recordLine = line;
    } else field += c;
  }
  if (field !== '' || cells.length > 0) {
    cells.push(field);
    records.push({ line: recordLine, cells });
  }
  const nonBlank = records.filter((r) => r.cells.some((cell) => cell.trim() !== ''));
  const [head, ...rows] = nonBlank;
  const header = (head?.cells ?? []).map((h) => h.trim());
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  return { header, rows: rows.map((r) => ({ line: r.line, cells: r.cells.map((cell) => cell.trim()) })) };
}

function sniffDelimiter(headerLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, headerLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

/** Index of a header column, matched case- and space-insensitively; -1 if absent. */
export function columnIndex(table: CsvTable, name: string): number {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  const wanted = norm(name);
  return table.header.findIndex((h) => norm(h) === wanted);
}

export function hasColumns(table: CsvTable, names: readonly string[]): boolean {
  return names.every((n) => columnIndex(table, n) >= 0);
}
