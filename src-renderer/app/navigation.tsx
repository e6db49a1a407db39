/**
 * Page routing without a router package. The current page is state, mirrored into the URL fragment
 * (hash-route.ts: `#/results?study=…`), so a reload, back/forward and bookmarks keep the page and the
 * study. Pages are listed in routes.tsx; this module only knows their ids so features can link to
 * each other.
 *
 * A page with unsaved edits registers a guard (useUnsavedChangesGuard.ts): while one is registered,
 * leaving the page from the navigation, a link or the browser's back button asks first.
 */
import { createContext, useCallback, useContext, useEffect, useEffectEvent, useMemo, useRef, useState, type ReactNode } from 'react';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import { useStudy } from '../features/study/StudyStore';
import { formatHash, HOME, parseHash, sameLocation, type PageLocation, type RouteId } from './hash-route';

export type { RouteId };

export interface NavigateOptions {
  /** A page inside the page (`wizard` of `training`); none by default. */
  sub?: string | null;
  /** Leave without asking about unsaved edits (the page itself closes what it edits, e.g. after saving). */
  force?: boolean;
}

interface NavigationValue {
  route: RouteId;
  /** The page inside the page (`wizard`), or null. */
  sub: string | null;
  /** Increases on every navigation; pages use it to move focus to their heading. */
  navigations: number;
  navigate(route: RouteId, options?: NavigateOptions): void;
}

/** Registers a page's unsaved-edits message; returns the function that removes it again. */
export type RegisterGuard = (message: string) => () => void;

const NavigationContext = createContext<NavigationValue | null>(null);
export const GuardContext = createContext<RegisterGuard | null>(null);

interface State {
  route: RouteId;
  sub: string | null;
  navigations: number;
  /** The study the address named when it was read (start-up, back/forward); opened if another one is open. */
  urlStudy: string | null;
  /** A navigation waiting for the user's answer about unsaved edits. */
  pending: { target: PageLocation; fromHistory: boolean; message: string } | null;
}

/** The first registered page's message. */
function guardMessage(guards: ReadonlyMap<symbol, string>): string {
  return [...guards.values()][0] ?? 'Your changes are not saved.';
}

function readAddress(): PageLocation {
  return parseHash(window.location.hash) ?? HOME;
}

