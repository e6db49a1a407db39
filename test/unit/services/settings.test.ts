import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MAX_RECENT_STUDIES } from '../../../src-shared/settings';
import { FileSettingsStore } from '../../../src-main/services/settings/file-store';
import { MemorySettingsStore, SettingsService, settingsFromUnknown } from '../../../src-main/services/settings/store';
import { memoryLogger } from '../../../src-main/services/log';
import { tempDirSync } from '../../support/files';

describe('settings', () => {
  it('keeps the most recent studies first, deduplicated, bounded', () => {
    const changes: unknown[] = [];
    const service = new SettingsService(new MemorySettingsStore(), (s) => changes.push(s));
    for (let i = 0; i < MAX_RECENT_STUDIES + 3; i++) service.rememberStudy({ path: `/s/${i}`, name: `S${i}`, openedAt: `t${i}` });
    service.rememberStudy({ path: '/s/5', name: 'S5 again', openedAt: 'later' });
    const recent = service.get().recentStudies;
    expect(recent).toHaveLength(MAX_RECENT_STUDIES);
    expect(recent[0]).toEqual({ path: '/s/5', name: 'S5 again', openedAt: 'later' });
    expect(recent.filter((r) => r.path === '/s/5')).toHaveLength(1);
    expect(changes).toHaveLength(MAX_RECENT_STUDIES + 4);
  });

  it('one bad stored value falls back to its default without losing the others', () => {
    const s = settingsFromUnknown({ theme: 'dark', preferredBackend: 'quantum', recentStudies: 'nope' });
    expect(s).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark' });
  });

  it('the file store round-trips and moves a corrupt file aside instead of overwriting it', () => {
    const dir = tempDirSync('settings');
    const file = path.join(dir, 'settings.json');
    const log = memoryLogger();
    const store = new FileSettingsStore(file, log);
    store.write({ ...DEFAULT_SETTINGS, theme: 'light' });
    expect(new FileSettingsStore(file, log).read().theme).toBe('light');
    writeFileSync(file, '{not json');
    expect(new FileSettingsStore(file, log).read()).toEqual(DEFAULT_SETTINGS);
    const aside = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe('{not json');
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('not valid JSON'))).toBe(true);
  });
});
