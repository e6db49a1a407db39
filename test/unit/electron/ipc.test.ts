import { describe, expect, it, vi } from 'vitest';
import { IPC_EVENT } from '../../../src-shared/contract';
import { DEFAULT_SETTINGS } from '../../../src-shared/settings';
import type { RpcResponse } from '../../../src-shared/errors';
import { createDispatcher, type Dispatch, type Handlers } from '../../../src-main/rpc/dispatch';
import { EventBus } from '../../../src-main/services/events';
import { memoryLogger } from '../../../src-main/services/log';
import {
  FORBIDDEN_SENDER,
  createFolderDialogs,
  createInvokeHandler,
  createQuitGuard,
  createUnloadQuestion,
  UNLOAD_BUTTONS,
  forwardBusToWindows,
  type EventTargetWindow,
} from '../../../src-main/electron/ipc';
import { APP_ORIGIN, isTrustedSender, navigationAllowed, type FrameLike } from '../../../src-main/electron/security';

const frame = (url: string, parent: FrameLike | null = null): FrameLike => ({ url, parent, detached: false });

function fakeWindow(url: string, destroyed = false) {
  const sent: unknown[][] = [];
  const mainFrame = frame(url);
  const win = {
    sent,
    mainFrame,
    isDestroyed: () => destroyed,
    webContents: {
      isDestroyed: () => destroyed,
      mainFrame,
      send: (channel: string, ...args: unknown[]) => sent.push([channel, ...args]),
    },
  } satisfies EventTargetWindow & { sent: unknown[][]; mainFrame: FrameLike };
  return win;
}

