import { describe, it, expect } from 'vitest';
import { formatDateTime, formatDuration, formatMeasure, formatRelativeTime } from '../../../src-renderer/shared/format.viewmodel';

describe('formatDuration', () => {
  it('uses the largest two units', () => {
    expect(formatDuration(9)).toBe('9 s');
    expect(formatDuration(610)).toBe('10 min 10 s');
    expect(formatDuration(7260)).toBe('2 h 01 min');
  });
});

describe('formatMeasure', () => {
  it('keeps three significant digits and no exponent for everyday values', () => {
    expect(formatMeasure(123.456)).toBe('123');
    expect(formatMeasure(12.3456)).toBe('12.3');
    expect(formatMeasure(1.6094)).toBe('1.61');
    expect(formatMeasure(0.0123)).toBe('0.0123');
    expect(formatMeasure(12345.6)).toBe('12,346');
    expect(formatMeasure(0)).toBe('0');
  });

  it('switches to an exponent for tiny values (gradient differences)', () => {
    expect(formatMeasure(3.2e-6)).toBe('3.2e-6');
    expect(formatMeasure(-0.00042)).toBe('-4.2e-4');
  });

  it('shows a dash for missing values', () => {
    expect(formatMeasure(null)).toBe('—');
    expect(formatMeasure(Number.NaN)).toBe('—');
  });
});

describe('dates', () => {
  it('formats ISO timestamps and passes through text that is not a date', () => {
    expect(formatDateTime('2025-03-12T10:00:00Z', 'en-GB')).toMatch(/2025/);
    expect(formatDateTime('yesterday-ish')).toBe('yesterday-ish');
    expect(formatDateTime(null)).toBe('—');
  });

  it('says how long ago, then falls back to the date', () => {
    const now = Date.parse('2025-03-12T12:00:00Z');
    expect(formatRelativeTime('2025-03-12T11:59:50Z', now)).toBe('just now');
    expect(formatRelativeTime('2025-03-12T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelativeTime('2025-03-12T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelativeTime('2025-03-11T12:00:00Z', now)).toBe('yesterday');
    expect(formatRelativeTime('2025-03-08T12:00:00Z', now)).toBe('4 days ago');
    expect(formatRelativeTime('2025-01-01T12:00:00Z', now, 'en-GB')).toMatch(/2025/);
  });
});
