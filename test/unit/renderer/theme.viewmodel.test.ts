import { describe, it, expect } from 'vitest';
import { resolveThemeMode } from '../../../src-renderer/app/themeMode';

describe('resolveThemeMode', () => {
  it('follows the system preference only for "system"', () => {
    expect(resolveThemeMode('system', true)).toBe('dark');
    expect(resolveThemeMode('system', false)).toBe('light');
    expect(resolveThemeMode('light', true)).toBe('light');
    expect(resolveThemeMode('dark', false)).toBe('dark');
  });
});