describe('createInvokeHandler', () => {
  const ours = fakeWindow('app://funduslab/index.html');
  const setup = () => {
    const log = memoryLogger();
    const dispatch = vi.fn<Dispatch>(async () => ({ ok: true, value: 'dispatched' }));
    const handler = createInvokeHandler({ dispatch, isTrusted: (f) => isTrustedSender(f, [ours], APP_ORIGIN), log });
    return { log, dispatch, handler };
  };

  it('dispatches calls from our app frame as unknown channel + payload with the ipc transport', async () => {
    const { dispatch, handler } = setup();
    const payload = { title: 'Pick a study folder' };
    await expect(handler({ senderFrame: ours.mainFrame }, 'dialog.pickFolder', payload)).resolves.toEqual({
      ok: true,
      value: 'dispatched',
    });
    expect(dispatch).toHaveBeenCalledExactlyOnceWith('dialog.pickFolder', payload, { transport: 'ipc' });
  });

  it.each([
    ['a null sender frame', null],
    ['a sub-frame of our window', frame('app://funduslab/index.html', frame('app://funduslab/index.html'))],
    ['a foreign https page', frame('https://evil.example/')],
    ['a file:// page', frame('file:///tmp/evil.html')],
    ['a frame that is not one of our windows', frame('app://funduslab/index.html')],
  ])('refuses %s with FORBIDDEN, logs it, and never calls the dispatcher', async (_what, senderFrame) => {
    const { dispatch, handler, log } = setup();
    const answer = await handler({ senderFrame }, 'settings.update', { theme: 'dark' });
    expect(answer).toEqual(FORBIDDEN_SENDER);
    expect(answer).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(dispatch).not.toHaveBeenCalled();
    expect(log.lines).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('refused IPC call on "settings.update"') }),
    ]);
  });

  it('treats a throwing senderFrame getter as no frame', async () => {
    const { dispatch, handler } = setup();
    const event = {
      get senderFrame(): FrameLike | null {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    };
    await expect(handler(event, 'app.info', {})).resolves.toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('still resolves with an envelope if the dispatcher ever throws', async () => {
    const log = memoryLogger();
    const handler = createInvokeHandler({
      dispatch: async () => {
        throw new Error('bug');
      },
      isTrusted: () => true,
      log,
    });
    await expect(handler({ senderFrame: ours.mainFrame }, 'app.info', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
  });

  it('with the real dispatcher: unknown channels and malformed payloads come back as envelopes', async () => {
    const log = memoryLogger();
    const handlers = { 'settings.get': async () => DEFAULT_SETTINGS } as unknown as Handlers;
    const handler = createInvokeHandler({ dispatch: createDispatcher(handlers, log), isTrusted: () => true, log });
    const frameOk = { senderFrame: ours.mainFrame };
    expect(await handler(frameOk, 'settings.get', {})).toEqual({ ok: true, value: DEFAULT_SETTINGS });
    expect(await handler(frameOk, 'shell.exec', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(await handler(frameOk, 'settings.get', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(((await handler(frameOk, { evil: true }, {})) as RpcResponse).ok).toBe(false);
  });
});

describe('forwardBusToWindows', () => {
  it('sends every bus event to every live app window, and stops after unsubscribe', () => {
    const bus = new EventBus();
    const a = fakeWindow('app://funduslab/index.html');
    const b = fakeWindow('app://funduslab/index.html');
    const gone = fakeWindow('app://funduslab/index.html', true);
    const elsewhere = fakeWindow('https://evil.example/');
    const stop = forwardBusToWindows({
      bus,
      windows: () => [a, gone, b, elsewhere],
      isAppFrame: (f) => navigationAllowed(f.url, APP_ORIGIN),
      ipcEventChannel: IPC_EVENT,
      log: memoryLogger(),
    });
    bus.emit('settings.changed', DEFAULT_SETTINGS);
    expect(a.sent).toEqual([[IPC_EVENT, 'settings.changed', DEFAULT_SETTINGS]]);
    expect(b.sent).toEqual([[IPC_EVENT, 'settings.changed', DEFAULT_SETTINGS]]);
    expect(gone.sent).toEqual([]);
    expect(elsewhere.sent).toEqual([]);
    stop();
    bus.emit('settings.changed', DEFAULT_SETTINGS);
    expect(a.sent).toHaveLength(1);
  });

  it('a window whose send throws does not stop delivery to the others', () => {
    const bus = new EventBus();
    const broken = fakeWindow('app://funduslab/index.html');
    broken.webContents.send = () => {
      throw new Error('Object has been destroyed');
    };
    const ok = fakeWindow('app://funduslab/index.html');
    const log = memoryLogger();
    forwardBusToWindows({ bus, windows: () => [broken, ok], isAppFrame: () => true, ipcEventChannel: IPC_EVENT, log });
    bus.emit('settings.changed', DEFAULT_SETTINGS);
    expect(ok.sent).toHaveLength(1);
    expect(log.lines[0]?.level).toBe('warn');
  });
});

describe('createQuitGuard', () => {
  it('holds the first quit, awaits shutdown exactly once, then quits for real', async () => {
    let finish!: () => void;
    const shutdown = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const quit = vi.fn();
    const guard = createQuitGuard({ shutdown, quit, log: memoryLogger() });

    const first = { preventDefault: vi.fn() };
    guard(first);
    expect(first.preventDefault).toHaveBeenCalled();
    const second = { preventDefault: vi.fn() }; // e.g. the user presses Cmd+Q again
    guard(second);
    expect(second.preventDefault).toHaveBeenCalled();
    await Promise.resolve();
    expect(shutdown).toHaveBeenCalledOnce();
    expect(quit).not.toHaveBeenCalled();

    finish();
    await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
    const final = { preventDefault: vi.fn() };
    guard(final); // the quit that app.quit() triggers again goes through
    expect(final.preventDefault).not.toHaveBeenCalled();
    expect(shutdown).toHaveBeenCalledOnce();
  });

  it('quits even when shutdown fails or hangs past the timeout', async () => {
    const log = memoryLogger();
    const quit1 = vi.fn();
    const failingGuard = createQuitGuard({ shutdown: () => Promise.reject(new Error('disk gone')), quit: quit1, log });
    failingGuard({ preventDefault() {} });
    await vi.waitFor(() => expect(quit1).toHaveBeenCalledOnce());
    expect(log.lines.some((l) => l.level === 'error' && l.message.includes('disk gone'))).toBe(true);

    const quit2 = vi.fn();
    const hanging = createQuitGuard({ shutdown: () => new Promise<void>(() => {}), quit: quit2, log, timeoutMs: 20 });
    hanging({ preventDefault() {} });
    await vi.waitFor(() => expect(quit2).toHaveBeenCalledOnce());
  });
});

describe('createFolderDialogs', () => {
  it('asks for a directory (creatable) and returns the chosen path, or null when cancelled', async () => {
    const calls: unknown[][] = [];
    const owner = { id: 1 };
    let answer = { canceled: false, filePaths: ['/data/study-a'] };
    const dialogs = createFolderDialogs({
      showOpenDialog: async (w, options) => {
        calls.push([w, options]);
        return answer;
      },
      focusedWindow: () => owner,
    });
    await expect(dialogs.pickFolder('Choose the study folder')).resolves.toBe('/data/study-a');
    expect(calls).toEqual([[owner, { title: 'Choose the study folder', properties: ['openDirectory', 'createDirectory'] }]]);
    answer = { canceled: true, filePaths: [] };
    await expect(dialogs.pickFolder('x')).resolves.toBeNull();
    answer = { canceled: false, filePaths: [] };
    await expect(dialogs.pickFolder('x')).resolves.toBeNull();
  });

  it('asks for one existing file with the caller\'s filters plus "All files", or returns null when cancelled', async () => {
    const calls: unknown[][] = [];
    let answer = { canceled: false, filePaths: ['/weights/moco_v2_800ep_pretrain.pth.tar'] };
    const dialogs = createFolderDialogs({
      showOpenDialog: async (w, options) => {
        calls.push([w, options]);
        return answer;
      },
      focusedWindow: () => null,
    });
    const filters = [{ name: 'PyTorch checkpoints', extensions: ['pth', 'tar'] }];
    await expect(dialogs.pickFile('MoCo v2 checkpoint', filters)).resolves.toBe('/weights/moco_v2_800ep_pretrain.pth.tar');
    expect(calls[0]).toEqual([
      null,
      { title: 'MoCo v2 checkpoint', properties: ['openFile'], filters: [...filters, { name: 'All files', extensions: ['*'] }] },
    ]);
    // a caller that already offers every file gets no second "All files"
    await dialogs.pickFile('x', [{ name: 'Any', extensions: ['*'] }]);
    expect(calls[1]?.[1]).toEqual({ title: 'x', properties: ['openFile'], filters: [{ name: 'Any', extensions: ['*'] }] });
    await dialogs.pickFile('x');
    expect(calls[2]?.[1]).toEqual({ title: 'x', properties: ['openFile'], filters: [{ name: 'All files', extensions: ['*'] }] });
    answer = { canceled: true, filePaths: [] };
    await expect(dialogs.pickFile('x', filters)).resolves.toBeNull();
  });
});

describe('createUnloadQuestion', () => {
  const event = () => {
    const e = { prevented: false, preventDefault: () => (e.prevented = true) };
    return e;
  };

  it('asks with the two buttons, Stay as default and cancel, and lets the unload go ahead only on "Leave without saving"', () => {
    const asked: { buttons: string[]; defaultId: number; cancelId: number; message: string }[] = [];
    const leave = event();
    createUnloadQuestion((o) => (asked.push(o), 0))(leave);
    expect(leave.prevented).toBe(true);
    const stay = event();
    createUnloadQuestion((o) => (asked.push(o), 1))(stay);
    expect(stay.prevented).toBe(false);
    expect(asked[0]).toMatchObject({ buttons: [...UNLOAD_BUTTONS], defaultId: 1, cancelId: 1, message: 'Leave without saving?' });
    expect(UNLOAD_BUTTONS[0]).toBe('Leave without saving');
  });
});
