import { describe, expect, it } from 'vitest';
import { formatHash, HOME, parseHash, ROUTE_IDS, sameLocation, splitToken } from '../../../src-renderer/app/hash-route';
import { resolveBridgeToken, tokenFromHash } from '../../../src-renderer/app/bridgeTransport';

describe('hash routes', () => {
  it('formats a page, a page inside it and the study folder, and parses them back', () => {
    expect(formatHash({ route: 'results', sub: null, study: null })).toBe('#/results');
    expect(formatHash({ route: 'training', sub: 'wizard', study: '/home/me/pilot study' })).toBe(
      '#/training/wizard?study=%2Fhome%2Fme%2Fpilot+study',
    );
    for (const route of ROUTE_IDS) {
      for (const study of [null, '/s', '/home/me/a b&c=d?#%', 'C:\\Users\\me\\study']) {
        const location = { route, sub: route === 'training' ? 'wizard' : null, study };
        expect(parseHash(formatHash(location))).toEqual(location);
      }
    }
  });

  it('names no page for an empty fragment, the bare token link, or an unknown page', () => {
    expect(parseHash('')).toBeNull();
    expect(parseHash('#')).toBeNull();
    expect(parseHash('#token=abc')).toBeNull();
    expect(parseHash('#/nowhere')).toBeNull();
    expect(parseHash('#/')).toBeNull();
    expect(HOME.route).toBe('studies');
  });

  it('keeps the known page when the page inside it is unknown, and ignores an empty study', () => {
    expect(parseHash('#/training/elsewhere')).toEqual({ route: 'training', sub: null, study: null });
    expect(parseHash('#/results/wizard')).toEqual({ route: 'results', sub: null, study: null });
    expect(parseHash('#/jobs?study=')).toEqual({ route: 'jobs', sub: null, study: null });
    expect(parseHash('/jobs')).toEqual({ route: 'jobs', sub: null, study: null });
  });

  it('is not confused by a token parameter in a page address', () => {
    expect(parseHash('#/jobs?token=abc&study=%2Fs')).toEqual({ route: 'jobs', sub: null, study: '/s' });
  });

  it('compares locations field by field', () => {
    const a = { route: 'results' as const, sub: null, study: '/s' };
    expect(sameLocation(a, { ...a })).toBe(true);
    expect(sameLocation(a, { ...a, study: '/t' })).toBe(false);
    expect(sameLocation(a, { ...a, sub: 'wizard' })).toBe(false);
    expect(sameLocation(a, { ...a, route: 'jobs' })).toBe(false);
  });
});

describe('the browser-mode token in a fragment with a page address', () => {
  it('splits the token off the printed link as before, other parameters kept', () => {
    expect(splitToken('#token=abc123')).toEqual({ token: 'abc123', remainingHash: '' });
    expect(splitToken('#token=abc&page=jobs')).toEqual({ token: 'abc', remainingHash: '#page=jobs' });
    expect(splitToken('#token=')).toEqual({ token: null, remainingHash: '' });
  });

  it('splits the token off a page address and keeps the page and its study', () => {
    expect(splitToken('#/results?token=abc')).toEqual({ token: 'abc', remainingHash: '#/results' });
    const { token, remainingHash } = splitToken('#/training/wizard?study=%2Fhome%2Fme%2Fs&token=t0k');
    expect(token).toBe('t0k');
    expect(parseHash(remainingHash)).toEqual({ route: 'training', sub: 'wizard', study: '/home/me/s' });
    expect(splitToken('#/results')).toEqual({ token: null, remainingHash: '#/results' });
  });

  it('the transport keeps the page when it takes the token out of the address bar', () => {
    expect(tokenFromHash('#/jobs?token=abc')).toEqual({ token: 'abc', remainingHash: '#/jobs' });
    const cleaned: string[] = [];
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    expect(resolveBridgeToken('#/results?study=%2Fs&token=first', storage, (h) => cleaned.push(h))).toBe('first');
    expect(cleaned).toEqual(['#/results?study=%2Fs']);
    // A reload on a page address (no token in it) uses the remembered token and leaves the address alone.
    expect(resolveBridgeToken('#/results?study=%2Fs', storage, (h) => cleaned.push(h))).toBe('first');
    expect(cleaned).toHaveLength(1);
  });
});
