/**
 * Transport-independent request handling: every inbound call (Electron IPC, HTTP bridge, tests)
 * goes through `dispatch`, which treats channel and payload as `unknown`, parses the payload with
 * the contract's schema and only then calls the service. Failures become a structured
 * `RpcResponse` error; nothing thrown escapes to the transport.
 */
import { contract, isChannel, type Channel, type ChannelOutput, type ParsedInput } from '../../src-shared/contract';
import { AppError, fieldIssues, describeIssues, type ErrorPayload, type RpcResponse } from '../../src-shared/errors';
import type { Logger } from '../services/log';

export interface CallContext {
  /** Which transport the call came through, for logs. */
  transport: 'ipc' | 'http' | 'test';
}

export type Handlers = {
  [C in Channel]: (input: ParsedInput<C>, ctx: CallContext) => Promise<ChannelOutput<C>>;
};

export type Dispatch = (channel: unknown, payload: unknown, ctx: CallContext) => Promise<RpcResponse>;

export function errorResponse(error: ErrorPayload): RpcResponse {
  return { ok: false, error };
}

export function createDispatcher(handlers: Handlers, log: Logger): Dispatch {
  return async (channel, payload, ctx) => {
    if (!isChannel(channel)) {
      const shown = typeof channel === 'string' ? JSON.stringify(channel.slice(0, 80)) : typeof channel;
      log.warn(`rejected call on unknown channel ${shown} via ${ctx.transport}`);
      return errorResponse({ code: 'UNKNOWN_CHANNEL', message: `Unknown channel ${shown}` });
    }
    const spec = contract[channel];
    const parsed = spec.input.safeParse(payload);
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error);
      log.warn(`rejected malformed payload on ${channel} via ${ctx.transport}: ${describeIssues(issues)}`);
      return errorResponse({ code: 'BAD_REQUEST', message: `Invalid input for ${channel}: ${describeIssues(issues)}`, issues });
    }
    try {
      const handler = handlers[channel] as (input: unknown, ctx: CallContext) => Promise<unknown>;
      const value = await handler(parsed.data, ctx);
      const checked = spec.output.safeParse(value);
      if (!checked.success) {
        log.error(`service for ${channel} returned an invalid output: ${describeIssues(fieldIssues(checked.error))}`);
        return errorResponse({ code: 'INTERNAL', message: `FundusLab produced an invalid answer for ${channel}; see the log.` });
      }
      return { ok: true, value: checked.data };
    } catch (error) {
      if (error instanceof AppError) {
        log.warn(`${channel} failed: ${error.code}: ${error.message}`);
        return errorResponse(error.toPayload());
      }
      log.error(`${channel} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return errorResponse({
        code: 'INTERNAL',
        message: `Unexpected error in ${channel}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };
}
