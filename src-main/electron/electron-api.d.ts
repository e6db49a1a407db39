/**
 * The subset of Electron 40's API that src-main/electron uses, declared locally because the
 * `electron` package (an optionalDependency whose installer downloads the binary) is not installed
 * everywhere this project is type-checked. Every signature below is copied in shape from the
 * official `electron.d.ts` of electron@40.8.5 (members we do not use are omitted, never changed).
 * Where the real package is installed, test/unit/electron/electron-types.test.ts type-checks
 * src-main/electron against the real declarations instead of these.
 *
 * Only code in src-main/electron may import 'electron'.
 */
declare module 'electron' {
  import type { EventEmitter } from 'node:events';

  // ---------------------------------------------------------------- shared structures

  export type Event<Params extends object = {}> = {
    preventDefault: () => void;
    readonly defaultPrevented: boolean;
  } & Params;

  export interface Privileges {
    standard?: boolean;
    secure?: boolean;
    bypassCSP?: boolean;
    allowServiceWorkers?: boolean;
    supportFetchAPI?: boolean;
    corsEnabled?: boolean;
    stream?: boolean;
    codeCache?: boolean;
  }

  export interface CustomScheme {
    privileges?: Privileges;
    scheme: string;
  }

  export interface WebPreferences {
    allowRunningInsecureContent?: boolean;
    contextIsolation?: boolean;
    devTools?: boolean;
    disableBlinkFeatures?: string;
    enableBlinkFeatures?: string;
    experimentalFeatures?: boolean;
    navigateOnDragDrop?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInSubFrames?: boolean;
    nodeIntegrationInWorker?: boolean;
    plugins?: boolean;
    preload?: string;
    safeDialogs?: boolean;
    sandbox?: boolean;
    spellcheck?: boolean;
    webSecurity?: boolean;
    webviewTag?: boolean;
  }

