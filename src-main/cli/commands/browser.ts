import { existsSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../src-shared/errors';
import { startBridge } from '../../bridge/server';
import { composeApp } from '../../host/compose';
import { NodeForkLauncher } from '../../services/jobs/node-launcher';
import { stderrLogger } from '../../services/log';
import { FileSettingsStore } from '../../services/settings/file-store';
import { defaultDataDir, rendererDir, workerEntry } from '../../paths';
import { APP_VERSION } from '../../version';
import { parseCommandArgs } from '../args';

/** `funduslab browser`: serves the built renderer and the HTTP bridge on 127.0.0.1 until interrupted. */
export async function runBrowser(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { port: { type: 'string', default: '0' } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppError('BAD_REQUEST', `--port must be an integer from 0 to 65535, got ${values.port}`);
  const renderer = rendererDir();
  if (!existsSync(path.join(renderer, 'index.html'))) {
    throw new AppError('NOT_FOUND', `The built renderer is missing (${renderer}). Run \`npm run build\` first.`);
  }
  const dataDir = defaultDataDir();
  const log = stderrLogger;
  const app = composeApp({
    host: 'browser',
    appVersion: APP_VERSION,
    electronVersion: null,
    dataDir,
    settings: new FileSettingsStore(path.join(dataDir, 'settings.json'), log),
    launcher: new NodeForkLauncher(workerEntry(), log),
    dialogs: null,
    log,
  });
  const bridge = await startBridge({ dispatch: app.dispatch, bus: app.bus, log, rendererDir: renderer, port });
  if (values.json) process.stdout.write(JSON.stringify({ url: bridge.url, port: bridge.port, token: bridge.token, dataDir }) + '\n');
  else {
    process.stdout.write(
      `FundusLab is running in browser mode. Open this address (it carries this launch's access token):\n\n  ${bridge.url}\n\nApp data: ${dataDir}\nPress Ctrl+C to stop.\n`,
    );
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stderr.write('stopping…\n');
  // A second signal stops at once.
  process.once('SIGINT', () => endBySignal('SIGINT'));
  process.once('SIGTERM', () => endBySignal('SIGTERM'));
  const stopped = Promise.all([app.shutdown(), bridge.close()]).then(() => true);
  const late = new Promise<false>((resolve) => setTimeout(() => resolve(false), SHUTDOWN_DEADLINE_MS).unref());
  if (!(await Promise.race([stopped, late]))) process.stderr.write(`not everything stopped within ${SHUTDOWN_DEADLINE_MS / 1000} s\n`);
  // Nothing left: the process ends by itself (exit code 0). Something still pending (e.g. a file system call
  // blocked on a FIFO or a hung mount, which even process.exit waits for): the signal ends it.
  setTimeout(() => endBySignal(signal), EXIT_GRACE_MS).unref();
  return 0;
}

/** Ends the process the way the signal's default action does, whatever threads are blocked. */
function endBySignal(signal: NodeJS.Signals): void {
  process.stderr.write(`work still pending; ending on ${signal}\n`);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/** Stopping the workers and the bridge may take this long before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 3_500;
/** After stopping, the process ends by itself or is ended after this. */
const EXIT_GRACE_MS = 500;
