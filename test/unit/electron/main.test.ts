/**
 * Runs the real src-main/electron/main.ts against a fake 'electron' module (the binary cannot run
 * here) and the real composition root, and checks the wiring end to end: pre-ready registration,
 * window options, guards, the app:// protocol, IPC with sender checks, events, dialogs and quit.
 */
import { EventEmitter } from 'node:events';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_EVENT, IPC_INVOKE } from '../../../src-shared/contract';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY, secureWebPreferences } from '../../../src-main/electron/security';
import { REPO_ROOT as root, tempDirSync } from '../../support/files';

const fake = await vi.hoisted(async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const calls: string[] = [];
  const state = {
    calls,
    paths: {} as Record<string, string>,
    ready: false,
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
    windows: [] as FakeWindowType[],
    errorBoxes: [] as string[][],
    openDialogs: [] as unknown[][],
    openedExternally: [] as string[],
    forks: [] as Array<{ modulePath: string; options: Record<string, unknown> }>,
    forkImpl: null as null | ((modulePath: string, args: string[], options: Record<string, unknown>) => unknown),
    quitCalls: 0,
  };

  class FakeSession {
    permissionRequest?: (wc: unknown, permission: string, cb: (granted: boolean) => void, details: unknown) => void;
    permissionCheck?: (...args: unknown[]) => boolean;
    device?: (...args: unknown[]) => boolean;
    setPermissionRequestHandler(h: FakeSession['permissionRequest']) {
      this.permissionRequest = h;
    }
    setPermissionCheckHandler(h: FakeSession['permissionCheck']) {
      this.permissionCheck = h;
    }
    setDevicePermissionHandler(h: FakeSession['device']) {
      this.device = h;
    }
  }
  const defaultSession = new FakeSession();

  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    getPath: (name: string) => {
      const value = state.paths[name];
      if (!value) throw new Error(`fake app.getPath: no path for ${name}`);
      return value;
    },
    setPath: (name: string, value: string) => {
      calls.push(`setPath:${name}`);
      state.paths[name] = value;
    },
    getVersion: () => '0.1.0',
    enableSandbox: () => calls.push('enableSandbox'),
    setAppUserModelId: () => {},
    requestSingleInstanceLock: () => {
      calls.push('requestSingleInstanceLock');
      return true;
    },
    whenReady: () =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          calls.push('ready');
          state.ready = true;
          resolve();
        }, 0),
      ),
    quit: () => {
      state.quitCalls++;
      app.emit('before-quit', { preventDefault: () => calls.push('quit-prevented') });
    },
    exit: (code: number) => calls.push(`exit:${code}`),
  });

  class FakeFrame {
    parent = null;
    detached = false;
    constructor(public url: string) {}
  }

  class FakeWebContents extends Emitter {
    static nextId = 1;
    readonly id = FakeWebContents.nextId++;
    readonly session = defaultSession;
    readonly mainFrame = new FakeFrame('');
    readonly sent: unknown[][] = [];
    windowOpenHandler?: (details: { url: string }) => { action: string };
    destroyed = false;
    isDestroyed() {
      return this.destroyed;
    }
    send(channel: string, ...args: unknown[]) {
      this.sent.push([channel, ...args]);
    }
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.windowOpenHandler = handler;
    }
  }

  class FakeWindow extends Emitter {
    static getAllWindows = () => state.windows.filter((w) => !w.destroyed);
    static getFocusedWindow = () => state.windows[0] ?? null;
    readonly webContents = new FakeWebContents();
    destroyed = false;
    shown = false;
    constructor(public readonly options: Record<string, unknown>) {
      super();
      calls.push('BrowserWindow');
      state.windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    async loadURL(url: string) {
      calls.push(`loadURL:${url}`);
      this.webContents.mainFrame.url = url;
      setTimeout(() => this.emit('ready-to-show'), 0);
    }
    isDestroyed() {
      return this.destroyed;
    }
    isMinimized() {
      return false;
    }
    isVisible() {
      return this.shown;
    }
    restore() {}
    focused = 0;
    focus() {
      this.focused++;
    }
    show() {
      this.shown = true;
    }
  }
  type FakeWindowType = FakeWindow;

  const electron = {
    app,
    BrowserWindow: FakeWindow,
    session: { defaultSession },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => calls.push(`registerSchemesAsPrivileged:${JSON.stringify(schemes)}`),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
        calls.push(`protocol.handle:${scheme}`);
        state.protocolHandlers.set(scheme, handler);
      },
    },
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => state.ipcHandlers.set(channel, handler),
    },
    dialog: {
      showErrorBox: (title: string, content: string) => state.errorBoxes.push([title, content]),
      showOpenDialog: async (...args: unknown[]) => {
        state.openDialogs.push(args);
        return { canceled: false, filePaths: ['/picked/folder'] };
      },
    },
    shell: { openExternal: async (url: string) => void state.openedExternally.push(url) },
    utilityProcess: {
      fork: (modulePath: string, args: string[], options: Record<string, unknown>) => {
        state.forks.push({ modulePath, options });
        if (!state.forkImpl) throw new Error('fake utilityProcess.fork: no implementation set');
        return state.forkImpl(modulePath, args, options);
      },
    },
  };
  return { state, electron, FakeFrame, defaultSession };
});

