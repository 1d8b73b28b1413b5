/**
 * The client's answers to what a server asks of it — sampling, elicitation, roots — in both eras: as JSON-RPC request
 * handlers in the legacy era (server → client requests), and as the fulfilment of `input_required` entries in the
 * modern era. One dispatcher serves both, so the callbacks see the same params either way.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import type { JsonRpcSession } from '../session/session.js';
import type {
  CreateMessageParams,
  ElicitationHandler,
  ElicitParams,
  ProtocolEra,
  Root,
  SamplingHandler,
  ServerRequestContext,
} from './types.js';

/** The methods a server may ask a client to run. */
export const SERVER_REQUEST_METHODS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;
export type ServerRequestMethod = (typeof SERVER_REQUEST_METHODS)[number];

export class ClientCallbacks {
  readonly #onSampling: SamplingHandler | undefined;
  readonly #onElicitation: ElicitationHandler | undefined;
  #roots: Root[] | undefined;

  constructor(options: { onSampling?: SamplingHandler; onElicitation?: ElicitationHandler; roots?: Root[] }) {
    this.#onSampling = options.onSampling;
    this.#onElicitation = options.onElicitation;
    this.#roots = options.roots ? [...options.roots] : undefined;
  }

  get roots(): readonly Root[] | undefined {
    return this.#roots;
  }

  set roots(roots: Root[]) {
    this.#roots = [...roots];
  }

  /** The capabilities these callbacks let the client advertise (merged under the user's `capabilities`). */
  capabilities(extra: JsonObject | undefined): JsonObject {
    const caps: JsonObject = {};
    if (this.#onSampling) caps.sampling = {};
    if (this.#onElicitation) caps.elicitation = {};
    if (this.#roots) caps.roots = { listChanged: true };
    return { ...caps, ...extra };
  }

  /** Whether a callback answers `method`. */
  handles(method: string): boolean {
    if (method === 'sampling/createMessage') return this.#onSampling !== undefined;
    if (method === 'elicitation/create') return this.#onElicitation !== undefined;
    if (method === 'roots/list') return this.#roots !== undefined;
    return false;
  }

  /**
   * Runs the callback for `method`. Throws McpError -32601 when no callback answers it (the legacy era's answer; the
   * modern driver checks `handles()` first to fail with its own error).
   */
  async dispatch(method: string, params: JsonObject, signal: AbortSignal, era: ProtocolEra): Promise<JsonObject> {
    const ctx: ServerRequestContext = { signal, era };
    if (method === 'sampling/createMessage' && this.#onSampling) {
      return checkObject(method, await this.#onSampling(params as CreateMessageParams, ctx));
    }
    if (method === 'elicitation/create' && this.#onElicitation) {
      return checkObject(method, await this.#onElicitation(params as ElicitParams, ctx));
    }
    if (method === 'roots/list' && this.#roots) {
      return { roots: this.#roots };
    }
    throw new McpError(RpcCode.METHOD_NOT_FOUND, `Method not found: ${method} (the client has no callback for it)`);
  }

  /**
   * Legacy era: answer the server's requests on the session. Only the methods with a callback are registered, so
   * the others get -32601 from the session.
   */
  install(session: JsonRpcSession): void {
    for (const method of SERVER_REQUEST_METHODS) {
      if (this.handles(method)) {
        session.requestHandlers.set(method, (params, ctx) => this.dispatch(method, params, ctx.signal, 'legacy'));
      } else {
        session.requestHandlers.delete(method);
      }
    }
  }
}

function checkObject(method: string, value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `the ${method} callback must return an object`, { method });
  }
  return value as JsonObject;
}
