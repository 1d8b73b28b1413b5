/**
 * The Streamable HTTP endpoint, independent of how it is mounted (mcpHttpPlugin in a user's fastify app, or
 * McpHttpServer standalone): POST / GET / DELETE on one path, both eras (docs/http.md).
 *
 * - Legacy era (2024-11-05 … 2025-11-25): `initialize` without a session id opens a session (crypto-random
 *   Mcp-Session-Id, one McpServer session over a SessionTransport); later requests must name it (missing → 400,
 *   unknown or ended → 404); GET opens its server→client stream (one at a time: 409), resumable with Last-Event-ID;
 *   DELETE ends it; idle sessions expire.
 * - Modern era (2026-07-28): no session; each request POST is served on its own McpServer session (RequestTransport)
 *   after the SEP-2243 header cross-check; `subscriptions/listen` is a long-lived POST answered as SSE.
 */

import { randomBytes } from 'node:crypto';
import { ErrorCode, NmcpError } from '../../../errors.js';
import { Kind } from '../../../native/binding-types.js';
import { isRequestId, type JsonObject, type RequestId, RpcCode } from '../../../protocol/jsonrpc.js';
import type { McpServer } from '../../../server/mcp-server.js';
import type { ServerSession } from '../../../server/server-session.js';
import { isObject, META } from '../../../server/wire.js';
import type { Transport } from '../../types.js';
import { classifyBody } from './classify.js';
import { type EventStore, MemoryEventStore } from './event-store.js';
import { Exchange, type ExchangeHost, type ReplyLike } from './exchange.js';
import {
  type Accepts,
  accepts,
  type HeaderValue,
  hasModernClaim,
  header,
  legacyVersionProblem,
  modernErrorStatus,
  modernHeader,
  modernHeaderProblem,
} from './headers.js';
import type { HttpScalarOptions, ResolvedHttpOptions } from './http-options.js';
import { RequestTransport } from './request-transport.js';
import { hostAllowed, isLoopbackAddress, originAllowed } from './security.js';
import { SessionTransport, STANDALONE_STREAM } from './session-transport.js';
import { KeepAliveTicker, SseStream } from './sse.js';
import { customHeaderProblem, ToolHeaderIndex } from './tool-headers.js';

/** JSON-RPC codes the HTTP layer answers with (the official SDKs' choices). */
const HTTP_ERROR = -32000;
const SESSION_NOT_FOUND = -32001;

/** What the handler reads of a request (fastify's request, structurally). */
export interface RequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, HeaderValue>;
  readonly raw: { readonly socket: { readonly localAddress?: string | undefined } | null };
}

/**
 * Per-session side tables, kept on globalThis under Symbol.for keys so that two copies of nmcp in one process (an app's
 * and a library's, or dist and src) see the same entries — as NmcpError's brand does for instanceof.
 */
function sharedWeakMap<V>(name: string): WeakMap<ServerSession, V> {
  const registry = globalThis as unknown as Record<symbol, WeakMap<ServerSession, V> | undefined>;
  const key = Symbol.for(name);
  registry[key] ??= new WeakMap<ServerSession, V>();
  return registry[key];
}

/** The principal an auth hook returned for each session's latest request (see httpPrincipal). */
const PRINCIPALS = sharedWeakMap<unknown>('nmcp.http.principals');

/** The principal the `auth` hook returned for the request a handler serves (`httpPrincipal(ctx.session)`). */
export function httpPrincipal(session: ServerSession): unknown {
  return PRINCIPALS.get(session);
}

/** The legacy HTTP sessions' transports, for httpCloseStream. */
const TRANSPORTS = sharedWeakMap<{ closeStream(id: RequestId): boolean }>('nmcp.http.transports');

/**
 * SSE polling (spec 2025-11-25): a handler closes the connection of its request's SSE stream without ending the
 * request — `httpCloseStream(ctx.session, ctx.requestId)`. The client reconnects with GET + Last-Event-ID (after the
 * priming event's `retry` delay) and gets what was sent meanwhile, then the rest. Returns false when there is nothing
 * to close that way: not a legacy HTTP session, no event store, or a JSON-only client.
 */
export function httpCloseStream(session: ServerSession, requestId: RequestId): boolean {
  return TRANSPORTS.get(session)?.closeStream(requestId) ?? false;
}

export function rpcErrorBody(id: RequestId | null, code: number, message: string, data?: unknown): string {
  const error = data === undefined ? { code, message } : { code, message, data };
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}

