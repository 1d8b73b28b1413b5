import { performance } from 'node:perf_hooks';
import { ErrorCode, NmcpError } from '../errors.js';
import { jsonText } from '../protocol/json-text.js';
import {
  isRequestId,
  type JsonObject,
  type JsonRpcErrorObject,
  McpError,
  RawJson,
  type RequestId,
  RpcCode,
} from '../protocol/jsonrpc.js';
import type { Transport } from '../transport/types.js';

/**
 * JsonRpcSession: one peer-to-peer JSON-RPC 2.0 conversation over a Transport, the same for servers and clients.
 *
 * Guarantees (docs/concurrency.md):
 * - every inbound request gets exactly one response — unless the peer cancelled it (notifications/cancelled), in which
 *   case the handler's AbortSignal fires and no response is sent, as the spec allows;
 * - malformed input is answered with the right JSON-RPC error and the session goes on (-32700 parse error with id null;
 *   -32600 for a wrong `jsonrpc`, a missing or non-string method, a bad id type, a duplicate in-flight id — the
 *   duplicate only; -32601 for an unknown method; -32602 for non-object params; -32603 for a thrown handler error);
 * - a handler that throws or rejects affects its own request only;
 * - outbound requests settle exactly once: with the result, an McpError from the peer, a timeout (REQUEST_TIMEOUT), an
 *   abort, or CONNECTION_CLOSED when the transport closes.
 */

/** What a request handler gets besides its params. */
export interface RequestContext {
  readonly session: JsonRpcSession;
  readonly id: RequestId;
  readonly method: string;
  /** The request's params._meta, if any (progressToken, the modern era's protocol version and capabilities, …). */
  readonly meta: JsonObject | undefined;
  /** Aborted when the peer cancels the request, the request times out, or the session closes. */
  readonly signal: AbortSignal;
  /** Sends notifications/progress for this request (a no-op when the request carried no progressToken). */
  progress(progress: number, total?: number, message?: string): void;
  /**
   * The request as it arrived — the frame's JSON text and the params parsed from it — when the session keeps frames
   * (`keepFrames`) and the request came alone (not in a batch). A worker-pool call passes the text on instead of
   * structured-cloning the parsed arguments (docs/worker-pool.md).
   */
  readonly frame?: RequestFrame | undefined;
}

/** A request's frame text and the params parsed from it (RequestContext.frame). */
export interface RequestFrame {
  readonly text: string;
  readonly params: JsonObject;
}

export type RequestHandler = (params: JsonObject, ctx: RequestContext) => unknown;

/**
 * Runs each request's handler inside a span (src/ops/tracing.ts: OpenTelemetry). `run` calls `handler` once, returns
 * what it returns, and ends the span when that settles. Set with `session.tracer`; undefined costs nothing.
 */
export interface RequestTracer {
  run(method: string, id: RequestId, params: JsonObject, handler: () => unknown): unknown;
}

/** What a message is, for a SessionObserver. */
export const MessageKind = { REQUEST: 0, NOTIFICATION: 1, RESPONSE: 2, ERROR: 3 } as const;
export type MessageKindCode = (typeof MessageKind)[keyof typeof MessageKind];

/**
 * Counts a session's messages (src/metrics implements it). Called on the hot path: implementations only increment
 * plain counters and publish them later (on a scrape). Set with `session.observer`; undefined costs nothing.
 */
export interface SessionObserver {
  /** A message from the peer: its kind, and its method (a response's is its request's, when known). */
  received(kind: MessageKindCode, method: string | undefined): void;
  /** A request or notification of ours. */
  sent(kind: MessageKindCode, method: string): void;
  /**
   * The reply to the peer's request `method` left: when the request arrived (performance.now()) and its JSON-RPC error
   * code, or 0 for a result. Not called for a request the peer cancelled (no reply).
   */
  replied(method: string, startedAt: number, code: number): void;
  /** An error reply to a message that is not a valid request (parse error, invalid request): its code. */
  rejected(code: number): void;
}
export type NotificationHandler = (params: JsonObject, session: JsonRpcSession) => void;

