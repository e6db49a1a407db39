/**
 * The typed client the renderer uses, independent of the transport. A transport moves an
 * `RpcResponse` envelope; the client validates it and the output against the contract, so the
 * renderer only ever sees values of the declared types.
 */
import {
  contract,
  events,
  isEventName,
  type Channel,
  type ChannelInput,
  type ChannelOutput,
  type EventName,
  type EventPayload,
} from './contract';
import { ErrorPayload, RpcResponse, describeIssues, fieldIssues, type ErrorCode, type FieldIssue } from './errors';

export interface Transport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export class RpcError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[];
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'RpcError';
    this.code = payload.code;
    this.issues = payload.issues ?? [];
  }
}

export interface Client {
  call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createClient(transport: Transport): Client {
  return {
    async call(channel, input) {
      const raw = await transport.invoke(channel, input);
      const envelope = RpcResponse.safeParse(raw);
      if (!envelope.success) {
        throw new RpcError({
          code: 'INTERNAL',
          message: `Malformed response on ${channel}: ${describeIssues(fieldIssues(envelope.error))}`,
        });
      }
      if (!envelope.data.ok) throw new RpcError(envelope.data.error);
      const output = contract[channel].output.safeParse(envelope.data.value);
      if (!output.success) {
        throw new RpcError({
          code: 'INTERNAL',
          message: `Unexpected output from ${channel}: ${describeIssues(fieldIssues(output.error))}`,
        });
      }
      return output.data as ChannelOutput<typeof channel>;
    },
    on(event, listener) {
      return transport.subscribe((name, payload) => {
        if (name !== event || !isEventName(name)) return;
        const parsed = events[event].safeParse(payload);
        if (parsed.success) listener(parsed.data as EventPayload<typeof event>);
      });
    },
  };
}
