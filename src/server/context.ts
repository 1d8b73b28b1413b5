/**
 * The `ctx` a tool, resource or prompt handler receives. One small object per request whose methods live on the
 * prototype; everything era-specific is decided here so that handlers are written once for both eras.
 */

import { type JsonObject, McpError, type RequestId, RpcCode } from '../protocol/jsonrpc.js';
import type { ProtocolVersion } from '../protocol/versions.js';
import type { RequestContext, RequestFrame } from '../session/session.js';
import { copyState, duplicateKey, InputRound, invalidKey, type RequestStateCodec } from './input-required.js';
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

/** Options of one client-input request (ctx.elicit, ctx.createMessage, ctx.listRoots). */
export interface InputOptions {
  /**
   * The key that names this request in the modern era's `inputRequests` and its answer in `inputResponses` (and in
   * `ctx.inputResponses`). Default: `<kind>-<n>` (`elicit-0`, `sampling-1`, `roots-2`), by the position of the unnamed
   * call in the handler run. Each key may be used once per handler run: a second use rejects with -32603, and in the
   * modern era fails the whole request with it (caught or not).
   * Legacy era: the request is a real server→client request and the key only names the answer in `ctx.inputResponses`.
   */
  key?: string;
}

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
  elicit(params: ElicitParams, options?: InputOptions): Promise<ElicitResult>;
  /** Asks the client's model (legacy: sampling/createMessage; modern: an input_required round). */
  createMessage(params: CreateMessageParams, options?: InputOptions): Promise<CreateMessageResult>;
  /** The client's roots (legacy: roots/list; modern: an input_required round). */
  listRoots(options?: InputOptions): Promise<ListRootsResult>;
  /**
   * The client's answers this handler run has, by key (see InputOptions.key). Modern: the answers of the earlier rounds
   * (carried in the signed requestState) and of this retry to the questions last asked; answers the client sends
   * without having been asked are not included. Legacy: the answers received so far in this run. Untrusted input.
   */
  readonly inputResponses: Readonly<Record<string, JsonObject>>;
  /**
   * The handler's own state: the value given to setRequestState in this run, else the one it set in the round before
   * (modern era: carried in the HMAC-signed requestState, so it is exactly what the handler wrote — a tampered state
   * is rejected with -32602 before the handler runs). Undefined on a first leg. The type parameter is a cast.
   */
  requestState<T = unknown>(): T | undefined;
  /**
   * Sets the state requestState() returns, and that the modern era's input_required result carries to the next round
   * (signed, not encrypted: the client can read it). Must be JSON-serializable; it is copied. Undefined clears it.
   */
  setRequestState(state: unknown): void;
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
  #handlerState: unknown;
  /** Legacy era: the keys used, the next default key's number and the answers, by key. */
  #legacy: { used: Set<string>; count: number; answers: Record<string, JsonObject> } | undefined;

  /** Throws -32602 when `inputSpec.params` carries a requestState this server did not issue (or that expired). */
  constructor(session: ServerSession, state: SessionState, rpc: RequestContext, era: Era, inputSpec?: InputSpec) {
    this.session = session;
    this.#state = state;
    this.#rpc = rpc;
    this.era = era;
    this.#inputSpec = inputSpec;
    // A retry is verified before the handler runs; a first leg builds its InputRound only if the handler asks.
    if (inputSpec !== undefined && inputSpec.params.requestState !== undefined)
      this.#handlerState = this.#round()?.state;
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

  /** @internal The request's frame text and params, when its session keeps frames (a server with a workerPool). */
  get frame(): RequestFrame | undefined {
    return this.#rpc.frame;
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

  elicit(params: ElicitParams, options?: InputOptions): Promise<ElicitResult> {
    if (this.era === 'legacy') {
      return this.#legacyAsk('elicit', 'elicitation/create', options, () =>
        this.session.elicit(params, { signal: this.signal, relatedRequestId: this.requestId }),
      ) as Promise<ElicitResult>;
    }
    return this.#ask('elicit', 'elicitation/create', params, options) as Promise<ElicitResult>;
  }

  createMessage(params: CreateMessageParams, options?: InputOptions): Promise<CreateMessageResult> {
    if (this.era === 'legacy') {
      return this.#legacyAsk('sampling', 'sampling/createMessage', options, () =>
        this.session.createMessage(params, { signal: this.signal, relatedRequestId: this.requestId }),
      ) as Promise<CreateMessageResult>;
    }
    return this.#ask('sampling', 'sampling/createMessage', params, options) as Promise<CreateMessageResult>;
  }

  listRoots(options?: InputOptions): Promise<ListRootsResult> {
    if (this.era === 'legacy') {
      return this.#legacyAsk('roots', 'roots/list', options, () =>
        this.session.listRoots({ signal: this.signal, relatedRequestId: this.requestId }),
      ) as Promise<unknown> as Promise<ListRootsResult>;
    }
    return this.#ask('roots', 'roots/list', undefined, options) as Promise<unknown> as Promise<ListRootsResult>;
  }

  get inputResponses(): Readonly<Record<string, JsonObject>> {
    if (this.era === 'legacy') return this.#legacy?.answers ?? {};
    return this.#input?.responses ?? {};
  }

  requestState<T = unknown>(): T | undefined {
    return this.#handlerState as T | undefined;
  }

  setRequestState(state: unknown): void {
    this.#handlerState = copyState(state);
  }

  /** Legacy era: a real server→client request; the key only checks uniqueness and names the answer. */
  #legacyAsk(
    kind: 'elicit' | 'sampling' | 'roots',
    method: string,
    options: InputOptions | undefined,
    send: () => Promise<object>,
  ): Promise<JsonObject> {
    const bad = invalidKey(method, options?.key);
    if (bad) return Promise.reject(bad);
    this.#legacy ??= { used: new Set(), count: 0, answers: {} };
    const legacy = this.#legacy;
    const key = options?.key ?? `${kind}-${legacy.count++}`;
    if (legacy.used.has(key)) return Promise.reject(duplicateKey(method, key));
    legacy.used.add(key);
    return send().then((answer) => {
      legacy.answers[key] = answer as JsonObject;
      return answer as JsonObject;
    });
  }

  #ask(
    kind: 'elicit' | 'sampling' | 'roots',
    method: string,
    params: JsonObject | undefined,
    options: InputOptions | undefined,
  ): Promise<JsonObject> {
    const bad = invalidKey(method, options?.key);
    if (bad) return Promise.reject(bad);
    const round = this.#round();
    if (!round) {
      return Promise.reject(
        new McpError(
          RpcCode.INTERNAL_ERROR,
          `${method}: in the modern era, client input can only be requested from tools/call, prompts/get and resources/read`,
        ),
      );
    }
    return round.ask(kind, method, params, options?.key);
  }
}