/**
 * Decides, before dispatch, whether a request may run (e.g. "not initialized"), and may route it elsewhere. Returns
 * the handler to use, or throws McpError.
 */
export type RequestGate = (method: string, params: JsonObject, id: RequestId) => RequestHandler | undefined;

export interface SessionOptions {
  /** Largest time a handler may run before it is aborted and answered with REQUEST_TIMEOUT; 0 = no limit. */
  requestTimeoutMs?: number;
  /** Default timeout of outbound requests (0 = none). 60,000 ms as in the official SDK. */
  outboundTimeoutMs?: number;
  /** Called with errors that cannot be sent to the peer (logged by the owner). */
  onError?: (error: Error) => void;
  /**
   * Methods whose handlers requestTimeoutMs does not apply to: long-lived requests that stay open by design, such as
   * the modern era's subscriptions/listen (answered only when the stream ends). Added for src/server.
   */
  untimedMethods?: ReadonlySet<string>;
}

export interface OutboundRequestOptions {
  /** Aborting sends notifications/cancelled and rejects the promise. */
  signal?: AbortSignal;
  /** Timeout in ms (default: the session's outboundTimeoutMs). Reset by each progress notification when resetOnProgress. */
  timeoutMs?: number;
  /** Reset the timeout whenever progress arrives (default true). */
  resetTimeoutOnProgress?: boolean;
  /** Upper bound on the total time whatever the progress (default: none). */
  maxTotalTimeoutMs?: number;
  /** Progress notifications for this request (a progressToken is added to params._meta). */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
  /** The inbound request this one is made on behalf of (a handler asking for sampling): see notify(). */
  relatedRequestId?: RequestId;
}

interface Pending {
  /** The request's method (for observers: a response is counted under it). */
  method: string;
  resolve(result: JsonObject): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  totalTimer: NodeJS.Timeout | undefined;
  timeoutMs: number;
  resetOnProgress: boolean;
  onProgress: OutboundRequestOptions['onProgress'];
  /** Fires the timeout (kept so that progress can re-arm it). */
  fire: () => void;
  cleanup(): void;
}

interface InFlight {
  /**
   * Created on first use (ctx.signal, or an abort): an AbortController costs more than the rest of a small request, and
   * most synchronous handlers never look at the signal. Use signalOf() / abortInFlight(). (Made lazy for src/server.)
   */
  controller: AbortController | undefined;
  /** Set when the peer cancelled: no response is sent. */
  cancelled: boolean;
  /** Ends the request (sends `text` unless cancelled); later calls are ignored. */
  finish: (text: string | undefined) => void;
}

const NO_PARAMS: JsonObject = Object.freeze({}) as JsonObject;

export class JsonRpcSession {
  readonly transport: Transport;
  /** Request handlers by method. */
  readonly requestHandlers = new Map<string, RequestHandler>();
  /** Notification handlers by method. */
  readonly notificationHandlers = new Map<string, NotificationHandler>();
  /** Runs before every inbound request: may reject it or choose its handler. */
  gate: RequestGate | undefined;
  /** Whether a JSON-RPC batch (array) is accepted; set by the server once 2025-03-26 is negotiated. */
  batchesAllowed = false;
  /** Called once when the session closes. */
  onclose: ((reason?: Error) => void) | undefined;
  /** Called when a reconnecting transport lost its connection (pending requests have just failed with `reason`). */
  oninterrupted: ((reason: Error) => void) | undefined;
  /** Called when a reconnecting transport has a new connection (the peer is new: a client redoes its handshake). */
  onresumed: (() => void) | undefined;
  /** Counts messages for metrics (undefined: nothing is counted, at no cost). */
  observer: SessionObserver | undefined;
  /** Runs handlers inside trace spans (undefined: no tracing, at no cost). */
  tracer: RequestTracer | undefined;
  /**
   * Keep each lone request's frame text on its RequestContext (`frame`) while its handler runs; set by a server with a
   * worker pool, which hands the text to the worker instead of cloning the arguments. Default false.
   */
  keepFrames = false;
  /** Messages received from the peer and sent to it (replies included), since the session started. */
  messagesIn = 0;
  messagesOut = 0;

