/**
 * The Electron IPC adapter as plain functions over injected pieces (dispatcher, sender check,
 * windows, logger), so the whole path renderer → main → renderer is unit-tested without Electron.
 */
import type { RpcResponse } from '../../src-shared/errors';
import type { Dispatch } from '../rpc/dispatch';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/log';
import { describeFrame, type FrameLike, type WindowLike } from './security';

/** The parts of Electron's IpcMainInvokeEvent the handler reads. */
export interface InvokeEventLike {
  readonly senderFrame: FrameLike | null;
}

export const FORBIDDEN_SENDER: RpcResponse = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'FORBIDDEN', message: 'This call did not come from a FundusLab window and was refused.' }),
}) as RpcResponse;

function senderFrameOf(event: InvokeEventLike): FrameLike | null {
  try {
    return event.senderFrame ?? null;
  } catch {
    return null; // a frame that is going away may throw on access: treat it as absent
  }
}

/**
 * Handler for `ipcMain.handle(IPC_INVOKE, …)`: refuses untrusted senders with a FORBIDDEN envelope
 * (and logs them) without touching the dispatcher; otherwise hands (channel, payload) to the
 * dispatcher as `unknown`. Never throws, never rejects.
 */
export function createInvokeHandler(deps: {
  dispatch: Dispatch;
  isTrusted: (frame: FrameLike | null) => boolean;
  log: Logger;
}): (event: InvokeEventLike, channel: unknown, payload: unknown) => Promise<RpcResponse> {
  return async (event, channel, payload) => {
    const frame = senderFrameOf(event);
    let trusted = false;
    try {
      trusted = deps.isTrusted(frame);
    } catch {
      trusted = false;
    }
    if (!trusted) {
      const shown = typeof channel === 'string' ? JSON.stringify(channel.slice(0, 80)) : typeof channel;
      deps.log.warn(`refused IPC call on ${shown} from untrusted sender (${describeFrame(frame)})`);
      return FORBIDDEN_SENDER;
    }
    try {
      return await deps.dispatch(channel, payload, { transport: 'ipc' });
    } catch (error) {
      // dispatch is documented never to throw; keep the promise resolved even if it ever does.
      deps.log.error(`IPC dispatch threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { ok: false, error: { code: 'INTERNAL', message: 'Unexpected error while handling the call; see the log.' } };
    }
  };
}

/** A window that can receive events. */
export interface EventTargetWindow extends WindowLike {
  readonly webContents: WindowLike['webContents'] & { send(channel: string, ...args: unknown[]): void };
}

/**
 * Forwards every bus event to every live window whose main frame shows the app (a window that
 * somehow left the app origin gets nothing). Returns the unsubscribe function.
 */
export function forwardBusToWindows(deps: {
  bus: Pick<EventBus, 'subscribe'>;
  windows: () => Iterable<EventTargetWindow>;
  isAppFrame: (frame: FrameLike) => boolean;
  ipcEventChannel: string;
  log: Logger;
}): () => void {
  return deps.bus.subscribe((name, payload) => {
    for (const win of deps.windows()) {
      try {
        if (win.isDestroyed?.() === true) continue;
        const contents = win.webContents;
        if (contents.isDestroyed()) continue;
        if (!deps.isAppFrame(contents.mainFrame)) continue;
        contents.send(deps.ipcEventChannel, name, payload);
      } catch (error) {
        deps.log.warn(`could not deliver ${name} to a window: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
}

/** The parts of Electron's before-quit event the guard uses. */
export interface QuitEventLike {
  preventDefault(): void;
}

/**
 * `before-quit` handler that runs `shutdown` exactly once before the app really quits: the first
 * quit is held (preventDefault), shutdown runs (bounded by `timeoutMs` so a stuck job cannot keep
 * the app alive), then `quit` is called again and let through.
 */
export function createQuitGuard(deps: {
  shutdown: () => Promise<void>;
  quit: () => void;
  log: Logger;
  timeoutMs?: number;
}): (event: QuitEventLike) => void {
  let state: 'running' | 'shutting-down' | 'done' = 'running';
  const timeoutMs = deps.timeoutMs ?? 15_000;
  return (event) => {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'shutting-down') return;
    state = 'shutting-down';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        deps.log.warn(`shutdown did not finish within ${timeoutMs} ms; quitting anyway`);
        resolve();
      }, timeoutMs);
    });
    const work = Promise.resolve()
      .then(() => deps.shutdown())
      .catch((error: unknown) => {
        deps.log.error(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      });
    void Promise.race([work, timeout]).then(() => {
      if (timer !== undefined) clearTimeout(timer);
      state = 'done';
      deps.quit();
    });
  };
}

/** A filter of a native open dialog (extensions without the dot). */
export interface DialogFilter {
  name: string;
  extensions: string[];
}

/** What createFolderDialogs asks of Electron's dialog.showOpenDialog. */
export interface OpenDialogRequest {
  title: string;
  properties: Array<'openDirectory' | 'createDirectory' | 'openFile'>;
  filters?: DialogFilter[];
}

/**
 * Native folder and file pickers over Electron's dialog.showOpenDialog (owner window when one is
 * focused). A file dialog always offers "All files" after the caller's filters, so a checkpoint
 * with an unusual extension can still be chosen.
 */
export function createFolderDialogs<W>(deps: {
  showOpenDialog: (owner: W | null, options: OpenDialogRequest) => Promise<{ canceled: boolean; filePaths: string[] }>;
  focusedWindow: () => W | null;
}): { pickFolder(title: string): Promise<string | null>; pickFile(title: string, filters?: DialogFilter[]): Promise<string | null> } {
  const first = (result: { canceled: boolean; filePaths: string[] }) => (result.canceled ? null : (result.filePaths[0] ?? null));
  return {
    async pickFolder(title: string): Promise<string | null> {
      return first(await deps.showOpenDialog(deps.focusedWindow(), { title, properties: ['openDirectory', 'createDirectory'] }));
    },
    async pickFile(title: string, filters: DialogFilter[] = []): Promise<string | null> {
      const withAll = filters.some((f) => f.extensions.includes('*')) ? filters : [...filters, { name: 'All files', extensions: ['*'] }];
      return first(await deps.showOpenDialog(deps.focusedWindow(), { title, properties: ['openFile'], filters: withAll }));
    },
  };
}

/** The buttons of the "unsaved changes" question, in the order the dialog shows them. */
export const UNLOAD_BUTTONS = ['Leave without saving', 'Stay'] as const;

/**
 * The desktop window's answer to a page that refuses to unload (the study wizard with unsaved edits
 * sets `beforeunload`): Electron would otherwise silently keep the window open or not reload. The
 * listener asks with a native question box (`ask` returns the index of the chosen button) and lets
 * the reload or close go ahead (preventDefault on `will-prevent-unload`) only on "Leave without saving".
 */
export function createUnloadQuestion(
  ask: (options: {
    type: 'question';
    buttons: string[];
    defaultId: number;
    cancelId: number;
    title: string;
    message: string;
    detail: string;
  }) => number,
): (event: QuitEventLike) => void {
  return (event) => {
    const choice = ask({
      type: 'question',
      buttons: [...UNLOAD_BUTTONS],
      defaultId: 1,
      cancelId: 1,
      title: 'Unsaved changes',
      message: 'Leave without saving?',
      detail: 'The study wizard has changes that are not saved. They are lost if you leave now.',
    });
    if (choice === 0) event.preventDefault();
  };
}
