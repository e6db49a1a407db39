/**
 * A small SVG chart kit for the report's figures: line charts with confidence bands, heat grids,
 * image grids, tables of text. Pure string building (no DOM), deterministic output, so a figure is
 * the same bytes for the same data. Rasterised to PNG by sharp (librsvg) in figures.ts.
 */

export const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';
/** A white outline behind a label drawn over lines, so it stays legible. */
const HALO = 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number as text with a true minus sign (U+2212). */
export const minusSign = (text: string) => text.replace(/^-(?=\d)/, '−');

/** Tick labels with one number of decimals for the whole axis (the fewest that tell the ticks apart, at most 4) and a true minus sign. */
export function tickFormat(ticks: readonly number[]): (v: number) => string {
  const decimals = Math.min(4, Math.max(0, ...ticks.map((t) => (String(Number(t.toPrecision(6))).split('.')[1] ?? '').length)));
  return (v) => minusSign(Number(v.toFixed(decimals)) === 0 ? (0).toFixed(decimals) : v.toFixed(decimals));
}

/** The value at quantile q (0…1) of the values (linear interpolation). */
export function quantile(values: readonly number[], q: number): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const i = (v.length - 1) * q;
  const lo = Math.floor(i);
  return v[lo]! + (v[Math.min(v.length - 1, lo + 1)]! - v[lo]!) * (i - lo);
}

/** A title's font size: `size`, smaller when the text would not fit `width` (DejaVu Sans Bold averages ≈ 0.64 em per character). */
export function fitFont(text: string, size: number, width: number): number {
  return Math.max(7, Math.min(size, width / Math.max(1, text.length * 0.64)));
}

export interface Axis {
  min: number;
  max: number;
  label: string;
  ticks?: readonly number[];
  format?: (v: number) => string;
  /** Logarithmic scale (base 10); min and max must be positive. */
  log?: boolean;
  /** Named spans of the axis (e.g. a network's layer blocks), shaded alternately and labelled instead of numeric ticks. */
  blocks?: readonly { label: string; from: number; to: number }[];
  /** A span of the axis without data, shaded and labelled (e.g. the ranks a zoom leaves out). */
  gap?: { from: number; to: number; label: string };
  /** Whole numbers only (e.g. epochs): ticks at integers. */
  integer?: boolean;
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
  /** x values the line does not cross: points on either side are not joined (data missing in between). */
  breaks?: readonly number[];
  /** Line width (default 2). */
  width?: number;
  /** Marker radius (default 3). */
  radius?: number;
}

export interface PanelSpec {
  title: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  /** Vertical marker lines (e.g. the selected epoch). */
  markers?: readonly { x: number; colour: string; label?: string }[];
  /** Horizontal reference lines (e.g. chance level). */
  references?: readonly { y: number; label: string; colour?: string }[];
}

/** Sizes of a panel's frame and text; the defaults suit full-width figures, smaller ones small multiples. */
export interface PanelStyle {
  margin: { left: number; right: number; top: number; bottom: number };
  title: number;
  tick: number;
  label: number;
}
export const PANEL_STYLE: PanelStyle = { margin: { left: 58, right: 12, top: 26, bottom: 44 }, title: 13, tick: 11, label: 12 };

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
/** 10 to an integer power as text: "10³", "10⁻²". */
export function powerOfTen(e: number): string {
  return `10${e < 0 ? '⁻' : ''}${String(Math.abs(e))
    .split('')
    .map((d) => SUPERSCRIPT[Number(d)])
    .join('')}`;
}

/**
 * Tick labels of a log axis from `min` to `max`: plain numbers (1, 10, 100, 1000) while the axis stays
 * below 10⁴, powers of ten (10⁰, 10², 10⁴ …) beyond.
 */
