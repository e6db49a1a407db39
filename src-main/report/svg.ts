/**
 * A small SVG chart kit for the report's figures: line charts with confidence bands, heat grids,
 * image grids, tables of text. Pure string building (no DOM), deterministic output, so a figure is
 * the same bytes for the same data. Rasterised to PNG by sharp (librsvg) in figures.ts.
 */

export const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export interface Axis {
  min: number;
  max: number;
  label: string;
  ticks?: readonly number[];
  format?: (v: number) => string;
  /** Logarithmic scale (base 10); min and max must be positive. */
  log?: boolean;
}

export interface Series {
  name: string;
  colour: string;
  points: readonly (readonly [number, number])[];
  /** [x, lower, upper] for a shaded band (e.g. a 95 % CI). */
  band?: readonly (readonly [number, number, number])[];
  dashed?: boolean;
  /** Draw markers at the points (default true). */
  markers?: boolean;
}

export interface PanelSpec {
  title: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
}

/** Nice tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (max - min) / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function scale(axis: Axis, from: number, to: number): (v: number) => number {
  if (axis.log) {
    const a = Math.log10(axis.min);
    const b = Math.log10(axis.max);
    return (v) => from + ((Math.log10(Math.max(v, axis.min)) - a) / (b - a || 1)) * (to - from);
  }
  return (v) => from + ((v - axis.min) / (axis.max - axis.min || 1)) * (to - from);
}

/** One chart panel drawn inside the box (x0, y0, w, h); returns SVG elements. */
export function panel(spec: PanelSpec, x0: number, y0: number, w: number, h: number): string {
  const m = { left: 58, right: 12, top: 26, bottom: 44 };
  const px = scale(spec.x, x0 + m.left, x0 + w - m.right);
  const py = scale(spec.y, y0 + h - m.bottom, y0 + m.top);
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="${y0 + 16}" text-anchor="middle" font-size="13" font-weight="bold">${esc(spec.title)}</text>`);
  const fx = spec.x.format ?? num;
  const fy = spec.y.format ?? num;
  const xt = spec.x.ticks ?? (spec.x.log ? logTicks(spec.x.min, spec.x.max) : niceTicks(spec.x.min, spec.x.max));
  const yt = spec.y.ticks ?? (spec.y.log ? logTicks(spec.y.min, spec.y.max) : niceTicks(spec.y.min, spec.y.max));
  for (const t of yt) {
    const y = py(t);
    out.push(`<line x1="${x0 + m.left}" x2="${x0 + w - m.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x0 + m.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(fy(t))}</text>`);
  }
  for (const t of xt) {
    const x = px(t);
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y0 + h - m.bottom}" y2="${y0 + h - m.bottom + 4}" stroke="#444"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${y0 + h - m.bottom + 17}" text-anchor="middle" font-size="11">${esc(fx(t))}</text>`);
  }
  out.push(
    `<rect x="${x0 + m.left}" y="${y0 + m.top}" width="${w - m.left - m.right}" height="${h - m.top - m.bottom}" fill="none" stroke="#444"/>`,
  );
  out.push(
    `<text x="${x0 + m.left + (w - m.left - m.right) / 2}" y="${y0 + h - 8}" text-anchor="middle" font-size="12">${esc(spec.x.label)}</text>`,
  );
  const cy = y0 + m.top + (h - m.top - m.bottom) / 2;
  out.push(
    `<text x="${x0 + 14}" y="${cy}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 14} ${cy})">${esc(spec.y.label)}</text>`,
  );
  for (const s of spec.series) {
    if (s.band && s.band.length > 0) {
      const upper = s.band.map(([x, , hi]) => `${px(x).toFixed(1)},${py(hi).toFixed(1)}`);
      const lower = [...s.band].reverse().map(([x, lo]) => `${px(x).toFixed(1)},${py(lo).toFixed(1)}`);
      out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    if (s.points.length > 1) {
      out.push(
        `<polyline points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    if (s.markers ?? true)
      for (const [x, y] of s.points) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
  }
  return out.join('\n');
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    const v = 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
  }
  return out.length >= 2 ? out : [min, max];
}

/** A legend row of coloured swatches. */
export function legend(
  items: readonly { name: string; colour: string; dashed?: boolean }[],
  x: number,
  y: number,
  maxWidth: number,
): string {
  const out: string[] = [];
  let cx = x;
  let cy = y;
  for (const it of items) {
    const width = 34 + it.name.length * 7.2;
    if (cx + width > x + maxWidth && cx > x) {
      cx = x;
      cy += 18;
    }
    out.push(
      `<line x1="${cx}" x2="${cx + 22}" y1="${cy}" y2="${cy}" stroke="${it.colour}" stroke-width="3"${it.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(`<text x="${cx + 27}" y="${cy + 4}" font-size="11">${esc(it.name)}</text>`);
    cx += width;
  }
  return out.join('\n');
}

/** A complete SVG document. */
export function svgDocument(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" fill="#222">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${body}\n</svg>\n`;
}

/** Panels side by side (wrapping after `columns`), a shared legend below. */
export function panelFigure(
  panels: readonly PanelSpec[],
  opts: {
    panelWidth?: number;
    panelHeight?: number;
    columns?: number;
    legend?: readonly { name: string; colour: string; dashed?: boolean }[];
  } = {},
): string {
  const pw = opts.panelWidth ?? 420;
  const ph = opts.panelHeight ?? 300;
  const cols = Math.max(1, Math.min(opts.columns ?? 2, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const legendHeight = opts.legend && opts.legend.length > 0 ? 20 + 18 * Math.ceil((opts.legend.length * 110) / (cols * pw)) : 0;
  const body = panels.map((p, i) => panel(p, (i % cols) * pw, Math.floor(i / cols) * ph, pw, ph)).join('\n');
  const leg = opts.legend && opts.legend.length > 0 ? legend(opts.legend, 60, rows * ph + 14, cols * pw - 70) : '';
  return svgDocument(cols * pw, rows * ph + legendHeight, body + '\n' + leg);
}

/** Diverging colour for v in [−1, 1] (blue → white → red); null → light grey. */
export function divergingColour(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '#eeeeee';
  const t = Math.max(-1, Math.min(1, v));
  const mix = (a: number, b: number, f: number) => Math.round(a + (b - a) * f);
  const [r, g, b] =
    t >= 0 ? [mix(255, 178, t), mix(255, 24, t), mix(255, 43, t)] : [mix(255, 33, -t), mix(255, 102, -t), mix(255, 172, -t)];
  return `rgb(${r},${g},${b})`;
}

export interface HeatGridSpec {
  title: string;
  rows: readonly string[];
  columns: readonly string[];
  /** values[row][column], already scaled to [−1, 1] for the colour; null = missing. */
  colour: readonly (readonly (number | null)[])[];
  /** Text in each cell (e.g. the unscaled value). */
  text: readonly (readonly string[])[];
}

/** A labelled grid of coloured cells drawn at (x0, y0); returns elements and the size used. */
export function heatGrid(
  spec: HeatGridSpec,
  x0: number,
  y0: number,
  cell = { w: 52, h: 20 },
  labelWidth = 130,
): { svg: string; width: number; height: number } {
  const out: string[] = [`<text x="${x0}" y="${y0 + 14}" font-size="13" font-weight="bold">${esc(spec.title)}</text>`];
  const top = y0 + 24;
  spec.columns.forEach((c, j) =>
    out.push(`<text x="${x0 + labelWidth + j * cell.w + cell.w / 2}" y="${top + 12}" text-anchor="middle" font-size="10">${esc(c)}</text>`),
  );
  spec.rows.forEach((r, i) => {
    const y = top + 18 + i * cell.h;
    out.push(`<text x="${x0 + labelWidth - 6}" y="${y + cell.h / 2 + 4}" text-anchor="end" font-size="10">${esc(r)}</text>`);
    spec.columns.forEach((_, j) => {
      const x = x0 + labelWidth + j * cell.w;
      out.push(
        `<rect x="${x}" y="${y}" width="${cell.w - 1}" height="${cell.h - 1}" fill="${divergingColour(spec.colour[i]?.[j] ?? null)}"/>`,
      );
      const t = spec.text[i]?.[j] ?? '';
      if (t) out.push(`<text x="${x + cell.w / 2}" y="${y + cell.h / 2 + 4}" text-anchor="middle" font-size="9">${esc(t)}</text>`);
    });
  });
  return { svg: out.join('\n'), width: labelWidth + spec.columns.length * cell.w, height: 24 + 18 + spec.rows.length * cell.h };
}

/** Images in a grid with captions (each a PNG data URI). */
export function imageGrid(
  cells: readonly { caption: string; href: string }[],
  opts: { columns: number; size: number; title?: string },
): string {
  const capH = 18;
  const titleH = opts.title ? 24 : 0;
  const rows = Math.ceil(cells.length / opts.columns);
  const w = opts.columns * (opts.size + 8) + 8;
  const h = titleH + rows * (opts.size + capH + 8) + 8;
  const body = cells
    .map((c, i) => {
      const x = 8 + (i % opts.columns) * (opts.size + 8);
      const y = titleH + 8 + Math.floor(i / opts.columns) * (opts.size + capH + 8);
      return `<image x="${x}" y="${y}" width="${opts.size}" height="${opts.size}" xlink:href="${c.href}" href="${c.href}"/>\n<text x="${x + opts.size / 2}" y="${y + opts.size + 13}" text-anchor="middle" font-size="10">${esc(c.caption)}</text>`;
    })
    .join('\n');
  const title = opts.title ? `<text x="8" y="17" font-size="13" font-weight="bold">${esc(opts.title)}</text>` : '';
  return svgDocument(w, h, title + '\n' + body);
}

/** Fig 4 style: one row per category, one bar per level (opacity = level), bars from 0 along ±limit. */
export function barRowsPanel(
  p: {
    title: string;
    rows: readonly string[];
    bars: readonly { row: string; level: number; value: number }[];
    limit: number;
    colour: string;
    xLabel: string;
    opacity: (level: number) => number;
    levels: readonly number[];
  },
  x0: number,
  y0: number,
  w: number,
): { svg: string; height: number } {
  const labelW = 120;
  const rowH = 4 + p.levels.length * 4;
  const top = y0 + 26;
  const plotW = w - labelW - 16;
  const h = top - y0 + p.rows.length * rowH + 40;
  const px = (v: number) => x0 + labelW + ((v + p.limit) / (2 * p.limit)) * plotW;
  const out = [`<text x="${x0 + w / 2}" y="${y0 + 16}" text-anchor="middle" font-size="13" font-weight="bold">${esc(p.title)}</text>`];
  p.rows.forEach((r, i) => {
    const y = top + i * rowH;
    if (i % 2 === 0) out.push(`<rect x="${x0 + labelW}" y="${y}" width="${plotW}" height="${rowH}" fill="#f6f6f6"/>`);
    out.push(`<text x="${x0 + labelW - 6}" y="${y + rowH / 2 + 3.5}" text-anchor="end" font-size="10">${esc(r)}</text>`);
    p.levels.forEach((lv, k) => {
      const bar = p.bars.find((b) => b.row === r && b.level === lv);
      if (!bar) return;
      const a = px(Math.min(0, bar.value));
      const b = px(Math.max(0, bar.value));
      out.push(
        `<rect x="${a.toFixed(1)}" y="${y + 2 + k * 4}" width="${Math.max(0.5, b - a).toFixed(1)}" height="3.4" fill="${p.colour}" fill-opacity="${p.opacity(lv).toFixed(2)}"/>`,
      );
    });
  });
  const bottom = top + p.rows.length * rowH;
  out.push(`<line x1="${px(0)}" x2="${px(0)}" y1="${top}" y2="${bottom}" stroke="#444"/>`);
  for (const t of [-p.limit, -p.limit / 2, 0, p.limit / 2, p.limit]) {
    out.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/><text x="${px(t)}" y="${bottom + 16}" text-anchor="middle" font-size="10">${t.toFixed(2)}</text>`,
    );
  }
  out.push(`<text x="${x0 + labelW + plotW / 2}" y="${bottom + 32}" text-anchor="middle" font-size="11">${esc(p.xLabel)}</text>`);
  return { svg: out.join('\n'), height: h };
}
