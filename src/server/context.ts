/**
 * The `ctx` a tool, resource or prompt handler receives. One small object per request whose methods live on the
 * prototype; everything era-specific is decided here so that handlers are written once for both eras.
 */

import { type JsonObject, McpError, type RequestId, RpcCode } from '../protocol/jsonrpc.js';
import type { ProtocolVersion } from '../protocol/versions.js';
import type { RequestContext } from '../session/session.js';
import { InputRound, type RequestStateCodec } from './input-required.js';
import { isLoggingLevel, levelAllows, type ServerSession, type SessionState } from './server-session.js';
import type {
  ClientCapabilities,
  CreateMessageParams,
  CreateMessageResult,
  ElicitParams,
  ElicitResult,
  Era,
  Implementation,
  ListRootsResult,
  LoggingLevel,
} from './types.js';
import { isObject, META } from './wire.js';

export interface ServerContext {
  /** Aborted when the client cancels, the request times out, or the connection closes. */
  readonly signal: AbortSignal;
  readonly requestId: RequestId;
  /** The request's `params._meta`. */
  readonly meta: JsonObject | undefined;
  readonly era: Era;
  /** Legacy: negotiated at initialize. Modern: named by this request. */
  readonly protocolVersion: ProtocolVersion;
  readonly session: ServerSession;
  /** Legacy: declared at initialize. Modern: declared by this request. */
  readonly clientCapabilities: ClientCapabilities | undefined;
  readonly clientInfo: Implementation | undefined;
  /** notifications/progress for this request (a no-op without a progressToken). */
  progress(progress: number, total?: number, message?: string): void;
  /**
   * notifications/message tied to this request. Legacy: filtered by the session's logging/setLevel. Modern: sent only
   * when the request's `_meta` carries a log level, filtered by it.
   */
  log(level: LoggingLevel, data: unknown, logger?: string): void;
  /** Asks the user (legacy: elicitation/create to the client; modern: an input_required round). */
  elicit(params: ElicitParams): Promise<ElicitResult>;
  /** Asks the client's model (legacy: sampling/createMessage; modern: an input_required round). */
  createMessage(params: CreateMessageParams): Promise<CreateMessageResult>;
  /** The client's roots (legacy: roots/list; modern: an input_required round). */
  listRoots(): Promise<ListRootsResult>;
}

/** Modern era, methods that allow input_required: how to build the request's InputRound. */
export interface InputSpec {
  readonly codec: RequestStateCodec;
  readonly binding: string;
  readonly params: JsonObject;
}

export class HandlerContext implements ServerContext {
  readonly session: ServerSession;
  readonly era: Era;
  readonly #state: SessionState;
  readonly #rpc: RequestContext;
  readonly #inputSpec: InputSpec | undefined;
  #input: InputRound | undefined;

  /** Throws -32602 when `inputSpec.params` carries a requestState this server did not issue (or that expired). */
  constructor(session: ServerSession, state: SessionState, rpc: RequestContext, era: Era, inputSpec?: InputSpec) {
    this.session = session;
    this.#state = state;
    this.#rpc = rpc;
    this.era = era;
    this.#inputSpec = inputSpec;
    // A retry is verified before the handler runs; a first leg builds its InputRound only if the handler asks.
    if (inputSpec !== undefined && inputSpec.params.requestState !== undefined) this.#round();
  }

  /** The request's input rounds, if the handler asked for input (or the request is a retry). */
  get inputRound(): InputRound | undefined {
    return this.#input;
  }

  #round(): InputRound | undefined {
    const spec = this.#inputSpec;
    if (spec === undefined) return undefined;
    this.#input ??= new InputRound(spec.codec, spec.binding, spec.params, this.clientCapabilities);
    return this.#input;
  }

  get signal(): AbortSignal {
    return this.#rpc.signal;
  }

  get requestId(): RequestId {
    return this.#rpc.id;
  }

  get meta(): JsonObject | undefined {
    return this.#rpc.meta;
  }

  get protocolVersion(): ProtocolVersion {
    if (this.era === 'modern') return this.#rpc.meta?.[META.PROTOCOL_VERSION] as ProtocolVersion;
    return this.#state.protocolVersion as ProtocolVersion;
  }

  get clientCapabilities(): ClientCapabilities | undefined {
    if (this.era === 'modern') return this.#rpc.meta?.[META.CLIENT_CAPABILITIES] as ClientCapabilities | undefined;
    return this.#state.clientCapabilities;
  }

  get clientInfo(): Implementation | undefined {
    if (this.era === 'modern') {
      const info = this.#rpc.meta?.[META.CLIENT_INFO];
      return isObject(info) ? (info as unknown as Implementation) : undefined;
    }
    return this.#state.clientInfo;
  }

  progress(progress: number, total?: number, message?: string): void {
    this.#rpc.progress(progress, total, message);
  }

  log(level: LoggingLevel, data: unknown, logger?: string): void {
    if (this.era === 'legacy') {
      this.session.log(level, data, logger, this.requestId);
      return;
    }
    const threshold = this.#rpc.meta?.[META.LOG_LEVEL];
    if (!isLoggingLevel(threshold) || !levelAllows(threshold, level) || this.#rpc.signal.aborted) return;
    this.session.notify(
      'notifications/message',
      logger === undefined ? { level, data } : { level, logger, data },
      this.requestId,
    );
  }

  elicit(params: ElicitParams): Promise<ElicitResult> {
    if (this.era === 'legacy')
      return this.session.elicit(params, { signal: this.signal, relatedRequestId: this.requestId });
    return this.#ask('elicit', 'elicitation/create', params) as Promise<ElicitResult>;
  }

  createMessage(params: CreateMessageParams): Promise<CreateMessageResult> {
    if (this.era === 'legacy')
      return this.session.createMessage(params, { signal: this.signal, relatedRequestId: this.requestId });
    return this.#ask('sampling', 'sampling/createMessage', params) as Promise<CreateMessageResult>;
  }

  listRoots(): Promise<ListRootsResult> {
    if (this.era === 'legacy') return this.session.listRoots({ signal: this.signal, relatedRequestId: this.requestId });
    return this.#ask('roots', 'roots/list', undefined) as Promise<unknown> as Promise<ListRootsResult>;
  }

  #ask(kind: 'elicit' | 'sampling' | 'roots', method: string, params: JsonObject | undefined): Promise<JsonObject> {
    const round = this.#round();
    if (!round) {
      return Promise.reject(
        new McpError(
          RpcCode.INTERNAL_ERROR,
          `${method}: in the modern era, client input can only be requested from tools/call, prompts/get and resources/read`,
        ),
      );
    }
    return round.ask(kind, method, params);
  }
}