  readonly #options: Required<Pick<SessionOptions, 'requestTimeoutMs' | 'outboundTimeoutMs'>> & SessionOptions;
  readonly #inFlight = new Map<RequestId, InFlight>();
  readonly #pending = new Map<RequestId, Pending>();
  #nextId = 0;
  #closed = false;
  #closeReason: Error | undefined;
  /** The text of the lone message being handled now, when keepFrames is set. */
  #frameText: string | undefined;
  /** Set while a reconnecting transport is between connections: why it was lost. */
  #interruption: Error | undefined;

  constructor(transport: Transport, options: SessionOptions = {}) {
    this.transport = transport;
    this.#options = { requestTimeoutMs: 0, outboundTimeoutMs: 60_000, ...options };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Number of inbound requests being handled. */
  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** Starts the transport and the message loop. */
  async start(): Promise<void> {
    await this.transport.start({
      message: (text) => this.#onText(text),
      frameError: (error) => this.#onFrameError(error),
      closed: (reason) => this.#onClosed(reason),
      interrupted: (reason) => this.#onInterrupted(reason),
      resumed: () => {
        this.#interruption = undefined;
        this.onresumed?.();
      },
    });
  }

  /** Closes the transport; pending outbound requests fail with CONNECTION_CLOSED, handlers are aborted. */
  async close(reason?: Error): Promise<void> {
    await this.transport.close(reason);
    this.#onClosed(reason);
  }

  // ---- outbound

  /**
   * Sends a notification. Returns false when the transport did not accept it. `relatedRequestId` names the inbound
   * request it belongs to (progress, a log line of a handler), so that a transport with one stream per request
   * (Streamable HTTP) sends it on that request's stream.
   */
  notify(method: string, params?: JsonObject, relatedRequestId?: RequestId): boolean {
    if (this.#closed) return false;
    const text =
      params === undefined
        ? `{"jsonrpc":"2.0","method":${JSON.stringify(method)}}`
        : `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
    this.messagesOut++;
    this.observer?.sent(MessageKind.NOTIFICATION, method);
    return this.transport.send(text, relatedRequestId);
  }

  /** Sends a request and resolves with its result (rejects with McpError, or NmcpError when the session closes). */
  request(method: string, params?: JsonObject, options: OutboundRequestOptions = {}): Promise<JsonObject> {
    if (this.#closed) return Promise.reject(this.#connectionClosed());
    const id = this.#nextId++;
    let sendParams = params;
    if (options.onProgress) {
      const meta = { ...(params?._meta as JsonObject | undefined), progressToken: id };
      sendParams = { ...params, _meta: meta };
    }
    return new Promise<JsonObject>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const related = options.relatedRequestId;
      const onAbort = () => {
        this.notify('notifications/cancelled', { requestId: id, reason: String(signal?.reason ?? 'aborted') }, related);
        settle(() => reject(abortError(signal as AbortSignal)));
      };
      const timeoutMs = options.timeoutMs ?? this.#options.outboundTimeoutMs;
      const onTimeout = (ms: number, what: string) => () => {
        this.notify('notifications/cancelled', { requestId: id, reason: `timed out after ${ms} ms` }, related);
        settle(() =>
          reject(
            new McpError(RpcCode.REQUEST_TIMEOUT, `${method}: request timed out (${what} ${ms} ms)`, { timeout: ms }),
          ),
        );
      };
      const pending: Pending = {
        method,
        resolve: (r) => settle(() => resolve(r)),
        reject: (e) => settle(() => reject(e)),
        timer: undefined,
        totalTimer: undefined,
        timeoutMs,
        resetOnProgress: options.resetTimeoutOnProgress ?? true,
        onProgress: options.onProgress,
        fire: onTimeout(timeoutMs, 'timeout'),
        cleanup: () => {
          if (pending.timer) clearTimeout(pending.timer);
          if (pending.totalTimer) clearTimeout(pending.totalTimer);
          signal?.removeEventListener('abort', onAbort);
          this.#pending.delete(id);
        },
      };
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        pending.cleanup();
        fn();
      };
      if (timeoutMs > 0) pending.timer = setTimeout(pending.fire, timeoutMs);
      if (options.maxTotalTimeoutMs) {
        pending.totalTimer = setTimeout(
          onTimeout(options.maxTotalTimeoutMs, 'maxTotalTimeout'),
          options.maxTotalTimeoutMs,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, pending);
      const text =
        sendParams === undefined
          ? `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)}}`
          : `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(sendParams)}}`;
      this.messagesOut++;
      this.observer?.sent(MessageKind.REQUEST, method);
      if (!this.transport.send(text, related)) {
        const lost = this.#interruption;
        settle(() =>
          reject(
            lost
              ? new NmcpError(
                  ErrorCode.CONNECTION_CLOSED,
                  `${method}: ${lost.message}`,
                  { reconnecting: true },
                  {
                    cause: lost,
                  },
                )
              : new NmcpError(ErrorCode.CONNECTION_CLOSED, `${method}: the transport did not accept the request`),
          ),
        );
      }
    });
  }

  // ---- inbound

  #onText(text: string): void {
    this.messagesIn++;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.#sendError(null, RpcCode.PARSE_ERROR, `Parse error: ${(err as Error).message}`);
      return;
    }
    if (Array.isArray(msg)) {
      this.#onBatch(msg);
      return;
    }
    if (this.keepFrames) this.#frameText = text;
    let reply: string | undefined;
    try {
      reply = this.#onMessage(msg);
    } finally {
      this.#frameText = undefined;
    }
    if (reply !== undefined) this.#sendText(reply, requestIdOf(msg));
  }

  /**
   * Handles one message. Returns the text of an immediate reply (an error, or the result of a synchronous handler),
   * or undefined when there is nothing to send now (notification, response, async handler that replies later).
   * `collect` receives the replies of async handlers when the message is part of a batch.
   */
  #onMessage(msg: unknown, collect?: (reply: string | undefined) => void): string | undefined {
    if (typeof msg !== 'object' || msg === null) {
      return this.#reject(null, RpcCode.INVALID_REQUEST, 'Invalid Request: a message must be a JSON object');
    }
    const m = msg as JsonObject;
    const id = m.id;
    const hasId = id !== undefined;
    const replyId = isRequestId(id) ? id : null;
    if (m.jsonrpc !== '2.0') {
      return this.#reject(replyId, RpcCode.INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"');
    }
    if (m.method !== undefined) {
      if (typeof m.method !== 'string') {
        return this.#reject(replyId, RpcCode.INVALID_REQUEST, 'Invalid Request: "method" must be a string');
      }
      if (hasId && !isRequestId(id)) {
        return this.#reject(null, RpcCode.INVALID_REQUEST, 'Invalid Request: "id" must be a string or a number');
      }
      const params = m.params;
      if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
        return hasId
          ? this.#reject(id as RequestId, RpcCode.INVALID_PARAMS, 'Invalid params: "params" must be an object')
          : undefined;
      }
      if (!hasId) {
        this.#onNotification(m.method, (params as JsonObject | undefined) ?? NO_PARAMS);
        return undefined;
      }
      return this.#onRequest(id as RequestId, m.method, (params as JsonObject | undefined) ?? NO_PARAMS, collect);
    }
    if (hasId && (m.result !== undefined || m.error !== undefined)) {
      this.#onResponse(m);
      return undefined;
    }
    return this.#reject(
      replyId,
      RpcCode.INVALID_REQUEST,
      'Invalid Request: neither a request, a notification nor a response',
    );
  }

  #onBatch(items: unknown[]): void {
    if (!this.batchesAllowed) {
      this.#sendError(
        null,
        RpcCode.INVALID_REQUEST,
        'Invalid Request: JSON-RPC batches are only accepted when protocol version 2025-03-26 was negotiated',
      );
      return;
    }
    if (items.length === 0) {
      this.#sendError(null, RpcCode.INVALID_REQUEST, 'Invalid Request: empty batch');
      return;
    }
    const replies: string[] = [];
    // A batch's replies leave as one message, related to its first request (what a per-request stream keys on).
    let firstId: RequestId | undefined;
    for (const item of items) {
      firstId = requestIdOf(item);
      if (firstId !== undefined) break;
    }
    let outstanding = 0;
    let done = false;
    const finish = () => {
      if (done || outstanding > 0) return;
      done = true;
      if (replies.length > 0) this.#sendText(`[${replies.join(',')}]`, firstId);
    };
    for (const item of items) {
      let async = false;
      const collect = (reply: string | undefined) => {
        if (reply !== undefined) replies.push(reply);
        if (async) {
          outstanding--;
          finish();
        }
      };
      const reply = this.#onMessage(item, collect);
      if (reply !== undefined) replies.push(reply);
      else if (this.#awaitingBatchReply) {
        async = true;
        outstanding++;
      }
      this.#awaitingBatchReply = false;
    }
    finish();
  }

  /** Set by #onRequest when a batched request will reply later through `collect`. */
  #awaitingBatchReply = false;

  #onRequest(
    id: RequestId,
    method: string,
    params: JsonObject,
    collect: ((reply: string | undefined) => void) | undefined,
  ): string | undefined {
    const observer = this.observer;
    const startedAt = observer === undefined ? 0 : performance.now();
    observer?.received(MessageKind.REQUEST, method);
    if (this.#inFlight.has(id)) {
      return this.#replyError(
        method,
        startedAt,
        id,
        RpcCode.INVALID_REQUEST,
        `Invalid Request: request id ${JSON.stringify(id)} is already in flight (duplicate id)`,
      );
    }
    let handler: RequestHandler | undefined;
    try {
      handler = this.gate ? this.gate(method, params, id) : undefined;
    } catch (err) {
      return this.#replyThrown(method, startedAt, id, err);
    }
    handler ??= this.requestHandlers.get(method);
    if (!handler)
      return this.#replyError(method, startedAt, id, RpcCode.METHOD_NOT_FOUND, `Method not found: ${method}`);

    const inFlight: InFlight = { controller: undefined, cancelled: false, finish: () => {} };
    const meta = params._meta as JsonObject | undefined;
    const frameText = this.#frameText;
    const ctx = new HandlerCtx(
      this,
      id,
      method,
      meta,
      inFlight,
      frameText === undefined ? undefined : { text: frameText, params },
    );

    let result: unknown;
    try {
      const tracer = this.tracer;
      result = tracer === undefined ? handler(params, ctx) : tracer.run(method, id, params, () => handler(params, ctx));
    } catch (err) {
      return this.#replyThrown(method, startedAt, id, err);
    }
    if (!isPromiseLike(result)) {
      if (observer === undefined) return resultText(id, result);
      try {
        const text = resultText(id, result);
        observer.replied(method, startedAt, 0);
        return text;
      } catch (err) {
        return this.#replyThrown(method, startedAt, id, err);
      }
    }

    // Asynchronous handler: track it so that cancellation, timeouts and duplicate ids work.
    this.#inFlight.set(id, inFlight);
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.#options.untimedMethods?.has(method) ? 0 : this.#options.requestTimeoutMs;
    const reply = (text: string | undefined) => {
      if (timer) clearTimeout(timer);
      if (this.#inFlight.get(id) !== inFlight) return; // already ended (timeout or cancellation)
      this.#inFlight.delete(id);
      const out = inFlight.cancelled ? undefined : text;
      if (collect) collect(out);
      else if (out !== undefined) this.#sendText(out, id);
    };
    inFlight.finish = reply;
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        const err = new McpError(RpcCode.REQUEST_TIMEOUT, `${method}: handler timed out after ${timeoutMs} ms`);
        abortInFlight(inFlight, err);
        if (this.#inFlight.get(id) !== inFlight) return;
        reply(this.#replyError(method, startedAt, id, err.code, err.message, err.data));
      }, timeoutMs);
    }
    result.then(
      (value) => {
        if (this.#inFlight.get(id) !== inFlight) return; // already ended (timeout or cancellation)
        let text: string;
        try {
          text = resultText(id, value);
          observer?.replied(method, startedAt, 0);
        } catch (err) {
          text = this.#replyThrown(method, startedAt, id, err);
        }
        reply(text);
      },
      (err: unknown) => {
        if (this.#inFlight.get(id) !== inFlight) return;
        reply(this.#replyThrown(method, startedAt, id, err));
      },
    );
    if (collect) this.#awaitingBatchReply = true;
    return undefined;
  }

  #onNotification(method: string, params: JsonObject): void {
    this.observer?.received(MessageKind.NOTIFICATION, method);
    if (method === 'notifications/cancelled') {
      const target = params.requestId;
      const inFlight = isRequestId(target) ? this.#inFlight.get(target) : undefined;
      if (inFlight && !inFlight.cancelled) {
        // End it now: the id is free again and nothing is sent, even if the handler ignores the signal and never settles.
        inFlight.cancelled = true;
        inFlight.finish(undefined);
        abortInFlight(inFlight, new McpError(RpcCode.REQUEST_TIMEOUT, String(params.reason ?? 'cancelled by peer')));
      }
    } else if (method === 'notifications/progress') {
      const token = params.progressToken;
      const pending = isRequestId(token) ? this.#pending.get(token) : undefined;
      if (pending) {
        if (pending.resetOnProgress && pending.timer) {
          clearTimeout(pending.timer);
          pending.timer = setTimeout(pending.fire, pending.timeoutMs);
        }
        pending.onProgress?.({
          progress: Number(params.progress),
          ...(params.total !== undefined ? { total: Number(params.total) } : {}),
          ...(typeof params.message === 'string' ? { message: params.message } : {}),
        });
      }
    }
    const handler = this.notificationHandlers.get(method);
    if (!handler) return;
    try {
      handler(params, this);
    } catch (err) {
      this.#options.onError?.(err as Error);
    }
  }

  #onResponse(m: JsonObject): void {
    const id = m.id as RequestId;
    const pending = this.#pending.get(id);
    this.observer?.received(m.error !== undefined ? MessageKind.ERROR : MessageKind.RESPONSE, pending?.method);
    if (!pending) {
      this.#options.onError?.(
        new NmcpError(ErrorCode.UNEXPECTED_RESPONSE, `a response arrived for unknown request id ${JSON.stringify(id)}`),
      );
      return;
    }
    if (m.error !== undefined) {
      const e = m.error as Partial<JsonRpcErrorObject>;
      pending.reject(
        new McpError(typeof e.code === 'number' ? e.code : RpcCode.INTERNAL_ERROR, String(e.message ?? ''), e.data),
      );
    } else {
      const r = m.result;
      pending.resolve(typeof r === 'object' && r !== null ? (r as JsonObject) : ({ value: r } as JsonObject));
    }
  }

  #onFrameError(error: NmcpError): void {
    this.messagesIn++;
    // The frame was skipped (its id is unknown): answer with id null, as for a parse error, and go on.
    this.#sendError(null, RpcCode.INVALID_REQUEST, `Invalid Request: ${error.message}`, { code: error.code });
  }

  /** The error reply to the peer's request `method`, counted by the observer. */
  #replyError(method: string, startedAt: number, id: RequestId, code: number, message: string, data?: unknown): string {
    this.observer?.replied(method, startedAt, code);
    return errorText(id, code, message, data);
  }

  /** A thrown McpError keeps its code; anything else is -32603 for that request only. */
  #replyThrown(method: string, startedAt: number, id: RequestId, err: unknown): string {
    if (err instanceof McpError) return this.#replyError(method, startedAt, id, err.code, err.message, err.data);
    const message = err instanceof Error ? err.message : String(err);
    return this.#replyError(method, startedAt, id, RpcCode.INTERNAL_ERROR, `Internal error: ${message}`);
  }

  /** The error reply to a message that is not a valid request, counted by the observer. */
  #reject(id: RequestId | null, code: number, message: string): string {
    this.observer?.rejected(code);
    return errorText(id, code, message);
  }

  #onClosed(reason?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    for (const [, f] of this.#inFlight) abortInFlight(f, this.#connectionClosed());
    this.#inFlight.clear();
    for (const [, p] of this.#pending) p.reject(this.#connectionClosed());
    this.#pending.clear();
    this.onclose?.(reason);
  }

  /**
   * The connection under a reconnecting transport was lost: what was in flight on it is gone. Pending requests fail
   * at once with CONNECTION_CLOSED (saying that the transport is reconnecting), handlers of the peer's requests are
   * aborted (their responses would reach a new peer that never asked). The session stays open.
   */
  #onInterrupted(reason: Error): void {
    if (this.#closed) return;
    this.#interruption = reason;
    const lost = () =>
      new NmcpError(ErrorCode.CONNECTION_CLOSED, reason.message, { reconnecting: true }, { cause: reason });
    for (const [, f] of this.#inFlight) abortInFlight(f, lost());
    this.#inFlight.clear();
    for (const [, p] of this.#pending) p.reject(lost());
    this.#pending.clear();
    this.oninterrupted?.(reason);
  }

  #connectionClosed(): NmcpError {
    return new NmcpError(
      ErrorCode.CONNECTION_CLOSED,
      `the connection is closed${this.#closeReason ? `: ${this.#closeReason.message}` : ''}`,
      {},
      this.#closeReason ? { cause: this.#closeReason } : undefined,
    );
  }

  #sendError(id: RequestId | null, code: number, message: string, data?: unknown): void {
    this.observer?.rejected(code);
    this.#sendText(errorText(id, code, message, data));
  }

  #sendText(text: string, relatedRequestId?: RequestId): void {
    if (this.#closed) return;
    this.messagesOut++;
    this.transport.send(text, relatedRequestId);
  }
}