export function NavigationProvider({ children }: { children: ReactNode }) {
  const { openStudy, open } = useStudy();
  const [state, setState] = useState<State>(() => {
    const start = readAddress();
    return { route: start.route, sub: start.sub, navigations: 0, urlStudy: start.study, pending: null };
  });
  const guards = useRef(new Map<symbol, string>());
  /** The next address change is a new history entry (a navigation in the app), not a replacement. */
  const pushNext = useRef(false);
  /** The next popstate is the one the user agreed to after a refused back/forward: apply it without asking. */
  const allowNextPop = useRef(false);

  // The open study; while the address's study is still being opened, the address keeps naming it.
  const study = openStudy?.path ?? state.urlStudy;

  // The state into the address: a new entry after a navigation in the app, a replacement otherwise.
  useEffect(() => {
    const hash = formatHash({ route: state.route, sub: state.sub, study });
    const push = pushNext.current;
    pushNext.current = false;
    if (window.location.hash === hash) return;
    const { pathname, search } = window.location;
    if (push) window.history.pushState(null, '', `${pathname}${search}${hash}`);
    else window.history.replaceState(window.history.state, '', `${pathname}${search}${hash}`);
  }, [state.route, state.sub, state.navigations, study]);

  // A study named by the address (reload, bookmark, back/forward) is opened when another one (or none) is.
  // Only an address change opens a study; the open study changing must not reopen the address's one.
  const openNamed = useEffectEvent((path: string) => {
    if (path === openStudy?.path) return;
    open(path).catch(() => {
      // A study that cannot be opened (moved, deleted): the Studies page says so when the user opens it.
    });
  });
  const urlStudy = state.urlStudy;
  useEffect(() => {
    if (urlStudy) openNamed(urlStudy);
  }, [urlStudy]);

  const apply = useCallback((target: PageLocation, fromHistory: boolean) => {
    if (!fromHistory) pushNext.current = true;
    setState((prev) => ({
      route: target.route,
      sub: target.sub,
      navigations: prev.navigations + 1,
      // In the app, the open study is what the address names from now on.
      urlStudy: fromHistory ? target.study : null,
      pending: null,
    }));
  }, []);

  const current = useRef<PageLocation>(HOME);
  useEffect(() => {
    current.current = { route: state.route, sub: state.sub, study };
  }, [state.route, state.sub, study]);

  const navigate = useCallback(
    (route: RouteId, options: NavigateOptions = {}) => {
      const target: PageLocation = { route, sub: options.sub ?? null, study: null };
      const here = current.current;
      if (!options.force && guards.current.size > 0 && (here.route !== route || here.sub !== target.sub)) {
        setState((prev) => ({ ...prev, pending: { target, fromHistory: false, message: guardMessage(guards.current) } }));
        return;
      }
      apply(target, false);
    },
    [apply],
  );

  // Back/forward and addresses typed into the address bar.
  useEffect(() => {
    function onPop() {
      const target = readAddress();
      if (allowNextPop.current) {
        allowNextPop.current = false;
        apply(target, true);
        return;
      }
      const here = current.current;
      if (sameLocation(target, here)) return;
      if (guards.current.size > 0 && (target.route !== here.route || target.sub !== here.sub)) {
        // Put the page's address back until the user decides; agreeing goes back to where they were heading.
        const { pathname, search } = window.location;
        window.history.pushState(null, '', `${pathname}${search}${formatHash(here)}`);
        setState((prev) => ({ ...prev, pending: { target, fromHistory: true, message: guardMessage(guards.current) } }));
        return;
      }
      apply(target, true);
    }
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [apply]);

  const register = useCallback<RegisterGuard>((message) => {
    const key = Symbol('unsaved edits');
    guards.current.set(key, message);
    return () => {
      guards.current.delete(key);
    };
  }, []);

  function stay() {
    setState((prev) => ({ ...prev, pending: null }));
  }

  function leave() {
    const pending = state.pending;
    if (!pending) return;
    if (pending.fromHistory) {
      allowNextPop.current = true;
      setState((prev) => ({ ...prev, pending: null }));
      window.history.back();
    } else apply(pending.target, false);
  }

  const value = useMemo(
    () => ({ route: state.route, sub: state.sub, navigations: state.navigations, navigate }),
    [state.route, state.sub, state.navigations, navigate],
  );
  return (
    <NavigationContext.Provider value={value}>
      <GuardContext.Provider value={register}>
        {children}
        <Dialog open={state.pending !== null} onClose={stay} aria-labelledby="unsaved-title" data-testid="unsaved-dialog">
          <DialogTitle id="unsaved-title">Leave without saving?</DialogTitle>
          <DialogContent>
            <DialogContentText>{state.pending?.message}</DialogContentText>
          </DialogContent>
          <DialogActions>
            <Button onClick={stay} autoFocus data-testid="unsaved-stay">
              Stay
            </Button>
            <Button onClick={leave} color="error" data-testid="unsaved-leave">
              Leave
            </Button>
          </DialogActions>
        </Dialog>
      </GuardContext.Provider>
    </NavigationContext.Provider>
  );
}

export function useNavigation(): NavigationValue {
  const value = useContext(NavigationContext);
  if (!value) throw new Error('useNavigation() needs a <NavigationProvider> above it');
  return value;
}

/**
 * A page inside the current page as a flag with its own address (`#/training/wizard`): open while
 * the address names it. Setting it navigates (a history entry, so back closes it); closing it from
 * the page itself does not ask about unsaved edits.
 */
export function useSubpage(route: RouteId, sub: string): [boolean, (on: boolean) => void] {
  const { route: current, sub: currentSub, navigate } = useNavigation();
  const on = current === route && currentSub === sub;
  const set = useCallback((next: boolean) => navigate(route, { sub: next ? sub : null, force: !next }), [navigate, route, sub]);
  return [on, set];
}
