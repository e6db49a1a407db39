/** Number, date and duration formatting shared by the views. Pure; unit-tested. */

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

/**
 * A duration for people: `45 s`, `3 min 10 s`, `1 h 02 min`, `2 d 03 h`. Rounds to whole seconds;
 * drops the smallest unit once the larger one dominates. Null for values that are not a duration.
 */
export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const min = Math.floor(total / 60);
    return `${min} min ${pad2(total % 60)} s`;
  }
  const totalMinutes = Math.round(total / 60);
  if (totalMinutes < 24 * 60) {
    return `${Math.floor(totalMinutes / 60)} h ${pad2(totalMinutes % 60)} min`;
  }
  const totalHours = Math.round(total / 3600);
  return `${Math.floor(totalHours / 24)} d ${pad2(totalHours % 24)} h`;
}

/** Date and time in the user's locale, or the raw text when it is not a date. */
export function formatDateTime(iso: string | null | undefined, locale?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`, then the date. */
export function formatRelativeTime(iso: string | null | undefined, now: number, locale?: string): string {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86400);
  if (days < 14) return days === 1 ? 'yesterday' : `${days} days ago`;
  return formatDateTime(iso, locale);
}

/** A measurement with sensible precision: 3 significant digits, no exponent for everyday values. */
export function formatMeasure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 0.01) return Number(value.toPrecision(3)).toString();
  return value.toExponential(1);
}