/**
 * The RequestContext of one inbound request. A class (one allocation, methods on the prototype) rather than an object
 * literal with a getter and an arrow function, which would allocate two closures per request on the hot path.
 */
class HandlerCtx implements RequestContext {
  constructor(
    readonly session: JsonRpcSession,
    readonly id: RequestId,
    readonly method: string,
    readonly meta: JsonObject | undefined,
    readonly inFlight: InFlight,
    readonly frame: RequestFrame | undefined,
  ) {}

  get signal(): AbortSignal {
    return signalOf(this.inFlight);
  }

  progress(progress: number, total?: number, message?: string): void {
    const token = this.meta?.progressToken;
    if (!isRequestId(token) || this.inFlight.controller?.signal.aborted) return;
    const p: JsonObject = { progressToken: token, progress };
    if (total !== undefined) p.total = total;
    if (message !== undefined) p.message = message;
    this.session.notify('notifications/progress', p, this.id);
  }
}

/** The id of a request (a message with a method and a valid id), else undefined. */
function requestIdOf(msg: unknown): RequestId | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as JsonObject;
  return typeof m.method === 'string' && isRequestId(m.id) ? m.id : undefined;
}

function signalOf(inFlight: InFlight): AbortSignal {
  inFlight.controller ??= new AbortController();
  return inFlight.controller.signal;
}

function abortInFlight(inFlight: InFlight, reason: Error): void {
  inFlight.controller ??= new AbortController();
  inFlight.controller.abort(reason);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new McpError(RpcCode.REQUEST_TIMEOUT, `request aborted: ${String(reason)}`);
}

/** The text of a success response. A handler's undefined becomes {}; RawJson is spliced as is. */
function resultText(id: RequestId, value: unknown): string {
  const json = value instanceof RawJson ? value.json : value === undefined ? '{}' : (jsonText(value) ?? '{}');
  return `{"jsonrpc":"2.0","id":${typeof id === 'number' ? id : JSON.stringify(id)},"result":${json}}`;
}

export function errorText(id: RequestId | null, code: number, message: string, data?: unknown): string {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":${JSON.stringify(error)}}`;
}
