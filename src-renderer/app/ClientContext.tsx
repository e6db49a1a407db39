/**
 * Makes the typed client (and what the page knows about its link to FundusLab) available to every
 * component: `useClient()`, `useHost()`, `useConnectionState()`, `useAppInfo()`.
 */
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Client } from '../../src-shared/client';
import type { AppInfo } from '../../src-shared/contract';
import type { ConnectionMonitor, ConnectionState } from './connection';

interface ClientContextValue {
  client: Client;
  host: 'electron' | 'browser';
  connection: ConnectionMonitor;
}

const ClientContext = createContext<ClientContextValue | null>(null);
const AppInfoContext = createContext<AppInfo | null>(null);

export function ClientProvider({ client, host, connection, children }: ClientContextValue & { children: ReactNode }) {
  return <ClientContext.Provider value={{ client, host, connection }}>{children}</ClientContext.Provider>;
}

function useClientContext(): ClientContextValue {
  const value = useContext(ClientContext);
  if (!value) throw new Error('useClient() needs a <ClientProvider> above it');
  return value;
}

export function useClient(): Client {
  return useClientContext().client;
}

export function useHost(): 'electron' | 'browser' {
  return useClientContext().host;
}

export function useConnectionState(): ConnectionState {
  const { connection } = useClientContext();
  return useSyncExternalStore(connection.subscribe, connection.get);
}

export function useConnectionMonitor(): ConnectionMonitor {
  return useClientContext().connection;
}

export function AppInfoProvider({ info, children }: { info: AppInfo; children: ReactNode }) {
  return <AppInfoContext.Provider value={info}>{children}</AppInfoContext.Provider>;
}

/** `app.info`, loaded once before the shell renders. */
export function useAppInfo(): AppInfo {
  const value = useContext(AppInfoContext);
  if (!value) throw new Error('useAppInfo() needs an <AppInfoProvider> above it');
  return value;
}
