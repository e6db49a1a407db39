/**
 * FundusLab's composition root for tests below the UI: the app the HTTP bridge and the desktop app
 * compose (jobs in real worker processes, dist/worker.js forked by the Node launcher), called
 * through its dispatcher as every transport calls it.
 */
import { composeApp, type ComposedApp, type ShellAdapter } from '../../src-main/host/compose';
import { NodeForkLauncher } from '../../src-main/services/jobs/node-launcher';
import { memoryLogger } from '../../src-main/services/log';
import { MemorySettingsStore } from '../../src-main/services/settings/store';
import { workerEntry } from '../../src-main/paths';
import type { BackendPreference } from '../../src-shared/engine';

/**
 * The app over `dataDir` with in-memory settings preferring `preferredBackend`, no dialogs and an
 * in-memory log; the desktop host when a `shell` is given, else browser mode. Shut it down in afterAll.
 */
export function testApp(options: { dataDir: string; preferredBackend: BackendPreference; shell?: ShellAdapter | null }): ComposedApp {
  const log = memoryLogger();
  return composeApp({
    host: options.shell ? 'electron' : 'browser',
    appVersion: '0.0.0-test',
    electronVersion: null,
    dataDir: options.dataDir,
    settings: new MemorySettingsStore({ preferredBackend: options.preferredBackend }),
    launcher: new NodeForkLauncher(workerEntry(), log),
    dialogs: null,
    shell: options.shell,
    log,
  });
}

/**
 * Dispatches `channel` as a transport does and returns the value; an error answer is thrown as an Error `CODE: message` carrying the
 * error's fields (code, issues…).
 */
export async function callChannel(app: ComposedApp, channel: string, payload: unknown): Promise<unknown> {
  const response = await app.dispatch(channel, payload, { transport: 'test' });
  if (!response.ok) throw Object.assign(new Error(`${response.error.code}: ${response.error.message}`), response.error);
  return response.value;
}
