/**
 * What the feature registries (tools, resources, prompts) need from their McpServer, as an interface so that each
 * registry stays a separate module without importing the server class.
 */

import type { JsonObject } from '../protocol/jsonrpc.js';
import type { RequestContext } from '../session/session.js';
import { HandlerContext } from './context.js';
import type { ModernEncoder } from './encode.js';
import { InputRequiredSignal, type RequestStateCodec } from './input-required.js';
import type { ServerSession, SessionState } from './server-session.js';
import type { TaskManager } from './tasks.js';
import type { Era } from './types.js';

export type ListKind = 'tools' | 'resources' | 'prompts';

export interface ServerCore {
  readonly pageSize: number;
  readonly encoder: ModernEncoder;
  readonly stateCodec: RequestStateCodec;
  /** Tasks (tools declaring execution.taskSupport; docs/mcp-eras.md §7). */
  readonly tasks: TaskManager;
  /** Drops the kind's cached list and tells the sessions that listen for it (coalesced per event-loop turn). */
  listChanged(kind: ListKind): void;
}

/** The per-request inputs of a handler call, as the gate hands them to a registry. */
export interface Call {
  readonly session: ServerSession;
  readonly state: SessionState;
  readonly params: JsonObject;
  readonly rpc: RequestContext;
  readonly era: Era;
}

/**
 * The ctx of a handler call. In the modern era, for methods that allow input_required, `binding` names what a
 * requestState is bound to; a requestState in the params is verified here, before the handler runs (-32602 if bad).
 */
export function contextFor(core: ServerCore, call: Call, binding?: string): HandlerContext {
  return new HandlerContext(
    call.session,
    call.state,
    call.rpc,
    call.era,
    binding === undefined || call.era === 'legacy'
      ? undefined
      : { codec: core.stateCodec, binding, params: call.params },
  );
}

/**
 * The modern-era outcome of a handler run that asked for client input: an input_required result, or the JSON-RPC
 * error of an input that cannot be requested (-32021). Undefined when the run asked for nothing.
 */
export function pendingInput(core: ServerCore, ctx: HandlerContext, err?: unknown): JsonObject | undefined {
  const input = ctx.inputRound;
  if (input === undefined) return undefined;
  if (input.fatal) throw input.fatal;
  if (input.pending || err instanceof InputRequiredSignal)
    return core.encoder.inputRequired(input.result(ctx.requestState()));
  return undefined;
}

/**
 * Runs a non-tool handler (resources/read, prompts/get) of either era: errors propagate as JSON-RPC errors; in the
 * modern era, pending input becomes input_required and a complete result is stamped.
 */
export function runHandler(
  core: ServerCore,
  method: string,
  ctx: HandlerContext,
  run: () => unknown,
  check?: (result: unknown) => void,
): unknown {
  const finish = (result: unknown) => {
    if (ctx.era === 'legacy') {
      check?.(result);
      return result;
    }
    const input = pendingInput(core, ctx);
    if (input) return input;
    check?.(result);
    return core.encoder.complete(method, result);
  };
  const fail = (err: unknown): never => {
    if (ctx.era === 'modern') {
      const input = pendingInput(core, ctx, err);
      if (input) return input as never;
    }
    throw err;
  };
  let result: unknown;
  try {
    result = run();
  } catch (err) {
    return fail(err);
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(result).then(finish, fail);
  }
  return finish(result);
}
