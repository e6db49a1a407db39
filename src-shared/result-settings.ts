/**
 * Analysis results named by their settings (docs/ARCHITECTURE.md "Result names"): a spectra,
 * robustness or explanation result records the request settings that change its numbers
 * (`settings.values`, canonical: keys sorted, absent options left out), their short hash (the last
 * part of the folder name) and whether they are the request's defaults. A rerun with the same settings
 * writes the same folder; other settings sit beside it. Results written before (folders named by run
 * and dataset only) have no `settings`: readers show what the result itself records.
 *
 * Which result a reader uses when several exist for one run and dataset (one dataset and set of runs
 * for robustness): `pickResults` — the most recent one with the default settings, else the most recent
 * one. Node-free (the renderer uses it too).
 */
import { z } from 'zod';

export const ResultSettings = z
  .object({
    hash: z
      .string()
      .regex(/^[0-9a-f]{8}$/)
      .describe('First 8 hex digits of SHA-256 of the canonical JSON of `values`'),
    values: z
      .record(z.string(), z.unknown())
      .describe('The request settings that change the numbers (cosmetic ones such as batch size left out)'),
    defaults: z.boolean().describe('The values are those of a request giving only the run(s) and the dataset'),
  })
  .strict();
export type ResultSettings = z.infer<typeof ResultSettings>;

/** JSON with object keys sorted and undefined members left out: the same settings give the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Settings values without undefined members (as stored in result.json). */
export function settingsValues(values: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(canonicalJson(values)) as Record<string, unknown>;
}

/** `key=value` pairs of settings for a line of text (arrays joined by commas, objects as canonical JSON). */
export function describeSettings(values: Record<string, unknown>): string {
  return Object.entries(settingsValues(values))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? canonicalJson(v) : String(v)}`)
    .join(' ');
}

export interface PickableResult {
  name: string;
  settings?: ResultSettings | undefined;
}

/**
 * One result per group (`key`): the most recent one whose settings are the defaults, else the most
 * recent one (`time`: the result's ISO time; ties by name). The groups keep the order of their first
 * result in `results`.
 */
export function pickResults<T extends PickableResult>(results: readonly T[], key: (r: T) => string, time: (r: T) => string): T[] {
  const groups = new Map<string, T[]>();
  for (const r of results) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const newest = (xs: T[]) =>
    [...xs].sort((a, b) => (time(a) < time(b) ? 1 : time(a) > time(b) ? -1 : a.name < b.name ? 1 : a.name > b.name ? -1 : 0))[0]!;
  return [...groups.values()].map((g) => {
    const defaults = g.filter((r) => r.settings?.defaults === true);
    return newest(defaults.length > 0 ? defaults : g);
  });
}

/** How a result's settings read in a report or a page: its recorded settings, or that it predates settings-named results. */
export function settingsLabel(r: PickableResult, recorded: string): string {
  if (!r.settings) return `${recorded} (written before results were named by their settings)`;
  return `${r.settings.defaults ? 'default settings' : 'settings'} ${r.settings.hash}: ${recorded}`;
}
