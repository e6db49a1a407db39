/**
 * The one contract between the renderer and the main side. Every call is declared here once, with
 * a zod schema for its input and output; every event (pushed from main) with a schema for its
 * payload. The Electron IPC adapter, the HTTP bridge and the typed renderer client are all built
 * from these tables; the main side parses every inbound payload as `unknown` with `input`.
 */
import { z } from 'zod';
import { EngineStatus, DoctorReport } from './engine';
import { FolderPath, StudyName, StudySummary } from './study';
import { RecentStudy, Settings, SettingsPatch } from './settings';
import { JobId, JobRequest, JobState } from './jobs';

const Empty = z.object({}).strict();

export const AppInfo = z.object({
  name: z.literal('FundusLab'),
  version: z.string(),
  /** `electron`: the desktop app; `browser`: the renderer served by the HTTP bridge. */
  host: z.enum(['electron', 'browser']),
  platform: z.string(),
  capabilities: z.object({
    /** A native folder picker is available (Electron only). */
    folderDialog: z.boolean(),
  }),
  /** Where the app keeps its own state (settings, app-level jobs). */
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const contract = {
  'app.info': { input: Empty, output: AppInfo },
  'engine.status': { input: Empty, output: EngineStatus },
  'engine.doctor': { input: Empty, output: DoctorReport },
  'settings.get': { input: Empty, output: Settings },
  'settings.update': { input: SettingsPatch, output: Settings },
  'study.create': { input: z.object({ path: FolderPath, name: StudyName }).strict(), output: StudySummary },
  'study.open': { input: z.object({ path: FolderPath }).strict(), output: StudySummary },
  'study.recent': { input: Empty, output: z.array(RecentStudy) },
  'dialog.pickFolder': {
    input: z.object({ title: z.string().max(200) }).strict(),
    output: z.object({ path: z.string().nullable() }),
  },
  'jobs.submit': { input: JobRequest, output: JobState },
  'jobs.list': { input: Empty, output: z.array(JobState) },
  'jobs.get': { input: JobId, output: JobState },
  'jobs.cancel': { input: JobId, output: JobState },
  'jobs.retry': { input: JobId, output: JobState },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export const events = {
  /** A job changed: status, progress or log. Sent for every job on every change (throttled). */
  'jobs.update': JobState,
  /** Settings changed (from another window, or the CLI). */
  'settings.changed': Settings,
} as const satisfies Record<string, z.ZodType>;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type ChannelInput<C extends Channel> = z.input<Contract[C]['input']>;
export type ParsedInput<C extends Channel> = z.output<Contract[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<Contract[C]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const CHANNELS = Object.keys(contract) as Channel[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(contract, value);
}
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value);
}

/** IPC channel names used by the Electron adapter (one for calls, one for events). */
export const IPC_INVOKE = 'funduslab:invoke';
export const IPC_EVENT = 'funduslab:event';
/** Name of the single object the preload exposes on `window`. */
export const PRELOAD_GLOBAL = 'funduslab';

/**
 * The single object the Electron preload exposes as `window.funduslab`. `invoke` resolves to an
 * `RpcResponse` envelope (never rejects for service errors); `subscribe` receives every contract
 * event and returns an unsubscribe function.
 */
export interface PreloadApi {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

/**
 * HTTP bridge protocol (browser mode), served on 127.0.0.1 only:
 *   POST /api/call/<channel>  body: JSON input; header `Authorization: Bearer <token>`;
 *                             answers 200 with an RpcResponse envelope (401/403/404/413/415 with an
 *                             error envelope for transport-level refusals).
 *   GET  /api/events?token=<token>   Server-Sent Events; `event: <name>`, `data: <json payload>`.
 * The token is handed to the page in the URL fragment (`#token=…`), which browsers never send to a server.
 */
export const BRIDGE_CALL_PREFIX = '/api/call/';
export const BRIDGE_EVENTS_PATH = '/api/events';
export const BRIDGE_TOKEN_FRAGMENT = 'token';