export function logTickFormat(min: number, max: number): (v: number) => string {
  const plain = max <= 1e4 && min >= 1e-3;
  return (v) => {
    const e = Math.floor(Math.log10(v) + 1e-9);
    const mantissa = Number((v / 10 ** e).toPrecision(2));
    if (plain) return Number(v.toPrecision(2)).toLocaleString('en-GB');
    return mantissa === 1 ? powerOfTen(e) : `${mantissa}×${powerOfTen(e)}`;
  };
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
export function panel(spec: PanelSpec, x0: number, y0: number, w: number, h: number, style: PanelStyle = PANEL_STYLE): string {
  const m = style.margin;
  const px = scale(spec.x, x0 + m.left, x0 + w - m.right);
  const py = scale(spec.y, y0 + h - m.bottom, y0 + m.top);
  const top = y0 + m.top;
  const bottom = y0 + h - m.bottom;
  const out: string[] = [];
  if (spec.title) {
    const titleWidth = w - m.left - m.right + 10;
    out.push(
      `<text x="${x0 + m.left + (w - m.left - m.right) / 2}" y="${y0 + style.title + 3}" text-anchor="middle" font-size="${fitFont(spec.title, style.title, titleWidth).toFixed(1)}" font-weight="bold">${esc(spec.title)}</text>`,
    );
  }
  const ticksOf = (a: Axis) => {
    const t = a.ticks ?? (a.log ? logTicks(a.min, a.max) : niceTicks(a.min, a.max));
    return a.integer ? [...new Set(t.filter((v) => Number.isInteger(v)))] : t;
  };
  const xt = spec.x.blocks ? [] : ticksOf(spec.x);
  const yt = ticksOf(spec.y);
  const fx = spec.x.format ?? (spec.x.log ? logTickFormat(spec.x.min, spec.x.max) : tickFormat(xt));
  const fy = spec.y.format ?? (spec.y.log ? logTickFormat(spec.y.min, spec.y.max) : tickFormat(yt));
  let lastLabelEnd = -Infinity;
  (spec.x.blocks ?? []).forEach((b, i) => {
    const a = px(b.from - 0.5);
    const z = px(b.to + 0.5);
    if (i % 2 === 0)
      out.push(`<rect x="${a.toFixed(1)}" y="${top}" width="${(z - a).toFixed(1)}" height="${bottom - top}" fill="#f2f2f2"/>`);
    out.push(`<line x1="${a.toFixed(1)}" x2="${a.toFixed(1)}" y1="${bottom}" y2="${bottom + 5}" stroke="#444"/>`);
    // A label that would run into the one before it goes one line lower.
    const half = (b.label.length * style.tick * 0.6) / 2;
    const centre = (a + z) / 2;
    const lower = centre - half < lastLabelEnd + 2;
    if (!lower) lastLabelEnd = centre + half;
    out.push(
      `<text x="${centre.toFixed(1)}" y="${bottom + style.tick + 5 + (lower ? style.tick + 2 : 0)}" text-anchor="middle" font-size="${style.tick}">${esc(b.label)}</text>`,
    );
  });
  if (spec.x.gap) {
    const a = px(spec.x.gap.from);
    const z = px(spec.x.gap.to);
    out.push(`<rect x="${a.toFixed(1)}" y="${top}" width="${(z - a).toFixed(1)}" height="${bottom - top}" fill="#eeeeee"/>`);
    out.push(
      `<text x="${((a + z) / 2).toFixed(1)}" y="${(top + bottom) / 2}" text-anchor="middle" font-size="${style.tick}" fill="#666" transform="rotate(-90 ${((a + z) / 2).toFixed(1)} ${(top + bottom) / 2})">${esc(spec.x.gap.label)}</text>`,
    );
  }
  for (const t of yt) {
    const y = py(t);
    out.push(`<line x1="${x0 + m.left}" x2="${x0 + w - m.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`);
    out.push(
      `<text x="${x0 + m.left - 5}" y="${(y + style.tick / 3).toFixed(1)}" text-anchor="end" font-size="${style.tick}">${esc(fy(t))}</text>`,
    );
  }
  for (const t of xt) {
    const x = px(t);
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/>`);
    out.push(
      `<text x="${x.toFixed(1)}" y="${bottom + style.tick + 5}" text-anchor="middle" font-size="${style.tick}">${esc(fx(t))}</text>`,
    );
  }
  out.push(`<rect x="${x0 + m.left}" y="${top}" width="${w - m.left - m.right}" height="${bottom - top}" fill="none" stroke="#444"/>`);
  out.push(
    `<text x="${x0 + m.left + (w - m.left - m.right) / 2}" y="${y0 + h - 6}" text-anchor="middle" font-size="${style.label}">${esc(spec.x.label)}</text>`,
  );
  const cy = top + (bottom - top) / 2;
  const lx = x0 + style.label;
  out.push(
    `<text x="${lx}" y="${cy}" text-anchor="middle" font-size="${style.label}" transform="rotate(-90 ${lx} ${cy})">${esc(spec.y.label)}</text>`,
  );
  for (const r of spec.references ?? []) {
    const y = py(r.y);
    if (y < top - 0.5 || y > bottom + 0.5) continue;
    out.push(
      `<line x1="${x0 + m.left}" x2="${x0 + w - m.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${r.colour ?? '#555'}" stroke-width="1.2" stroke-dasharray="2 3"/>`,
    );
    // The label above the line, or below it when the line runs along the top of the frame.
    const ly = y - top < style.tick + 4 ? y + style.tick + 2 : y - 3;
    out.push(
      `<text x="${x0 + w - m.right - 3}" y="${ly.toFixed(1)}" text-anchor="end" font-size="${style.tick}" fill="${r.colour ?? '#555'}" ${HALO}>${esc(r.label)}</text>`,
    );
  }
  for (const mk of spec.markers ?? []) {
    const x = px(mk.x);
    out.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="${mk.colour}" stroke-width="1" stroke-dasharray="3 2"/>`,
    );
    if (mk.label) {
      // Right of the line, or left of it when the label would leave the frame.
      const left = x + 2 + mk.label.length * style.tick * 0.6 > x0 + w - m.right;
      out.push(
        `<text x="${(left ? x - 2 : x + 2).toFixed(1)}" y="${top + style.tick}" text-anchor="${left ? 'end' : 'start'}" font-size="${style.tick}" fill="${mk.colour}" ${HALO}>${esc(mk.label)}</text>`,
      );
    }
  }
  // Lines and bands stay inside the frame (values beyond the axis range are cut at its edge).
  const clip = `clip-${Math.round(x0)}-${Math.round(y0)}-${Math.round(w)}-${Math.round(h)}`;
  out.push(
    `<clipPath id="${clip}"><rect x="${x0 + m.left}" y="${top}" width="${w - m.left - m.right}" height="${bottom - top}"/></clipPath><g clip-path="url(#${clip})">`,
  );
  for (const s of spec.series) {
    if (s.band && s.band.length > 0) {
      const upper = s.band.map(([x, , hi]) => `${px(x).toFixed(1)},${py(hi).toFixed(1)}`);
      const lower = [...s.band].reverse().map(([x, lo]) => `${px(x).toFixed(1)},${py(lo).toFixed(1)}`);
      out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    for (const run of segments(s.points, s.breaks ?? [])) {
      if (run.length < 2) continue;
      out.push(
        `<polyline points="${run.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="${s.width ?? 2}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    if (s.markers ?? true)
      for (const [x, y] of s.points)
        out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="${s.radius ?? 3}" fill="${s.colour}"/>`);
  }
  out.push('</g>');
  return out.join('\n');
}

/** The points split into the runs a line joins: a new run starts wherever consecutive points lie on either side of a break. */
export function segments(points: readonly (readonly [number, number])[], breaks: readonly number[]): (readonly [number, number])[][] {
  const out: (readonly [number, number])[][] = [];
  let run: (readonly [number, number])[] = [];
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (prev && breaks.some((b) => (prev[0] - b) * (p[0] - b) < 0)) {
      out.push(run);
      run = [];
    }
    run.push(p);
  });
  if (run.length) out.push(run);
  return out;
}