vi.mock('electron', () => fake.electron);
vi.mock('electron-store', async () => {
  const { default: Conf } = await import('conf');
  class ElectronStoreOnConf extends Conf<Record<string, unknown>> {
    constructor(options: Record<string, unknown> & { name?: string; cwd: string }) {
      const { name, ...rest } = options;
      super({ ...rest, configName: name ?? 'config', projectVersion: '0.1.0' });
    }
  }
  return { default: ElectronStoreOnConf };
});

const { state } = fake;
let home: string;
type Invoke = (event: unknown, channel: unknown, payload: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
const invoke = (...args: Parameters<Invoke>) => (state.ipcHandlers.get(IPC_INVOKE) as Invoke)(...args);
const mainWindow = () => state.windows[0]!;

beforeAll(async () => {
  home = tempDirSync('electron-main');
  state.paths.appData = path.join(home, 'appData');
  await import('../../../src-main/electron/main');
  await vi.waitFor(() => expect(state.windows).toHaveLength(1));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('electron main (with a fake electron module)', () => {
  it('does the pre-ready work before ready: user-data path, privileged scheme, sandbox, single-instance lock', () => {
    const readyAt = state.calls.indexOf('ready');
    const before = (call: string) => {
      const at = state.calls.findIndex((c) => c.startsWith(call));
      expect(at, call).toBeGreaterThanOrEqual(0);
      expect(at, call).toBeLessThan(readyAt);
    };
    before('setPath:userData');
    before(`registerSchemesAsPrivileged:${JSON.stringify([APP_SCHEME_PRIVILEGES])}`);
    before('enableSandbox');
    before('requestSingleInstanceLock');
    expect(state.paths.userData).toBe(path.join(home, 'appData', 'FundusLab'));
    // and the window only after ready
    expect(state.calls.indexOf('BrowserWindow')).toBeGreaterThan(readyAt);
  });

  it('opens one 1280x800 window with the secure web preferences and the preload, loading the app URL', async () => {
    const win = mainWindow();
    const options = win.options as {
      width: number;
      height: number;
      minWidth: number;
      minHeight: number;
      webPreferences: Record<string, unknown>;
    };
    expect(options).toMatchObject({ width: 1280, height: 800, show: false });
    expect(options.minWidth).toBeGreaterThan(0);
    expect(options.minHeight).toBeGreaterThan(0);
    const preload = options.webPreferences.preload as string;
    expect(preload.endsWith(path.join('electron', 'preload.cjs'))).toBe(true);
    expect(options.webPreferences).toEqual(secureWebPreferences(preload, { devTools: true }));
    expect(state.calls).toContain(`loadURL:${APP_ENTRY_URL}`);
    await vi.waitFor(() => expect(win.shown).toBe(true));
  });

  it('guards every web contents: navigation out of the app and window.open are blocked', () => {
    const contents = mainWindow().webContents;
    let prevented = false;
    contents.emit('will-navigate', { url: 'file:///etc/passwd', isMainFrame: true, preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(state.openedExternally).toEqual([]);
    expect(contents.windowOpenHandler!({ url: 'https://doi.org/10.1371/x' })).toEqual({ action: 'deny' });
    expect(state.openedExternally).toEqual(['https://doi.org/10.1371/x']);
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(state.openedExternally).toHaveLength(1);
  });

  it('denies permissions on the default session', () => {
    const granted = vi.fn();
    fake.defaultSession.permissionRequest!({}, 'media', granted, {});
    expect(granted).toHaveBeenCalledExactlyOnceWith(false);
    expect(fake.defaultSession.permissionCheck!({}, 'notifications', 'app://funduslab', {})).toBe(false);
  });

  it('serves the app scheme with the CSP on every response', async () => {
    const handler = state.protocolHandlers.get('app')!;
    expect(handler).toBeTypeOf('function');
    for (const url of ['app://funduslab/index.html', 'app://funduslab/..%2f..%2fpackage.json']) {
      const response = await handler(new Request(url));
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(await response.text()).not.toContain('"name": "funduslab"');
    }
  });

  it('answers IPC calls from the app window through the real dispatcher', async () => {
    const answer = await invoke({ senderFrame: mainWindow().webContents.mainFrame }, 'app.info', {});
    expect(answer).toMatchObject({
      ok: true,
      value: { name: 'FundusLab', host: 'electron', capabilities: { folderDialog: true, fileDialog: true }, dataDir: state.paths.userData },
    });
    const bad = await invoke({ senderFrame: mainWindow().webContents.mainFrame }, 'app.info', { unexpected: true });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('refuses IPC from untrusted senders without reaching the services', async () => {
    for (const senderFrame of [null, new fake.FakeFrame('https://evil.example/'), new fake.FakeFrame('app://funduslab/index.html')]) {
      const answer = await invoke({ senderFrame }, 'settings.update', { theme: 'dark' });
      expect(answer).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const settings = await invoke({ senderFrame: mainWindow().webContents.mainFrame }, 'settings.get', {});
    expect(settings.value).toMatchObject({ theme: 'system' });
  });

  it('pushes bus events to the window and persists settings with electron-store', async () => {
    const contents = mainWindow().webContents;
    contents.sent.length = 0;
    const answer = await invoke({ senderFrame: contents.mainFrame }, 'settings.update', { theme: 'dark' });
    expect(answer).toMatchObject({ ok: true, value: { theme: 'dark' } });
    expect(contents.sent).toEqual([[IPC_EVENT, 'settings.changed', expect.objectContaining({ theme: 'dark' })]]);
    expect(existsSync(path.join(state.paths.userData!, 'settings.json'))).toBe(true);
  });

  it('uses the native folder dialog for dialog.pickFolder', async () => {
    const answer = await invoke({ senderFrame: mainWindow().webContents.mainFrame }, 'dialog.pickFolder', { title: 'Study folder' });
    expect(answer).toEqual({ ok: true, value: { path: '/picked/folder' } });
    expect(state.openDialogs.at(-1)).toEqual([mainWindow(), { title: 'Study folder', properties: ['openDirectory', 'createDirectory'] }]);
  });

  it('uses the native open-file dialog for dialog.pickFile, with the filters', async () => {
    const filters = [{ name: 'safetensors', extensions: ['safetensors'] }];
    const answer = await invoke({ senderFrame: mainWindow().webContents.mainFrame }, 'dialog.pickFile', { title: 'Weights', filters });
    expect(answer).toMatchObject({ ok: true });
    expect(state.openDialogs.at(-1)).toEqual([
      mainWindow(),
      { title: 'Weights', properties: ['openFile'], filters: [...filters, { name: 'All files', extensions: ['*'] }] },
    ]);
  });

  it.skipIf(!existsSync(path.join(root, 'dist', 'worker.js')))(
    'runs compute in a "FundusLab compute" utility process (the real dist/worker.js over a parentPort shim)',
    async () => {
      // Emulates utilityProcess.fork with child_process.fork plus a shim giving the worker Electron's
      // `process.parentPort` ({ postMessage, on('message', e => e.data) }).
      const shim = path.join(home, 'parent-port-shim.mjs');
      writeFileSync(
        shim,
        [
          'const target = process.argv[2];',
          'process.parentPort = {',
          '  postMessage: (message) => process.send(message),',
          "  on: (event, listener) => process.on('message', (data) => listener({ data, ports: [] })),",
          '};',
          'await import(target);',
        ].join('\n'),
      );
      const children: ChildProcess[] = [];
      state.forkImpl = (modulePath, _args, options) => {
        const child = fork(shim, [modulePath], {
          env: options.env as NodeJS.ProcessEnv,
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          serialization: 'advanced',
        });
        children.push(child);
        const proc = Object.assign(new EventEmitter(), {
          pid: child.pid,
          stdout: child.stdout ?? new PassThrough(),
          stderr: child.stderr ?? new PassThrough(),
          postMessage: (message: unknown) => child.send(message as never),
          kill: () => child.kill(),
        });
        child.on('spawn', () => proc.emit('spawn'));
        child.on('message', (message) => proc.emit('message', message));
        child.on('exit', (code) => proc.emit('exit', code ?? 1));
        return proc;
      };
      try {
        const answer = await invoke({ senderFrame: mainWindow().webContents.mainFrame }, 'engine.status', {});
        expect(answer.ok, JSON.stringify(answer)).toBe(true);
        expect((answer.value as { active: unknown }).active).toBeTypeOf('string');
        expect(state.forks[0]).toMatchObject({
          modulePath: expect.stringMatching(/worker\.js$/),
          options: { serviceName: 'FundusLab compute', stdio: 'pipe' },
        });
      } finally {
        for (const child of children) child.kill();
      }
    },
    60_000,
  );

  it('focuses the existing window when a second instance starts', () => {
    const before = mainWindow().focused;
    fake.electron.app.emit('second-instance', {}, ['funduslab'], '/', {});
    expect(mainWindow().focused).toBe(before + 1);
    expect(state.windows).toHaveLength(1);
  });

  it.skipIf(process.platform === 'darwin')(
    'quits when the last window closes: holds the quit until shutdown finished, then quits for real',
    async () => {
      fake.electron.app.emit('window-all-closed');
      // app.quit() → before-quit is held once while the composed app shuts down ...
      expect(state.calls.filter((c) => c === 'quit-prevented')).toHaveLength(1);
      // ... then app.quit() is called again and goes through
      await vi.waitFor(() => expect(state.quitCalls).toBe(2));
      expect(state.calls.filter((c) => c === 'quit-prevented')).toHaveLength(1);
      const logFile = path.join(state.paths.userData!, 'logs', 'main.log');
      expect(readFileSync(logFile, 'utf8')).toMatch(/refused IPC call on "settings.update" from untrusted sender[\s\S]*FundusLab stopped/);
    },
  );
});
