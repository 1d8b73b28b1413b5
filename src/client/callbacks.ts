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
  ElicitationMode,
  ElicitParams,
  ProtocolEra,
  Root,
  SamplingHandler,
  ServerRequestContext,
} from './types.js';

/** The methods a server may ask a client to run. */
export const SERVER_REQUEST_METHODS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;
export type ServerRequestMethod = (typeof SERVER_REQUEST_METHODS)[number];

export interface ClientCallbackOptions {
  onSampling?: SamplingHandler;
  onElicitation?: ElicitationHandler;
  roots?: Root[];
  /** The elicitation modes to declare (default `['form']`, advertised as a bare `elicitation: {}`). */
  elicitationModes?: readonly ElicitationMode[];
  /** Declare `sampling.tools` (default false). */
  samplingTools?: boolean;
  /** The user's `capabilities` option, merged shallowly over the derived ones. */
  capabilities?: JsonObject;
}

export class ClientCallbacks {
  readonly #onSampling: SamplingHandler | undefined;
  readonly #onElicitation: ElicitationHandler | undefined;
  readonly #elicitationModes: readonly ElicitationMode[];
  readonly #samplingTools: boolean;
  readonly #extra: JsonObject | undefined;
  #roots: Root[] | undefined;

  constructor(options: ClientCallbackOptions) {
    this.#onSampling = options.onSampling;
    this.#onElicitation = options.onElicitation;
    this.#elicitationModes = [...new Set<ElicitationMode>(options.elicitationModes ?? ['form'])];
    this.#samplingTools = options.samplingTools ?? false;
    this.#extra = options.capabilities;
    this.#roots = options.roots ? [...options.roots] : undefined;
  }

  get roots(): readonly Root[] | undefined {
    return this.#roots;
  }

  set roots(roots: Root[]) {
    this.#roots = [...roots];
  }

  /**
   * The capabilities the client advertises: those derived from the callbacks (`sampling`, with `tools` when
   * `samplingTools`; `elicitation`, bare `{}` for form only or one member per mode of `elicitationModes`; `roots`),
   * with the user's `capabilities` merged shallowly over them.
   */
  capabilities(): JsonObject {
    const caps: JsonObject = {};
    if (this.#onSampling) caps.sampling = this.#samplingTools ? { tools: {} } : {};
    if (this.#onElicitation) {
      const modes = this.#elicitationModes;
      caps.elicitation = modes.length === 1 && modes[0] === 'form' ? {} : Object.fromEntries(modes.map((m) => [m, {}]));
    }
    if (this.#roots) caps.roots = { listChanged: true };
    return { ...caps, ...this.#extra };
  }

  /**
   * Why the client refuses `method` with `params` although a callback answers it: the request uses a feature the
   * client did not declare in the capabilities it advertised (an elicitation mode, tool-enabled sampling), which the
   * spec forbids servers to send. McpError -32602, or undefined when the request is within what was declared.
   */
  refusal(method: string, params: JsonObject): McpError | undefined {
    if (method === 'elicitation/create') {
      const declared = asObject(this.capabilities().elicitation);
      const mode = params.mode === undefined ? 'form' : params.mode;
      if (typeof mode !== 'string') {
        return new McpError(RpcCode.INVALID_PARAMS, 'elicitation/create: mode must be a string', { method, mode });
      }
      // A bare `elicitation: {}` (neither form nor url) declares form mode only.
      const ok =
        mode === 'form'
          ? Object.hasOwn(declared, 'form') || !Object.hasOwn(declared, 'url')
          : Object.hasOwn(declared, mode) && declared[mode] !== undefined;
      if (!ok) {
        return new McpError(
          RpcCode.INVALID_PARAMS,
          `elicitation/create: mode ${JSON.stringify(mode)} was not declared by this client (declare capabilities.elicitation.${mode}, e.g. with the elicitationModes option)`,
          { method, mode },
        );
      }
      return undefined;
    }
    if (method === 'sampling/createMessage' && (params.tools !== undefined || params.toolChoice !== undefined)) {
      const sampling = asObject(this.capabilities().sampling);
      if (!Object.hasOwn(sampling, 'tools') || sampling.tools === undefined) {
        const fields = ['tools', 'toolChoice'].filter((k) => params[k] !== undefined);
        return new McpError(
          RpcCode.INVALID_PARAMS,
          `sampling/createMessage: tool use (${fields.join(', ')}) was not declared by this client (declare capabilities.sampling.tools, e.g. with samplingTools: true)`,
          { method, fields },
        );
      }
    }
    return undefined;
  }

  /** Whether a callback answers `method`. */
  handles(method: string): boolean {
    if (method === 'sampling/createMessage') return this.#onSampling !== undefined;
    if (method === 'elicitation/create') return this.#onElicitation !== undefined;
    if (method === 'roots/list') return this.#roots !== undefined;
    return false;
  }

  /**
   * Runs the callback for `method`. Throws McpError -32601 when no callback answers it, and McpError -32602 (without
   * calling the callback) when the request uses a feature the client did not declare (`refusal()`) — the legacy
   * era's answers; the modern driver checks `handles()` and `refusal()` first to fail with its own error.
   */
  async dispatch(method: string, params: JsonObject, signal: AbortSignal, era: ProtocolEra): Promise<JsonObject> {
    const ctx: ServerRequestContext = { signal, era };
    if (this.handles(method)) {
      const refused = this.refusal(method, params);
      if (refused) throw refused;
    }
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

function asObject(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function checkObject(method: string, value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `the ${method} callback must return an object`, { method });
  }
  return value as JsonObject;
}