function sendError(
  reply: ReplyLike,
  status: number,
  id: RequestId | null,
  code: number,
  message: string,
  headers?: Record<string, string>,
): ReplyLike {
  reply.code(status).header('content-type', 'application/json');
  if (headers) for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  reply.send(rpcErrorBody(id, code, message));
  return reply;
}

/** The HTTP status of a modern JSON reply: errors by code (headers.ts), results 200. */
function modernStatusOf(text: string): number {
  if (!text.includes('"error":')) return 200;
  try {
    const m = JSON.parse(text) as { error?: { code?: unknown; data?: unknown }; result?: unknown };
    if (m.result !== undefined || !isObject(m.error) || typeof m.error.code !== 'number') return 200;
    return modernErrorStatus(m.error.code, m.error.data);
  } catch {
    return 200;
  }
}

/** The ExchangeHost of one modern request: no event ids (no resumability), the stream bounded by maxPendingBytes. */
class ModernHost implements ExchangeHost {
  session: ServerSession | undefined;
  #done = false;
  constructor(
    private readonly ticker: KeepAliveTicker,
    private readonly maxPendingBytes: number,
    private readonly onError: (error: Error) => void,
  ) {}

  eventId(): undefined {
    return undefined;
  }

  streamOpened(stream: SseStream): void {
    this.ticker.add(stream);
    stream.res.on('close', () => this.ticker.delete(stream));
  }

  wrote(stream: SseStream): void {
    if (stream.pendingBytes <= this.maxPendingBytes) return;
    stream.destroy();
    this.onError(
      new NmcpError(
        ErrorCode.WRITE_QUEUE_FULL,
        `HTTP request stream: the client is not reading (${stream.pendingBytes} bytes pending, over maxPendingBytes ${this.maxPendingBytes}); the stream was closed and its request cancelled`,
        { maxPendingBytes: this.maxPendingBytes },
      ),
    );
    this.end();
  }

  finished(): void {
    // Let the reply's write leave this turn before the session (and its transport) is closed.
    setImmediate(() => this.end());
  }

  gone(): void {
    // 2026-07-28: closing the request's stream cancels it; closing the session aborts the handler's signal.
    this.end();
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    void this.session?.rpc.close();
  }
}

/**
 * Host / Origin against allow-lists (undefined = the loopback defaults): undefined when allowed, else the 403 message.
 * McpHttpHandler.rebindingProblem, and McpHost's router for paths that name no server.
 */
export function rebindingProblem(
  req: RequestLike,
  allowedHosts: readonly string[] | undefined,
  allowedOrigins: readonly string[] | undefined,
): string | undefined {
  const loopback = isLoopbackAddress(req.raw.socket?.localAddress);
  const host = header(req.headers.host) ?? header(req.headers[':authority']);
  if (!hostAllowed(host, allowedHosts, loopback)) {
    return `Forbidden: Host "${host ?? ''}" is not allowed (DNS-rebinding protection; see allowedHosts)`;
  }
  const origin = header(req.headers.origin);
  if (!originAllowed(origin, allowedOrigins, loopback, host)) {
    return `Forbidden: Origin "${origin}" is not allowed (see allowedOrigins)`;
  }
  return undefined;
}

/** How a handler opens a session on its McpServer (McpHost passes one that records the session in its registry). */
export type HttpConnect = (transport: Transport) => Promise<ServerSession>;

