/**
 * The page's address in the URL fragment, so a reload, the browser's back and forward buttons and a
 * bookmark land on the same page of the same study: `#/results?study=%2Fhome%2Fme%2Fpilot`,
 * `#/training/wizard?study=…`. Pure: no DOM, no React.
 *
 * In browser mode the link FundusLab prints carries the access token in the fragment too
 * (`#token=…`); a `token` parameter is never part of a page's address (see bridgeTransport.ts, which
 * takes it out of the address bar and keeps the rest).
 */
import { BRIDGE_TOKEN_FRAGMENT } from '../../src-shared/contract';

export const ROUTE_IDS = [
  'studies',
  'datasets',
  'models',
  'training',
  'results',
  'spectra',
  'robustness',
  'explanations',
  'report',
  'trash',
  'compute',
  'jobs',
] as const;

export type RouteId = (typeof ROUTE_IDS)[number];

/** A page inside a page that has its own address (only the study wizard today). */
export const SUBPAGES: Partial<Record<RouteId, readonly string[]>> = { training: ['wizard'] };

export interface PageLocation {
  route: RouteId;
  /** A page inside the page (`wizard` of `training`), or null. */
  sub: string | null;
  /** The study folder the page shows, or null (no study open, or a page that needs none). */
  study: string | null;
}

export const HOME: PageLocation = { route: 'studies', sub: null, study: null };

function isRouteId(value: string): value is RouteId {
  return (ROUTE_IDS as readonly string[]).includes(value);
}

/**
 * The page a fragment names; null when it names none (empty, the bare token link, an unknown
 * page). An unknown page inside a known one gives the known page.
 */
export function parseHash(hash: string): PageLocation | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw.startsWith('/')) return null;
  const queryAt = raw.indexOf('?');
  const pathPart = queryAt === -1 ? raw.slice(1) : raw.slice(1, queryAt);
  const params = new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1));
  const [first, second] = pathPart.split('/').map((s) => safeDecode(s));
  if (!first || !isRouteId(first)) return null;
  const sub = second && (SUBPAGES[first] ?? []).includes(second) ? second : null;
  const study = params.get('study');
  return { route: first, sub, study: study && study.length > 0 ? study : null };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The fragment of a page: `#/route[/sub][?study=…]`. */
export function formatHash(location: PageLocation): string {
  const path = location.sub ? `/${location.route}/${location.sub}` : `/${location.route}`;
  const params = new URLSearchParams();
  if (location.study) params.set('study', location.study);
  const query = params.toString();
  return `#${path}${query ? `?${query}` : ''}`;
}

export function sameLocation(a: PageLocation, b: PageLocation): boolean {
  return a.route === b.route && a.sub === b.sub && a.study === b.study;
}

/**
 * Splits the access token off a fragment in either form: the printed link (`#token=abc`, other
 * parameters kept as they were) or a page address (`#/jobs?token=abc&study=…`, the page kept).
 */
export function splitToken(hash: string): { token: string | null; remainingHash: string } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const routed = raw.startsWith('/');
  const queryAt = routed ? raw.indexOf('?') : -1;
  const head = routed ? (queryAt === -1 ? raw : raw.slice(0, queryAt)) : '';
  const params = new URLSearchParams(routed ? (queryAt === -1 ? '' : raw.slice(queryAt + 1)) : raw);
  const token = params.get(BRIDGE_TOKEN_FRAGMENT);
  params.delete(BRIDGE_TOKEN_FRAGMENT);
  const rest = params.toString();
  const remaining = routed ? `${head}${rest ? `?${rest}` : ''}` : rest;
  return { token: token && token.length > 0 ? token : null, remainingHash: remaining ? `#${remaining}` : '' };
}
