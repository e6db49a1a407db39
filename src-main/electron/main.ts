/**
 * Electron main process (bundled to dist/electron/main.js, ESM). Wires Electron to the shared
 * composition root: one privileged app:// scheme serving dist/renderer with a strict CSP, sandboxed
 * windows whose only bridge is the preload's `window.funduslab`, one IPC invoke channel checked by
 * sender frame and dispatched through the contract, one event channel fed by the bus.
 *
 * Every decision lives in a tested module next to this file (security, guards, ipc,
 * renderer-protocol, settings-store, utility-launcher); this file only connects them. Everything
 * that must happen before `ready` runs synchronously at load (no top-level await: an ESM entry
 * that awaits would let `ready` fire first).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../../src-shared/contract';
import { composeApp } from '../host/compose';
import type { Logger } from '../services/log';
import { guardWebContents, hardenSession } from './guards';
import { createFolderDialogs, createInvokeHandler, createQuitGuard, createUnloadQuestion, forwardBusToWindows } from './ipc';
import { createFileLogger, type FileLogger } from './logging';
import { createRendererHandler } from './renderer-protocol';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  isTrustedSender,
  navigationAllowed,
  secureWebPreferences,
} from './security';
import { distDir, packageRoot, rendererDir, workerEntry } from '../paths';
import { ElectronSettingsStore } from './settings-store';
import { UtilityProcessLauncher } from './utility-launcher';

export const APP_ID = 'org.funduslab.app';
export const PRODUCT_NAME = 'FundusLab';

/** Where the built app's parts are (found from the package root, so this works from dist/, an asar archive, or the sources in tests). */
export function appPaths(): { dist: string; preload: string; renderer: string; worker: string; icon: string } {
  const dist = distDir();
  return {
    dist,
    preload: path.join(dist, 'electron', 'preload.cjs'),
    renderer: rendererDir(),
    worker: workerEntry(),
    icon: path.join(packageRoot(), 'assets', 'icon.png'),
  };
}

const paths = appPaths();

/** Opens a new main window; set once the app is ready (macOS keeps running with no window). */
let openWindow: (() => void) | null = null;

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function createMainWindow(log: Logger): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: PRODUCT_NAME,
    ...(process.platform === 'linux' && existsSync(paths.icon) ? { icon: paths.icon } : {}),
    webPreferences: secureWebPreferences(paths.preload, { devTools: !app.isPackaged }),
  });
  win.once('ready-to-show', () => win.show());
  // A page with unsaved edits refuses to unload: ask instead of silently keeping the window as it is.
  win.webContents.on(
    'will-prevent-unload',
    createUnloadQuestion((options) => dialog.showMessageBoxSync(win, options)),
  );
  win.webContents.on('render-process-gone', (_event, details) => {
    log.error(`renderer process gone: ${details.reason} (exit code ${details.exitCode})`);
  });
  win.loadURL(APP_ENTRY_URL).catch((error: unknown) => {
    log.error(`could not load ${APP_ENTRY_URL}: ${errorText(error)}`);
    if (!win.isDestroyed()) win.show();
  });
  return win;
}

function focusExistingWindow(): boolean {
  const win = BrowserWindow.getAllWindows().find((w) => !w.isDestroyed());
  if (win === undefined) return false;
  if (win.isMinimized()) win.restore();
  if (!win.isVisible()) win.show();
  win.focus();
  return true;
}

function start(log: FileLogger): void {
  hardenSession(session.defaultSession, log);
  protocol.handle(APP_SCHEME, createRendererHandler({ rendererDir: paths.renderer, log }));
  if (!existsSync(path.join(paths.renderer, 'index.html'))) {
    log.error(`renderer not built: ${paths.renderer}/index.html is missing`);
    dialog.showErrorBox(
      PRODUCT_NAME,
      `The user interface has not been built (${paths.renderer} is missing).\nRun "npm run build" and start again.`,
    );
  }

  const dataDir = app.getPath('userData');
  const { dispatch, bus, shutdown } = composeApp({
    host: 'electron',
    appVersion: app.getVersion(),
    electronVersion: process.versions.electron ?? null,
    dataDir,
    settings: new ElectronSettingsStore({ directory: dataDir, log }),
    launcher: new UtilityProcessLauncher({
      fork: (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
      workerPath: paths.worker,
      log,
    }),
    dialogs: createFolderDialogs<BrowserWindow>({
      showOpenDialog: (owner, options) => (owner ? dialog.showOpenDialog(owner, options) : dialog.showOpenDialog(options)),
      focusedWindow: () => BrowserWindow.getFocusedWindow(),
    }),
    // compose.ts only passes paths that checkOpenablePath accepted (an existing PDF or folder).
    shell: { openPath: (target) => shell.openPath(target) },
    log,
  });

  ipcMain.handle(
    IPC_INVOKE,
    createInvokeHandler({
      dispatch,
      isTrusted: (frame) => isTrustedSender(frame, BrowserWindow.getAllWindows(), APP_ORIGIN),
      log,
    }),
  );
  forwardBusToWindows({
    bus,
    windows: () => BrowserWindow.getAllWindows(),
    isAppFrame: (frame) => navigationAllowed(frame.url, APP_ORIGIN),
    ipcEventChannel: IPC_EVENT,
    log,
  });
  app.on(
    'before-quit',
    createQuitGuard({
      shutdown: async () => {
        await shutdown();
        log.info('FundusLab stopped');
        await log.close();
      },
      quit: () => app.quit(),
      log,
    }),
  );
  openWindow = () => {
    createMainWindow(log);
  };
  app.on('activate', () => {
    if (!focusExistingWindow()) openWindow?.();
  });

  openWindow();
  log.info(`FundusLab ${app.getVersion()} started (Electron ${process.versions.electron ?? '?'}, data in ${dataDir})`);
}

function main(): void {
  // One user-data directory for `npm start` and the packaged app (the package name is lower-case).
  app.setPath('userData', path.join(app.getPath('appData'), PRODUCT_NAME));
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.enableSandbox();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  const log = createFileLogger({ logDir: path.join(app.getPath('userData'), 'logs') });
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${errorText(reason)}`));

  app.on('web-contents-created', (_event, contents) => {
    guardWebContents(contents, { log, openExternal: (url) => shell.openExternal(url), appOrigin: APP_ORIGIN });
  });
  app.on('second-instance', () => {
    if (!focusExistingWindow()) openWindow?.();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app
    .whenReady()
    .then(() => start(log))
    .catch((error: unknown) => {
      log.error(`FundusLab failed to start: ${errorText(error)}`);
      dialog.showErrorBox(
        PRODUCT_NAME,
        `FundusLab failed to start:\n${error instanceof Error ? error.message : String(error)}\n\nSee ${log.file}`,
      );
      app.exit(1);
    });
}

main();
