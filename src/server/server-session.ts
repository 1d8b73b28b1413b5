/**
 * ServerSession: the server's side of one connection — its era and negotiated version, the client's capabilities and
 * info, its log level, its resource subscriptions (legacy) and listen streams (modern). Nothing here is shared between
 * sessions: two clients of one McpServer never see each other's subscriptions or log levels.
 */

import { randomUUID } from 'node:crypto';
import { type JsonObject, McpError, type RequestId, RpcCode } from '../protocol/jsonrpc.js';
import type { ProtocolVersion } from '../protocol/versions.js';
import type { JsonRpcSession, OutboundRequestOptions } from '../session/session.js';
import { missingCapability } from './input-required.js';
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
  SubscriptionFilter,
} from './types.js';
import { LOGGING_LEVELS } from './types.js';
import { McpCode } from './wire.js';

/**
 * Where a connection stands: `opening` (nothing negotiated yet), `probe` (a modern `server/discover` was answered, the
 * era is not chosen yet), `legacy` (initialize was answered) or `modern` (a valid enveloped request pinned it).
 */
export type SessionPhase = 'opening' | 'probe' | 'legacy' | 'modern';

/** One open `subscriptions/listen` stream (modern era). */
export interface Listen {
  readonly id: RequestId;
  readonly filter: SubscriptionFilter;
  /** Ends the stream gracefully (the listen request's result is sent). */
  end(): void;
}

/** Mutable per-connection state, managed by the server's handlers. */
export interface SessionState {
  phase: SessionPhase;
  protocolVersion: ProtocolVersion | undefined;
  clientInfo: Implementation | undefined;
  clientCapabilities: ClientCapabilities | undefined;
  /** notifications/initialized was received. */
  initialized: boolean;
  /** Legacy logging/setLevel; undefined sends every level. */
  logLevel: LoggingLevel | undefined;
  /** Legacy resources/subscribe. */
  readonly subscriptions: Set<string>;
  /** Modern subscriptions/listen streams by request id. */
  readonly listens: Map<RequestId, Listen>;
}

const SEVERITY = new Map<string, number>(LOGGING_LEVELS.map((level, i) => [level, i]));

/** Whether `level` passes a session whose threshold is `threshold` (undefined lets everything through). */
export function levelAllows(threshold: LoggingLevel | undefined, level: LoggingLevel): boolean {
  return threshold === undefined || (SEVERITY.get(level) ?? 0) >= (SEVERITY.get(threshold) ?? 0);
}

export function isLoggingLevel(value: unknown): value is LoggingLevel {
  return typeof value === 'string' && SEVERITY.has(value);
}

let stateAccess: (session: ServerSession) => SessionState;

/** The mutable state of a session (for the server's modules; not part of the public API). */
export function stateOf(session: ServerSession): SessionState {
  return stateAccess(session);
}

/**
 * The params of a legacy-era elicitation/create as sent: URL mode (2025-11-25) needs a `url` and carries an
 * `elicitationId` — the caller's, or a random UUID. Throws McpError -32602 for a URL-mode ask without a url.
 */
export function legacyElicitParams(params: JsonObject): JsonObject {
  if (params.mode !== 'url') return params;
  if (typeof params.url !== 'string' || params.url === '') {
    throw new McpError(RpcCode.INVALID_PARAMS, 'elicitation/create: mode "url" needs a "url" (a non-empty string)');
  }
  if (params.elicitationId === undefined) return { ...params, elicitationId: randomUUID() };
  if (typeof params.elicitationId !== 'string') {
    throw new McpError(RpcCode.INVALID_PARAMS, 'elicitation/create: "elicitationId" must be a string');
  }
  return params;
}

export class ServerSession {
  static {
    stateAccess = (session) => session.#state;
  }

  /** The JSON-RPC conversation underneath (for custom methods: `rpc.requestHandlers`, `rpc.notify`). */
  readonly rpc: JsonRpcSession;
  /** Called once notifications/initialized arrives (legacy era). */
  oninitialized: (() => void) | undefined;
  /**
   * Called when the client sends notifications/roots/list_changed (legacy era; call listRoots() for the new list).
   * McpServerOptions.onRootsListChanged is the server-wide form.
   */
  onrootslistchanged: (() => void) | undefined;
  /** Called once when the connection closes. */
  onclose: ((reason?: Error) => void) | undefined;

