/**
 * The compute engine's status (`engine.status`): which backend is active and why. Loaded once and
 * refreshed on demand (after the backend preference changes). Probing can take a few seconds on
 * the first call, because the main side asks a worker.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { EngineStatus } from '../../../src-shared/engine';
import { useClient } from '../../app/ClientContext';
import { errorMessage } from '../../shared/errors.viewmodel';

interface EngineValue {
  status: EngineStatus | null;
  loading: boolean;
  error: string | null;
  refresh(): void;
}

const EngineContext = createContext<EngineValue | null>(null);

export function EngineProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const request = useRef(0);

  // Loading starts true; a refresh sets it again, and only the answer clears it.
  const fetchStatus = useCallback(() => {
    const id = ++request.current;
    client.call('engine.status', {}).then(
      (value) => {
        if (id !== request.current) return;
        setStatus(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (id !== request.current) return;
        setError(errorMessage(err));
        setLoading(false);
      },
    );
  }, [client]);

  useEffect(fetchStatus, [fetchStatus]);

  const refresh = useCallback(() => {
    setLoading(true);
    fetchStatus();
  }, [fetchStatus]);

  const value = useMemo(() => ({ status, loading, error, refresh }), [status, loading, error, refresh]);
  return <EngineContext.Provider value={value}>{children}</EngineContext.Provider>;
}

export function useEngine(): EngineValue {
  const value = useContext(EngineContext);
  if (!value) throw new Error('useEngine() needs an <EngineProvider> above it');
  return value;
}