  export interface BaseWindowConstructorOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    show?: boolean;
    title?: string;
    icon?: string;
    backgroundColor?: string;
  }

  export interface BrowserWindowConstructorOptions extends BaseWindowConstructorOptions {
    webPreferences?: WebPreferences;
  }

  export interface WebContentsWillNavigateEventParams {
    url: string;
    isSameDocument: boolean;
    isMainFrame: boolean;
    frame: WebFrameMain | null;
    initiator?: WebFrameMain | null;
  }
  export interface WebContentsWillRedirectEventParams {
    url: string;
    isSameDocument: boolean;
    isMainFrame: boolean;
    frame: WebFrameMain | null;
    initiator?: WebFrameMain | null;
  }
  export interface WebContentsWillFrameNavigateEventParams {
    url: string;
    isSameDocument: boolean;
    isMainFrame: boolean;
    frame: WebFrameMain | null;
    initiator?: WebFrameMain | null;
  }

  export interface HandlerDetails {
    url: string;
    frameName: string;
    features: string;
    disposition: 'default' | 'foreground-tab' | 'background-tab' | 'new-window' | 'other';
  }

  export interface WindowOpenHandlerResponse {
    action: 'allow' | 'deny';
    outlivesOpener?: boolean;
    overrideBrowserWindowOptions?: BrowserWindowConstructorOptions;
  }

  export interface RenderProcessGoneDetails {
    reason: 'clean-exit' | 'abnormal-exit' | 'killed' | 'crashed' | 'oom' | 'launch-failed' | 'integrity-failure' | 'memory-eviction';
    exitCode: number;
  }

  export interface OpenDialogOptions {
    title?: string;
    defaultPath?: string;
    buttonLabel?: string;
    properties?: Array<
      | 'openFile'
      | 'openDirectory'
      | 'multiSelections'
      | 'showHiddenFiles'
      | 'createDirectory'
      | 'promptToCreate'
      | 'noResolveAliases'
      | 'treatPackageAsDirectory'
      | 'dontAddToRecent'
    >;
    filters?: Array<{ name: string; extensions: string[] }>;
    message?: string;
  }

  export interface OpenDialogReturnValue {
    canceled: boolean;
    filePaths: string[];
    bookmarks?: string[];
  }

  export interface OpenExternalOptions {
    activate?: boolean;
    workingDirectory?: string;
    logUsage?: boolean;
  }

  // Electron declares `Env` as an empty interface (any string-keyed object is accepted).
  export interface Env {}

  export interface ForkOptions {
    env?: Env;
    execArgv?: string[];
    cwd?: string;
    stdio?: Array<'pipe' | 'ignore' | 'inherit'> | string;
    serviceName?: string;
    allowLoadingUnsignedLibraries?: boolean;
    respondToAuthRequestsFromMainProcess?: boolean;
  }

  // ---------------------------------------------------------------- frames, contents, windows

  export class WebFrameMain extends EventEmitter {
    isDestroyed(): boolean;
    send(channel: string, ...args: any[]): void;
    readonly detached: boolean;
    readonly frameToken: string;
    readonly frameTreeNodeId: number;
    readonly name: string;
    readonly origin: string;
    readonly parent: WebFrameMain | null;
    readonly processId: number;
    readonly routingId: number;
    readonly top: WebFrameMain | null;
    readonly url: string;
  }

  export class Session extends EventEmitter {
    static defaultSession: Session;
    setPermissionRequestHandler(
      handler:
        ((webContents: WebContents, permission: string, callback: (permissionGranted: boolean) => void, details: unknown) => void) | null,
    ): void;
    setPermissionCheckHandler(
      handler: ((webContents: WebContents | null, permission: string, requestingOrigin: string, details: unknown) => boolean) | null,
    ): void;
    setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void;
  }

  export class WebContents extends EventEmitter {
    on(
      event: 'will-navigate',
      listener: (
        details: Event<WebContentsWillNavigateEventParams>,
        url: string,
        isInPlace: boolean,
        isMainFrame: boolean,
        frameProcessId: number,
        frameRoutingId: number,
      ) => void,
    ): this;
    on(
      event: 'will-redirect',
      listener: (
        details: Event<WebContentsWillRedirectEventParams>,
        url: string,
        isInPlace: boolean,
        isMainFrame: boolean,
        frameProcessId: number,
        frameRoutingId: number,
      ) => void,
    ): this;
    on(event: 'will-frame-navigate', listener: (details: Event<WebContentsWillFrameNavigateEventParams>) => void): this;
    on(
      event: 'will-attach-webview',
      listener: (event: Event, webPreferences: WebPreferences, params: Record<string, string>) => void,
    ): this;
    on(event: 'render-process-gone', listener: (event: Event, details: RenderProcessGoneDetails) => void): this;
    on(event: 'will-prevent-unload', listener: (event: Event) => void): this;
    on(
      event: 'did-fail-load',
      listener: (
        event: Event,
        errorCode: number,
        errorDescription: string,
        validatedURL: string,
        isMainFrame: boolean,
        frameProcessId: number,
        frameRoutingId: number,
      ) => void,
    ): this;
    getURL(): string;
    isDestroyed(): boolean;
    loadURL(url: string): Promise<void>;
    send(channel: string, ...args: any[]): void;
    setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
    readonly id: number;
    readonly mainFrame: WebFrameMain;
    readonly session: Session;
  }

  export class BrowserWindow extends EventEmitter {
    constructor(options?: BrowserWindowConstructorOptions);
    static getAllWindows(): BrowserWindow[];
    static getFocusedWindow(): BrowserWindow | null;
    on(event: 'ready-to-show', listener: () => void): this;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'closed', listener: () => void): this;
    focus(): void;
    isDestroyed(): boolean;
    isMinimized(): boolean;
    isVisible(): boolean;
    loadURL(url: string): Promise<void>;
    restore(): void;
    show(): void;
    readonly webContents: WebContents;
  }

  // ---------------------------------------------------------------- main-process modules

  export interface App extends EventEmitter {
    on(event: 'activate', listener: (event: Event, hasVisibleWindows: boolean) => void): this;
    on(event: 'before-quit', listener: (event: Event) => void): this;
    on(event: 'second-instance', listener: (event: Event, argv: string[], workingDirectory: string, additionalData: unknown) => void): this;
    on(event: 'web-contents-created', listener: (event: Event, webContents: WebContents) => void): this;
    on(event: 'window-all-closed', listener: () => void): this;
    enableSandbox(): void;
    exit(exitCode?: number): void;
    getPath(
      name:
        | 'home'
        | 'appData'
        | 'assets'
        | 'userData'
        | 'sessionData'
        | 'temp'
        | 'exe'
        | 'module'
        | 'desktop'
        | 'documents'
        | 'downloads'
        | 'music'
        | 'pictures'
        | 'videos'
        | 'recent'
        | 'logs'
        | 'crashDumps',
    ): string;
    getVersion(): string;
    quit(): void;
    requestSingleInstanceLock(additionalData?: Record<any, any>): boolean;
    setAppUserModelId(id: string): void;
    setPath(name: string, path: string): void;
    whenReady(): Promise<void>;
    readonly isPackaged: boolean;
  }

  export interface IpcMainInvokeEvent extends Event {
    frameId: number;
    processId: number;
    sender: WebContents;
    readonly senderFrame: WebFrameMain | null;
    type: 'frame';
  }

  export interface IpcMain extends EventEmitter {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<any> | any): void;
    removeHandler(channel: string): void;
  }

  export interface Protocol {
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
    registerSchemesAsPrivileged(customSchemes: CustomScheme[]): void;
  }

  export interface Dialog {
    showErrorBox(title: string, content: string): void;
    showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
    showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
    showMessageBoxSync(window: BrowserWindow, options: MessageBoxSyncOptions): number;
  }

  export interface MessageBoxSyncOptions {
    type?: 'none' | 'info' | 'error' | 'question' | 'warning';
    buttons?: string[];
    defaultId?: number;
    cancelId?: number;
    title?: string;
    message: string;
    detail?: string;
  }

  export interface Shell {
    openExternal(url: string, options?: OpenExternalOptions): Promise<void>;
    openPath(path: string): Promise<string>;
  }

  export class UtilityProcess extends EventEmitter {
    static fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcess;
    on(event: 'error', listener: (type: 'FatalError', location: string, report: string) => void): this;
    on(event: 'exit', listener: (code: number) => void): this;
    on(event: 'message', listener: (message: any) => void): this;
    on(event: 'spawn', listener: () => void): this;
    kill(): boolean;
    postMessage(message: any): void;
    pid: number | undefined;
    stderr: NodeJS.ReadableStream | null;
    stdout: NodeJS.ReadableStream | null;
  }

  // ---------------------------------------------------------------- renderer / preload modules

  export interface IpcRendererEvent extends Event {
    sender: IpcRenderer;
  }

  export interface IpcRenderer extends EventEmitter {
    invoke(channel: string, ...args: any[]): Promise<any>;
    on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  }

  export interface ContextBridge {
    exposeInMainWorld(apiKey: string, api: any): void;
  }

  // ---------------------------------------------------------------- the module's exports

  export const app: App;
  export const contextBridge: ContextBridge;
  export const dialog: Dialog;
  export const ipcMain: IpcMain;
  export const ipcRenderer: IpcRenderer;
  export const protocol: Protocol;
  export const session: typeof Session;
  export const shell: Shell;
  export const utilityProcess: typeof UtilityProcess;
}