export class McpHttpHandler {
  readonly options: Readonly<HttpScalarOptions>;
  readonly eventStore: EventStore | undefined;
  readonly #connect: HttpConnect;
  readonly #resolved: ResolvedHttpOptions;
  readonly #sessions = new Map<string, SessionTransport>();
  readonly #modernSessions = new Set<ServerSession>();
  readonly #ticker: KeepAliveTicker;
  readonly #toolHeaders: ToolHeaderIndex;
  readonly #log: (error: Error) => void;
  #initializing = 0;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  /** `connect` (default `server.connect`): a hook for McpHost, which tracks every session in its RouteRegistry. */
  constructor(server: McpServer, resolved: ResolvedHttpOptions, log: (error: Error) => void, connect?: HttpConnect) {
    this.#connect = connect ?? ((transport) => server.connect(transport));
    this.#resolved = resolved;
    this.options = resolved.scalars;
    this.#log = resolved.onError ?? log;
    this.#ticker = new KeepAliveTicker(this.options.sseKeepAliveMs);
    this.#toolHeaders = new ToolHeaderIndex(server);
    this.eventStore =
      resolved.eventStore ??
      (this.options.eventStoreMaxEvents > 0
        ? new MemoryEventStore({
            maxEvents: this.options.eventStoreMaxEvents,
            maxBytes: this.options.eventStoreMaxBytes,
          })
        : undefined);
    const idle = this.options.sessionIdleTimeoutMs;
    if (idle > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.min(60_000, Math.max(10, Math.floor(idle / 4))));
      this.#sweeper.unref();
    }
  }

  /**
   * What every legacy session id this handler creates starts with (default ''): `nmcp serve --processes N` gives each
   * process its own, so that any process can tell which one owns a session (src/cluster/session-affinity.ts).
   */
  sessionIdPrefix = '';

  /** Open legacy sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** The legacy session `id` (its McpServer session), if open. */
  session(id: string): ServerSession | undefined {
    return this.#sessions.get(id)?.session;
  }

  // ---- checks that run before any MCP handling

  /** Host / Origin against the allow-lists: undefined when allowed, else the 403 to answer. */
  rebindingProblem(req: RequestLike): string | undefined {
    return rebindingProblem(req, this.#resolved.allowedHosts, this.#resolved.allowedOrigins);
  }

  // ---- POST

  async post(req: RequestLike, reply: ReplyLike, body: Buffer | undefined, principal: unknown): Promise<ReplyLike> {
    if (this.#closed) return sendError(reply, 503, null, HTTP_ERROR, 'Service Unavailable: the server is closing');
    const contentType = header(req.headers['content-type'])?.toLowerCase() ?? '';
    if (!/^application\/json\s*(;|$)/.test(contentType)) {
      return sendError(reply, 415, null, HTTP_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const acc = accepts(req.headers.accept);
    if (!acc.json && !acc.sse) {
      return sendError(
        reply,
        406,
        null,
        HTTP_ERROR,
        'Not Acceptable: Accept must allow application/json or text/event-stream',
      );
    }
    const bytes = body ?? Buffer.alloc(0);
    const env = classifyBody(bytes);
    if (env.kind === Kind.INVALID) {
      return sendError(reply, 400, null, RpcCode.PARSE_ERROR, 'Parse error: the body is not valid JSON');
    }
    const text = bytes.toString('utf8');
    const sessionId = header(req.headers['mcp-session-id']);
    if (sessionId !== undefined && this.options.legacy) {
      const transport = this.#sessions.get(sessionId);
      // A modern request that carries a stale session id is still a modern request (the id means nothing there).
      if (transport === undefined || transport.closed) {
        if (modernHeader(req.headers['mcp-protocol-version']))
          return this.#modernText(req, reply, text, acc, principal);
        return sendError(reply, 404, null, SESSION_NOT_FOUND, 'Session not found');
      }
      return this.#sessionPost(req, reply, transport, text, env, acc, principal);
    }
    if (env.kind === Kind.REQUEST && env.method === 'initialize' && this.options.legacy) {
      const message = JSON.parse(text) as JsonObject;
      if (!hasModernClaim(message)) return this.#initialize(req, reply, text, env.id as RequestId, acc, principal);
      return this.#modern(req, reply, text, message, acc, principal);
    }
    return this.#modernText(req, reply, text, acc, principal);
  }

  async #modernText(
    req: RequestLike,
    reply: ReplyLike,
    text: string,
    acc: Accepts,
    principal: unknown,
  ): Promise<ReplyLike> {
    const message = JSON.parse(text) as unknown;
    if (Array.isArray(message)) {
      return sendError(
        reply,
        400,
        null,
        RpcCode.INVALID_REQUEST,
        this.options.legacy
          ? 'Invalid Request: a JSON-RPC batch needs a 2025-03-26 session (Mcp-Session-Id); 2026-07-28 has no batches'
          : 'Invalid Request: 2026-07-28 has no JSON-RPC batches',
      );
    }
    if (!isObject(message)) return sendError(reply, 400, null, RpcCode.INVALID_REQUEST, 'Invalid Request');
    if (this.options.legacy && !hasModernClaim(message) && !modernHeader(req.headers['mcp-protocol-version'])) {
      const id = isRequestId(message.id) ? message.id : null;
      return sendError(
        reply,
        400,
        id,
        HTTP_ERROR,
        'Bad Request: Mcp-Session-Id header is required (send initialize first, or a 2026-07-28 request with its _meta envelope)',
      );
    }
    return this.#modern(req, reply, text, message, acc, principal);
  }

  // ---- legacy

  async #initialize(
    req: RequestLike,
    reply: ReplyLike,
    text: string,
    id: RequestId,
    acc: Accepts,
    principal: unknown,
  ): Promise<ReplyLike> {
    const versionProblem = legacyVersionProblem(req.headers['mcp-protocol-version'], undefined);
    if (versionProblem) return sendError(reply, versionProblem.status, id, versionProblem.code, versionProblem.message);
    if (this.#sessions.size + this.#initializing >= this.options.maxSessions) {
      return sendError(
        reply,
        503,
        id,
        HTTP_ERROR,
        `Service Unavailable: too many sessions (maxSessions ${this.options.maxSessions}); retry later`,
        { 'retry-after': '1' },
      );
    }
    // 128 random bits, base64url: unguessable, and visible ASCII as the spec requires. The prefix names the process
    // that owns the session when several serve one port (src/cluster/session-affinity.ts).
    const sessionId = this.sessionIdPrefix + randomBytes(16).toString('base64url');
    const transport = new SessionTransport({
      sessionId,
      eventStore: this.eventStore,
      maxPendingBytes: this.options.maxPendingBytes,
      ticker: this.#ticker,
      onError: this.#log,
    });
    let session: ServerSession;
    this.#initializing++;
    try {
      session = await this.#connect(transport);
    } catch (err) {
      return sendError(reply, 503, id, HTTP_ERROR, `Service Unavailable: ${(err as Error).message}`);
    } finally {
      this.#initializing--;
    }
    transport.session = session;
    TRANSPORTS.set(session, transport);
    this.#sessions.set(sessionId, transport);
    session.onclose = () => {
      if (this.#sessions.get(sessionId) === transport) this.#sessions.delete(sessionId);
    };
    PRINCIPALS.set(session, principal);
    const exchange = new Exchange({
      reply,
      accepts: acc,
      ids: [id],
      streamId: transport.newStreamId(),
      host: transport,
      headers: (): Record<string, string> => (session.era === 'legacy' ? { 'mcp-session-id': sessionId } : {}),
    });
    transport.dispatch(text, exchange);
    // initialize is answered synchronously; one that failed (bad params) leaves no session behind.
    if (session.era !== 'legacy') void session.close();
    return reply;
  }

  #sessionPost(
    req: RequestLike,
    reply: ReplyLike,
    transport: SessionTransport,
    text: string,
    env: ReturnType<typeof classifyBody>,
    acc: Accepts,
    principal: unknown,
  ): ReplyLike {
    const session = transport.session as ServerSession;
    const problem = legacyVersionProblem(req.headers['mcp-protocol-version'], session.protocolVersion);
    const replyId = env.id ?? null;
    if (problem) return sendError(reply, problem.status, replyId, problem.code, problem.message);
    PRINCIPALS.set(session, principal);
    transport.lastActive = Date.now();
    switch (env.kind) {
      case Kind.NOTIFICATION:
      case Kind.RESPONSE:
      case Kind.ERROR:
        transport.dispatch(text, undefined);
        if (env.method === 'notifications/cancelled') {
          const params = (JSON.parse(text) as JsonObject).params;
          if (isObject(params) && isRequestId(params.requestId)) transport.cancelled(params.requestId);
        }
        reply.code(202).send();
        return reply;
      case Kind.BATCH:
        return this.#batch(reply, transport, text, acc);
      case Kind.REQUEST: {
        if (env.badId || env.id === undefined) {
          return sendError(
            reply,
            400,
            null,
            RpcCode.INVALID_REQUEST,
            'Invalid Request: "id" must be a string or a number',
          );
        }
        if (env.method === 'initialize') {
          return sendError(reply, 400, env.id, RpcCode.INVALID_REQUEST, 'Invalid Request: Server already initialized');
        }
        if (transport.inFlight(env.id)) {
          return sendError(
            reply,
            400,
            env.id,
            RpcCode.INVALID_REQUEST,
            `Invalid Request: request id ${JSON.stringify(env.id)} is already in flight (duplicate id)`,
          );
        }
        const exchange = new Exchange({
          reply,
          accepts: acc,
          ids: [env.id],
          streamId: transport.newStreamId(),
          host: transport,
          prime: this.eventStore !== undefined && session.protocolVersion === '2025-11-25',
          retryMs: this.options.sseRetryMs,
        });
        transport.dispatch(text, exchange);
        return reply;
      }
      default:
        return sendError(reply, 400, replyId, RpcCode.INVALID_REQUEST, 'Invalid Request: not a JSON-RPC message');
    }
  }

  #batch(reply: ReplyLike, transport: SessionTransport, text: string, acc: Accepts): ReplyLike {
    const session = transport.session as ServerSession;
    if (!session.rpc.batchesAllowed) {
      return sendError(
        reply,
        400,
        null,
        RpcCode.INVALID_REQUEST,
        'Invalid Request: JSON-RPC batches are only accepted when protocol version 2025-03-26 was negotiated',
      );
    }
    const items = JSON.parse(text) as unknown[];
    const ids: RequestId[] = [];
    for (const item of items) {
      if (isObject(item) && typeof item.method === 'string' && isRequestId(item.id)) {
        if (transport.inFlight(item.id) || ids.includes(item.id)) {
          return sendError(
            reply,
            400,
            null,
            RpcCode.INVALID_REQUEST,
            `Invalid Request: request id ${JSON.stringify(item.id)} is already in flight (duplicate id)`,
          );
        }
        ids.push(item.id);
      }
    }
    // Invalid elements are answered inside the batch's reply array; a batch without requests is answered 202.
    const answered = items.length === 0 || items.some((item) => !(isObject(item) && typeof item.method === 'string'));
    if (ids.length === 0 && !answered) {
      transport.dispatch(text, undefined);
      reply.code(202).send();
      return reply;
    }
    const exchange = new Exchange({ reply, accepts: acc, ids, streamId: transport.newStreamId(), host: transport });
    transport.dispatch(text, exchange);
    return reply;
  }

  // ---- modern

  async #modern(
    req: RequestLike,
    reply: ReplyLike,
    text: string,
    message: JsonObject,
    acc: Accepts,
    principal: unknown,
  ): Promise<ReplyLike> {
    const id = message.id;
    const isRequest = typeof message.method === 'string' && id !== undefined;
    if (!isRequest) {
      if (typeof message.method === 'string' || message.result !== undefined || message.error !== undefined) {
        // A stateless server has nothing to route a notification or a response to (cancellation of a 2026-07-28
        // request is closing its response stream): accepted and dropped.
        const problem = modernHeaderProblem(req.headers, message);
        if (problem) return sendError(reply, problem.status, null, problem.code, problem.message);
        reply.code(202).send();
        return reply;
      }
      return sendError(reply, 400, null, RpcCode.INVALID_REQUEST, 'Invalid Request: not a JSON-RPC message');
    }
    if (!isRequestId(id)) {
      return sendError(reply, 400, null, RpcCode.INVALID_REQUEST, 'Invalid Request: "id" must be a string or a number');
    }
    if (!hasModernClaim(message)) {
      const body = rpcErrorBody(
        id,
        RpcCode.INVALID_PARAMS,
        `Request is missing the required _meta envelope for protocol revision 2026-07-28 (${META.PROTOCOL_VERSION}, ${META.CLIENT_CAPABILITIES})`,
        { envelope: { key: META.PROTOCOL_VERSION, problem: 'missing' } },
      );
      reply.code(400).header('content-type', 'application/json').send(body);
      return reply;
    }
    const problem = modernHeaderProblem(req.headers, message);
    if (problem) return sendError(reply, problem.status, id, problem.code, problem.message);
    const params = message.params;
    if (message.method === 'tools/call' && isObject(params) && typeof params.name === 'string') {
      const found = this.#toolHeaders.params(params.name);
      const mirrored = found instanceof Promise ? await found : found;
      if (mirrored.length > 0) {
        const custom = customHeaderProblem(req.headers, mirrored, params.arguments);
        if (custom) return sendError(reply, custom.status, id, custom.code, custom.message);
      }
    }
    if (message.method === 'subscriptions/listen' && !acc.sse) {
      return sendError(reply, 406, id, HTTP_ERROR, 'Not Acceptable: subscriptions/listen answers text/event-stream');
    }
    const transport = new RequestTransport(id);
    const host = new ModernHost(this.#ticker, this.options.maxPendingBytes, this.#log);
    const exchange = new Exchange({ reply, accepts: acc, ids: [id], streamId: 'r', host, statusOf: modernStatusOf });
    transport.bind(exchange);
    let session: ServerSession;
    try {
      session = await this.#connect(transport);
    } catch (err) {
      return sendError(reply, 503, id, HTTP_ERROR, `Service Unavailable: ${(err as Error).message}`);
    }
    host.session = session;
    this.#modernSessions.add(session);
    session.onclose = () => this.#modernSessions.delete(session);
    PRINCIPALS.set(session, principal);
    transport.dispatch(text);
    return reply;
  }

  // ---- GET

  async get(req: RequestLike, reply: ReplyLike): Promise<ReplyLike> {
    const sessionId = header(req.headers['mcp-session-id']);
    if (!this.options.legacy || (sessionId === undefined && modernHeader(req.headers['mcp-protocol-version']))) {
      return sendError(reply, 405, null, HTTP_ERROR, 'Method Not Allowed: 2026-07-28 has no GET stream', {
        allow: 'POST',
      });
    }
    if (!accepts(req.headers.accept).sse) {
      return sendError(reply, 406, null, HTTP_ERROR, 'Not Acceptable: Accept must allow text/event-stream');
    }
    if (sessionId === undefined) {
      return sendError(reply, 400, null, HTTP_ERROR, 'Bad Request: Mcp-Session-Id header is required');
    }
    const transport = this.#sessions.get(sessionId);
    if (transport === undefined || transport.closed) {
      return sendError(reply, 404, null, SESSION_NOT_FOUND, 'Session not found');
    }
    const session = transport.session as ServerSession;
    const problem = legacyVersionProblem(req.headers['mcp-protocol-version'], session.protocolVersion);
    if (problem) return sendError(reply, problem.status, null, problem.code, problem.message);
    transport.lastActive = Date.now();
    const lastEventId = header(req.headers['last-event-id']);
    if (lastEventId !== undefined && this.eventStore !== undefined) {
      let replay: Awaited<ReturnType<EventStore['replay']>>;
      try {
        replay = await this.eventStore.replay(sessionId, lastEventId);
      } catch (err) {
        this.#log(err as Error);
        replay = undefined;
      }
      if (replay !== undefined) {
        if (replay.streamId === STANDALONE_STREAM && transport.hasStandalone) return this.#conflict(reply);
        if (transport.closed) return sendError(reply, 404, null, SESSION_NOT_FOUND, 'Session not found');
        reply.hijack();
        const stream = new SseStream(reply.raw, {});
        for (const e of replay.events) if (e.message !== '') stream.event(e.id, e.message);
        if (replay.streamId === STANDALONE_STREAM) {
          transport.setStandalone(stream);
        } else {
          const exchange = transport.openExchange(replay.streamId);
          if (exchange === undefined)
            stream.end(); // that POST got its reply: all of it was replayed
          else {
            transport.streamOpened(stream);
            exchange.attach(stream);
          }
        }
        return reply;
      }
    }
    if (transport.hasStandalone) return this.#conflict(reply);
    reply.hijack();
    transport.setStandalone(new SseStream(reply.raw, {}));
    return reply;
  }

  #conflict(reply: ReplyLike): ReplyLike {
    return sendError(reply, 409, null, HTTP_ERROR, 'Conflict: this session already has an open GET stream');
  }

  // ---- DELETE

  async delete(req: RequestLike, reply: ReplyLike): Promise<ReplyLike> {
    const sessionId = header(req.headers['mcp-session-id']);
    if (!this.options.legacy || (sessionId === undefined && modernHeader(req.headers['mcp-protocol-version']))) {
      return sendError(reply, 405, null, HTTP_ERROR, 'Method Not Allowed: 2026-07-28 has no sessions to delete', {
        allow: 'POST',
      });
    }
    if (sessionId === undefined) {
      return sendError(reply, 400, null, HTTP_ERROR, 'Bad Request: Mcp-Session-Id header is required');
    }
    const transport = this.#sessions.get(sessionId);
    if (transport === undefined || transport.closed) {
      return sendError(reply, 404, null, SESSION_NOT_FOUND, 'Session not found');
    }
    this.#sessions.delete(sessionId);
    await transport.session?.close();
    reply.code(200).send();
    return reply;
  }

  // ---- lifetime

  #sweep(): void {
    const idle = this.options.sessionIdleTimeoutMs;
    const before = Date.now() - idle;
    for (const [id, transport] of this.#sessions) {
      if (transport.lastActive < before && !transport.busy) {
        this.#sessions.delete(id);
        void transport.session?.close();
      }
    }
  }

  /** Ends every session and stream (the McpServer itself stays open: it may serve other transports). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#toolHeaders.close();
    const sessions = [...this.#sessions.values()].map((t) => t.session?.close());
    this.#sessions.clear();
    const modern = [...this.#modernSessions].map((s) => s.close());
    await Promise.all([...sessions, ...modern]);
    this.#ticker.close();
  }
}