/** Decades of a log axis; within two decades or fewer also 2 and 5 times them, so the axis has enough labels. */
function logTicks(min: number, max: number): number[] {
  const few = Math.log10(max / min) <= 2.01;
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const f of few ? [1, 2, 5] : [1]) {
      const v = Number((f * 10 ** e).toPrecision(6));
      if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
    }
  }
  return out.length >= 2 ? out : [min, max];
}

export interface LegendItem {
  name: string;
  colour: string;
  dashed?: boolean;
  /** A filled box (as the bars it explains) instead of a line. */
  box?: boolean;
  /** Fill opacity of the box (default 1). */
  opacity?: number;
}

/** A legend row of swatches drawn as the marks they explain (lines or filled boxes). */
export function legend(items: readonly LegendItem[], x: number, y: number, maxWidth: number, fontSize = 11): string {
  const out: string[] = [];
  let cx = x;
  let cy = y;
  for (const it of items) {
    const width = 34 + it.name.length * fontSize * 0.62;
    if (cx + width > x + maxWidth && cx > x) {
      cx = x;
      cy += fontSize + 7;
    }
    if (it.box)
      out.push(
        `<rect x="${cx}" y="${cy - 6}" width="22" height="12" fill="${it.colour}" fill-opacity="${(it.opacity ?? 1).toFixed(2)}" stroke="${it.colour}" stroke-width="0.6"/>`,
      );
    else
      out.push(
        `<line x1="${cx}" x2="${cx + 22}" y1="${cy}" y2="${cy}" stroke="${it.colour}" stroke-width="3"${it.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    out.push(`<text x="${cx + 27}" y="${cy + fontSize / 3}" font-size="${fontSize}">${esc(it.name)}</text>`);
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
    legend?: readonly LegendItem[];
    style?: PanelStyle;
  } = {},
): string {
  const pw = opts.panelWidth ?? 420;
  const ph = opts.panelHeight ?? 300;
  const cols = Math.max(1, Math.min(opts.columns ?? 2, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const legendHeight = opts.legend && opts.legend.length > 0 ? 20 + 18 * Math.ceil((opts.legend.length * 110) / (cols * pw)) : 0;
  const body = panels.map((p, i) => panel(p, (i % cols) * pw, Math.floor(i / cols) * ph, pw, ph, opts.style)).join('\n');
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
  const capH = 20;
  const titleH = opts.title ? 24 : 0;
  const rows = Math.ceil(cells.length / opts.columns);
  const w = opts.columns * (opts.size + 8) + 8;
  const h = titleH + rows * (opts.size + capH + 8) + 8;
  const body = cells
    .map((c, i) => {
      const x = 8 + (i % opts.columns) * (opts.size + 8);
      const y = titleH + 8 + Math.floor(i / opts.columns) * (opts.size + capH + 8);
      return `<image x="${x}" y="${y}" width="${opts.size}" height="${opts.size}" xlink:href="${c.href}" href="${c.href}"/>\n<text x="${x + opts.size / 2}" y="${y + opts.size + 15}" text-anchor="middle" font-size="12">${esc(c.caption)}</text>`;
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
    /** The text shown for a row (default the row itself). */
    rowLabel?: (row: string) => string;
  },
  x0: number,
  y0: number,
  w: number,
): { svg: string; height: number } {
  const labelW = 132;
  const label = p.rowLabel ?? ((r: string) => r);
  const rowH = 5 + p.levels.length * 4;
  const top = y0 + 26;
  const plotW = w - labelW - 16;
  const h = top - y0 + p.rows.length * rowH + 44;
  const px = (v: number) => x0 + labelW + ((v + p.limit) / (2 * p.limit)) * plotW;
  const out = [`<text x="${x0 + w / 2}" y="${y0 + 16}" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`];
  p.rows.forEach((r, i) => {
    const y = top + i * rowH;
    if (i % 2 === 0) out.push(`<rect x="${x0 + labelW}" y="${y}" width="${plotW}" height="${rowH}" fill="#f6f6f6"/>`);
    out.push(`<text x="${x0 + labelW - 6}" y="${y + rowH / 2 + 4}" text-anchor="end" font-size="12">${esc(label(r))}</text>`);
    p.levels.forEach((lv, k) => {
      const bar = p.bars.find((b) => b.row === r && b.level === lv);
      if (!bar) return;
      const a = px(Math.min(0, bar.value));
      const b = px(Math.max(0, bar.value));
      out.push(
        `<rect x="${a.toFixed(1)}" y="${y + 2.5 + k * 4}" width="${Math.max(0.5, b - a).toFixed(1)}" height="3.4" fill="${p.colour}" fill-opacity="${p.opacity(lv).toFixed(2)}"/>`,
      );
    });
  });
  const bottom = top + p.rows.length * rowH;
  out.push(`<line x1="${px(0)}" x2="${px(0)}" y1="${top}" y2="${bottom}" stroke="#444"/>`);
  for (const t of [-p.limit, -p.limit / 2, 0, p.limit / 2, p.limit]) {
    const text = Number(t.toFixed(3)) === 0 ? '0' : t.toFixed(Math.abs(t * 100 - Math.round(t * 100)) < 1e-9 ? 2 : 3).replace(/^-/, '−');
    out.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/><text x="${px(t)}" y="${bottom + 16}" text-anchor="middle" font-size="11">${esc(text)}</text>`,
    );
  }
  out.push(`<text x="${x0 + labelW + plotW / 2}" y="${bottom + 34}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  return { svg: out.join('\n'), height: h };
}

/**
 * Photographs as a table: a row per label, a column per heading (null leaves the cell empty), each
 * image `size` px square, the labels in a column on the left.
 */
export function labelledImageGrid(opts: {
  title?: string;
  columns: readonly string[];
  rows: readonly { label: string; cells: readonly (string | null)[] }[];
  size: number;
  labelWidth: number;
  gap?: number;
}): string {
  const gap = opts.gap ?? 6;
  const titleH = opts.title ? 26 : 0;
  const headH = 20;
  const w = opts.labelWidth + opts.columns.length * (opts.size + gap) + gap;
  const h = titleH + headH + opts.rows.length * (opts.size + gap) + gap;
  const out: string[] = [];
  if (opts.title) out.push(`<text x="4" y="18" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
  opts.columns.forEach((c, j) => {
    const x = opts.labelWidth + gap + j * (opts.size + gap) + opts.size / 2;
    out.push(`<text x="${x}" y="${titleH + 14}" text-anchor="middle" font-size="13" font-weight="bold">${esc(c)}</text>`);
  });
  opts.rows.forEach((r, i) => {
    const y = titleH + headH + i * (opts.size + gap);
    out.push(`<text x="${opts.labelWidth - 6}" y="${y + opts.size / 2 + 5}" text-anchor="end" font-size="14">${esc(r.label)}</text>`);
    r.cells.forEach((href, j) => {
      if (!href) return;
      const x = opts.labelWidth + gap + j * (opts.size + gap);
      out.push(`<image x="${x}" y="${y}" width="${opts.size}" height="${opts.size}" xlink:href="${href}" href="${href}"/>`);
    });
  });
  return svgDocument(w, h, out.join('\n'));
}