  readonly #state: SessionState = {
    phase: 'opening',
    protocolVersion: undefined,
    clientInfo: undefined,
    clientCapabilities: undefined,
    initialized: false,
    logLevel: undefined,
    subscriptions: new Set(),
    listens: new Map(),
  };

  constructor(rpc: JsonRpcSession) {
    this.rpc = rpc;
  }

  /** The era, once chosen: 'legacy' after initialize, 'modern' after the first enveloped request. */
  get era(): Era | undefined {
    const phase = this.#state.phase;
    return phase === 'legacy' || phase === 'modern' ? phase : undefined;
  }

  get phase(): SessionPhase {
    return this.#state.phase;
  }

  /** Legacy: the version negotiated at initialize. Modern: the version of the latest request. */
  get protocolVersion(): ProtocolVersion | undefined {
    return this.#state.protocolVersion;
  }

  /** Legacy: from initialize. Modern: from the latest request's `_meta` (handlers should use ctx.clientInfo). */
  get clientInfo(): Implementation | undefined {
    return this.#state.clientInfo;
  }

  /** Legacy: from initialize. Modern: from the latest request's `_meta` (handlers should use ctx.clientCapabilities). */
  get clientCapabilities(): ClientCapabilities | undefined {
    return this.#state.clientCapabilities;
  }

  /** notifications/initialized was received. */
  get initialized(): boolean {
    return this.#state.initialized;
  }

  get logLevel(): LoggingLevel | undefined {
    return this.#state.logLevel;
  }

  /** The resource URIs this session subscribed to (legacy resources/subscribe). */
  get subscriptions(): ReadonlySet<string> {
    return this.#state.subscriptions;
  }

  /** The open subscriptions/listen streams (modern), by request id. */
  get listens(): ReadonlyMap<RequestId, { readonly filter: SubscriptionFilter }> {
    return this.#state.listens;
  }

  get closed(): boolean {
    return this.rpc.closed;
  }

  /** Sends a notification on this connection. Returns false when it could not be sent. */
  notify(method: string, params?: JsonObject, relatedRequestId?: RequestId): boolean {
    return this.rpc.notify(method, params, relatedRequestId);
  }

  /**
   * Sends notifications/message when the session's level allows it (legacy era; the modern era has no unsolicited
   * log channel: use ctx.log inside a handler). Returns whether it was sent.
   */
  log(level: LoggingLevel, data: unknown, logger?: string, relatedRequestId?: RequestId): boolean {
    const s = this.#state;
    if (s.phase !== 'legacy' || !levelAllows(s.logLevel, level)) return false;
    return this.rpc.notify(
      'notifications/message',
      logger === undefined ? { level, data } : { level, logger, data },
      relatedRequestId,
    );
  }

  /**
   * Sends a request to the client (legacy era only: the modern era has no server→client requests — a handler's
   * ctx.elicit / ctx.createMessage / ctx.listRoots become input_required results there).
   */
  request(method: string, params?: JsonObject, options?: OutboundRequestOptions): Promise<JsonObject> {
    if (this.#state.phase !== 'legacy') {
      return Promise.reject(
        new McpError(
          RpcCode.METHOD_NOT_FOUND,
          `${method}: server→client requests exist only in the legacy era (this session is ${this.#state.phase})`,
        ),
      );
    }
    return this.rpc.request(method, params, options);
  }

  /**
   * sampling/createMessage. Needs the client's `sampling` capability, and `sampling.tools` when the params carry
   * `tools` or `toolChoice` (2025-11-25: a server MUST NOT send tool-enabled sampling otherwise): without it, rejects
   * with -32021 naming the missing capability, and nothing is sent.
   */
  createMessage(params: CreateMessageParams, options?: OutboundRequestOptions): Promise<CreateMessageResult> {
    const missing = this.#missing('sampling/createMessage', params);
    if (missing) return Promise.reject(missing);
    return this.request('sampling/createMessage', params, options) as Promise<CreateMessageResult>;
  }

  /**
   * elicitation/create. Needs the client's `elicitation` capability in the mode asked: `elicitation.url` for
   * `mode: "url"`, form (`elicitation.form`, or a bare `elicitation: {}`) otherwise — a server MUST NOT send a mode
   * the client did not declare; without it, rejects with -32021 and nothing is sent. URL mode (2025-11-25) needs a
   * `url`; it gets a random `elicitationId` when the params have none (pass your own to announce the end of the
   * out-of-band interaction later with completeElicitation).
   */
  elicit(params: ElicitParams, options?: OutboundRequestOptions): Promise<ElicitResult> {
    const missing = this.#missing('elicitation/create', params);
    if (missing) return Promise.reject(missing);
    let sent: JsonObject;
    try {
      sent = legacyElicitParams(params);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.request('elicitation/create', sent, options) as Promise<ElicitResult>;
  }

  /**
   * notifications/elicitation/complete (legacy era, 2025-11-25): the out-of-band interaction of a URL-mode
   * elicitation with this `elicitationId` has ended. Returns false when it was not sent (modern era, which has no such
   * notification; a closed connection).
   */
  completeElicitation(elicitationId: string): boolean {
    if (typeof elicitationId !== 'string' || elicitationId === '') {
      throw new McpError(RpcCode.INVALID_PARAMS, 'completeElicitation: elicitationId must be a non-empty string');
    }
    if (this.#state.phase !== 'legacy') return false;
    return this.rpc.notify('notifications/elicitation/complete', { elicitationId });
  }

  /** roots/list (needs the client's `roots` capability). */
  listRoots(options?: OutboundRequestOptions): Promise<ListRootsResult> {
    const missing = this.#missing('roots/list', undefined);
    if (missing) return Promise.reject(missing);
    return this.request('roots/list', undefined, options) as Promise<unknown> as Promise<ListRootsResult>;
  }

  /** ping (legacy era). */
  async ping(options?: OutboundRequestOptions): Promise<void> {
    await this.request('ping', undefined, options);
  }

  /** Ends the session's listen streams gracefully and closes the connection. */
  async close(reason?: Error): Promise<void> {
    if (this.#state.listens.size > 0) {
      for (const listen of [...this.#state.listens.values()]) listen.end();
      // Let the listen results reach the transport (they are sent a few microtasks from now), and an in-process
      // transport deliver them, before it closes.
      for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.rpc.close(reason);
  }

  /** Legacy era: the capability `method` with `params` needs that the client did not declare at initialize, as -32021. */
  #missing(method: string, params: JsonObject | undefined): McpError | undefined {
    if (this.#state.phase !== 'legacy') return undefined;
    const required = missingCapability(method, params, this.#state.clientCapabilities);
    if (required === undefined) return undefined;
    return new McpError(
      McpCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
      `${method}: the client did not declare the required capability ${JSON.stringify(required)}`,
      { requiredCapabilities: required },
    );
  }
}
