/**
 * Page routing without a router package: the current page is state. Pages are listed in
 * routes.tsx; this module only knows their ids so features can link to each other.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export type RouteId =
  | 'studies'
  | 'datasets'
  | 'models'
  | 'training'
  | 'results'
  | 'spectra'
  | 'robustness'
  | 'explanations'
  | 'report'
  | 'trash'
  | 'compute'
  | 'jobs';

interface NavigationValue {
  route: RouteId;
  /** Increases on every navigation; pages use it to move focus to their heading. */
  navigations: number;
  navigate(route: RouteId): void;
}

const NavigationContext = createContext<NavigationValue | null>(null);

export function NavigationProvider({ initial = 'studies', children }: { initial?: RouteId; children: ReactNode }) {
  const [state, setState] = useState<{ route: RouteId; navigations: number }>({ route: initial, navigations: 0 });
  const navigate = useCallback((route: RouteId) => {
    setState((prev) => ({ route, navigations: prev.navigations + 1 }));
  }, []);
  const value = useMemo(() => ({ ...state, navigate }), [state, navigate]);
  return <NavigationContext.Provider value={value}>{children}</NavigationContext.Provider>;
}

export function useNavigation(): NavigationValue {
  const value = useContext(NavigationContext);
  if (!value) throw new Error('useNavigation() needs a <NavigationProvider> above it');
  return value;
}
