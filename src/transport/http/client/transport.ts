import { setMaxListeners } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import { ErrorCode, NmcpError } from '../../../errors.js';
import type { RequestId } from '../../../protocol/jsonrpc.js';
import type { Transport, TransportSink } from '../../types.js';
import { authChallenge, checkedHeader, type HttpClientAuth } from './auth.js';
import { createPool } from './dispatcher.js';
import { statusError, synthesizedError } from './http-error.js';
import { negotiatedVersion, responseIds } from './inbound.js';
import { Inbox } from './inbox.js';
import {
  type ResolvedHttpClientOptions,
  resolveHttpClientOptions,
  type StreamableHttpClientTransportOptions,
} from './options.js';
import { encodeHeaderValue, inspectOutbound, type Outbound } from './outbound.js';
import { type ParamDeclaration, paramHeaders, scanParamDeclarations } from './param-headers.js';
import { type EventSourceMessage, readSse } from './sse.js';

type Body = Dispatcher.ResponseData['body'];
type Headers = Record<string, string>;

/** One SSE stream as the transport follows it, across the GET reconnects that resume it. */
interface Stream {
  /** 'post': a request's response stream; 'get': the standalone server→client stream (legacy era). */
  readonly kind: 'post' | 'get';
  /** Requests whose response has not arrived on it yet. */
  readonly pending: Set<RequestId>;
  /** MCP-Protocol-Version of the message that opened it (sent again on a resuming GET). */
  readonly protocolVersion: string | undefined;
  lastEventId: string | undefined;
  /** The server's `retry:` field, ms. */
  retryMs: number | undefined;
  /** Consecutive reconnects that brought nothing new. */
  attempts: number;
  /** Whether the current connection of this stream delivered something new (an event id or data). */
  progressed: boolean;
  /** The body being read, while connected. */
  body: Body | undefined;
  /** Closed on purpose (the request was cancelled): not resumed. */
  cancelled: boolean;
}

const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream';
/** Network failures that mean the server cannot be reached at all (fatal when nothing was ever answered). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The client side of MCP's Streamable HTTP transport, both eras (docs/http-client.md, docs/mcp-eras.md §3.11), on one
 * undici Pool per transport:
 *
 * - every outgoing message is a POST; a JSON response is delivered as is, an SSE response's `message` events in order,
 *   a 202 is nothing;
 * - legacy era: captures `Mcp-Session-Id` from the initialize response and the negotiated version from its result, and
 *   sends both on every later request; opens the standalone GET stream after `notifications/initialized`; a 404 to a
 *   request that carried the session id closes the transport (NMCP_ERR_HTTP_SESSION_EXPIRED); close() sends DELETE;
 * - modern era (a message whose `_meta` claims a protocol version): stateless; the POST carries
 *   `MCP-Protocol-Version`, `Mcp-Method` and, for tools/call, prompts/get and resources/read, `Mcp-Name`;
 * - an SSE stream that drops before its response arrived is resumed with GET + `Last-Event-ID` (the server's `retry:`
 *   delay, else backoff; `reconnectAttempts` consecutive failures at most), and so is the standalone GET stream;
 * - an HTTP failure of a request becomes a JSON-RPC error response for it (the server's, if its body is one), so the
 *   caller's request fails instead of waiting for its timeout.
 */
export class StreamableHttpClientTransport implements Transport {
  readonly kind = 'http';
  readonly #options: ResolvedHttpClientOptions;
  readonly #path: string;
  /** Aborts every request and stream when the transport closes. */
  readonly #abort = new AbortController();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Response streams of requests, by request id (closed when the request is cancelled). */
  readonly #streams = new Map<RequestId, Stream>();
  #pool: Pool | undefined;
  #sink: TransportSink | undefined;
  #inbox: Inbox | undefined;
  #closing: Promise<void> | undefined;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #initializeId: RequestId | undefined;
  #standalone: Stream | undefined;
  /** Requests whose POST has not got its response headers yet. */
  readonly #awaitingHeaders = new Set<RequestId>();
  /** Of those, the ones cancelled meanwhile: a stream that then opens for them is closed at once. */
  readonly #cancelledEarly = new Set<RequestId>();
  /** x-mcp-header declarations by tool name, learnt from the modern tools/list results this transport carried. */
  readonly #toolParams = new Map<string, ParamDeclaration[]>();
  /** Modern tools/list requests whose result is awaited (to learn the declarations). */
  readonly #toolLists = new Set<RequestId>();
  /** Whether the server ever answered: before that, an unreachable server is fatal. */
  #answered = false;
  /** An auth.unauthorized() call in progress, shared by the requests a 401 refused meanwhile. */
  #renewal: Promise<boolean> | undefined;

  constructor(url: string | URL, options?: StreamableHttpClientTransportOptions) {
    this.#options = resolveHttpClientOptions(url, options);
    this.#path = `${this.#options.url.pathname}${this.#options.url.search}`;
    // One listener per request in flight; more than Node's default of 10 is normal here, not a leak.
    setMaxListeners(0, this.#abort.signal);
  }

  /** The validated options (defaults filled in). */
  get options(): Readonly<ResolvedHttpClientOptions> {
    return this.#options;
  }

  /** The legacy-era session id the server assigned at initialize, if any. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** The legacy-era protocol version learnt from the initialize result (sent as MCP-Protocol-Version). */
  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  async start(sink: TransportSink): Promise<void> {
    if (this.#sink)
      throw new NmcpError(ErrorCode.INVALID_STATE, 'StreamableHttpClientTransport.start() was called twice');
    if (this.#closing) throw new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the transport is closed');
    this.#sink = sink;
    this.#inbox = new Inbox(sink);
    const pool = await createPool(this.#options);
    if (this.#closing) {
      await pool.close();
      throw new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the transport was closed while it started');
    }
    this.#pool = pool;
  }

  send(message: string): boolean {
    if (!this.#pool || this.#closing) return false;
    const out = inspectOutbound(message);
    if (out.method === 'initialize' && out.requestIds.length === 1) this.#initializeId = out.requestIds[0];
    if (out.modern && out.method === 'tools/list' && out.requestIds.length === 1) {
      this.#toolLists.add(out.requestIds[0] as RequestId);
    }
    if (out.cancels !== undefined) this.#cancelStream(out.cancels);
    this.#guard(this.#post(message, out));
    return true;
  }

  close(reason?: Error): Promise<void> {
    return this.#shutdown(reason, true);
  }

  /**
   * Posts one legacy-era message as bytes on this transport's session (its `Mcp-Session-Id`, `MCP-Protocol-Version`
   * and custom headers) and hands each message of the answer — a JSON body, or the `message` events of an SSE
   * response — to `onMessage` as UTF-8 bytes, never parsed; nothing reaches the transport's own sink. For a gateway
   * forwarding frames (src/gateway/http-link.ts). Resolves when the response has ended (a 202 ends at once); rejects
   * with an NmcpError on a network failure, a status outside 2xx (naming it, with the start of the body), an
   * unexpected Content-Type, or a body over maxMessageSize. A 404 to the session closes the transport too
   * (NMCP_ERR_HTTP_SESSION_EXPIRED), as it would for send(). An SSE stream that drops is not resumed on this path.
   */
  postBytes(message: Uint8Array, onMessage: (message: Buffer) => void): Promise<void> {
    return this.#postBytes(message, onMessage, false);
  }

  /** postBytes; `retried`: this is the one retry after auth.unauthorized() renewed the token. */
  async #postBytes(message: Uint8Array, onMessage: (message: Buffer) => void, retried: boolean): Promise<void> {
    const pool = this.#pool;
    if (!pool || this.#closing) throw new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the transport is closed');
    const headers = this.#headers(undefined);
    headers.accept = `${JSON_TYPE}, ${SSE_TYPE}`;
    headers['content-type'] = JSON_TYPE;
    const sentSession = headers['mcp-session-id'];
    if (this.#options.auth) await this.#authorize(headers);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#postRequest(pool, headers, message);
    } catch (err) {
      const e = err as Error & { code?: unknown };
      throw new NmcpError(
        ErrorCode.CONNECT_FAILED,
        `the HTTP request failed: ${e.message}`,
        { url: this.#options.url.href, code: e.code },
        { cause: e },
      );
    }
    this.#answered = true;
    const { statusCode } = res;
    if (statusCode === 404 && sentSession !== undefined) {
      res.body.destroy();
      this.#sessionExpired('POST');
      throw new NmcpError(ErrorCode.HTTP_SESSION_EXPIRED, `the server no longer knows session ${sentSession}`, {
        sessionId: sentSession,
        httpStatus: 404,
      });
    }
    if (!retried && (await this.#renewed(res))) return this.#postBytes(message, onMessage, true);
    if (statusCode < 200 || statusCode >= 300) {
      const body = await this.#readBody(res.body).then(
        (b) => b.toString('utf8', 0, Math.min(b.length, 200)),
        () => '',
      );
      throw new NmcpError(
        ErrorCode.HTTP_STATUS,
        `HTTP ${statusCode} ${statusText(statusCode)}${body ? `: ${body}` : ''}`,
        { httpStatus: statusCode },
      );
    }
    const type = mediaType(res.headers);
    if (statusCode === 202 || statusCode === 204) {
      await res.body.dump().catch(() => {});
      return;
    }
    if (type === SSE_TYPE) {
      await readSse(res.body as AsyncIterable<Buffer>, this.#options.maxMessageSize, {
        event: (event) => {
          if (event.data && (event.event === undefined || event.event === 'message')) {
            onMessage(Buffer.from(event.data, 'utf8'));
          }
        },
        retry: () => {},
      });
      return;
    }
    if (type === JSON_TYPE) {
      onMessage(await this.#readBody(res.body));
      return;
    }
    await res.body.dump().catch(() => {});
    throw new NmcpError(ErrorCode.HTTP_STATUS, `unexpected response Content-Type ${JSON.stringify(type ?? null)}`, {
      httpStatus: statusCode,
    });
  }

  /**
   * Runs a request's handling in the background. Every expected failure is handled inside; anything else (a sink
   * callback that threw) closes the transport with it rather than becoming an unhandled rejection.
   */
  #guard(work: Promise<void>): void {
    work.catch((err: unknown) => {
      void this.#shutdown(err instanceof Error ? err : new Error(String(err)), false);
    });
  }

  // ---- POST

  async #post(message: string, out: Outbound, retried = false): Promise<void> {
    const pool = this.#pool as Pool;
    const headers = this.#headers(out.modern?.version);
    headers.accept = `${JSON_TYPE}, ${SSE_TYPE}`;
    headers['content-type'] = JSON_TYPE;
    if (out.modern && out.method !== undefined) {
      headers['mcp-method'] = out.method;
      if (out.modern.name !== undefined) headers['mcp-name'] = encodeHeaderValue(out.modern.name);
      const declarations =
        out.method === 'tools/call' && out.modern.name !== undefined && this.#toolParams.get(out.modern.name);
      if (declarations) Object.assign(headers, paramHeaders(declarations, out.modern.arguments));
    }
    const sentSession = headers['mcp-session-id'];
    if (this.#options.auth) {
      try {
        await this.#authorize(headers);
      } catch (err) {
        this.#failRequests(out.requestIds, `auth.header() failed: ${(err as Error).message}`, {});
        return;
      }
    }
    for (const id of out.requestIds) this.#awaitingHeaders.add(id);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#postRequest(pool, headers, message);
    } catch (err) {
      const cancelled = this.#headersArrived(out.requestIds);
      this.#networkFailure(
        err,
        out.requestIds.filter((id) => !cancelled.has(id)),
      );
      return;
    }
    const cancelled = this.#headersArrived(out.requestIds);
    this.#answered = true;
    if (this.#closing) {
      res.body.destroy();
      return;
    }
    const { statusCode } = res;
    if (statusCode === 404 && sentSession !== undefined) {
      res.body.destroy();
      this.#sessionExpired(`POST ${out.method ?? 'message'}`);
      return;
    }
    if (!retried && cancelled.size < Math.max(1, out.requestIds.length) && (await this.#renewed(res))) {
      return this.#post(message, out, true);
    }
    if (statusCode < 200 || statusCode >= 300) {
      await this.#httpError(res, out.requestIds);
      return;
    }
    if (out.method === 'initialize' && !out.modern) {
      const sid = header(res.headers, 'mcp-session-id');
      if (sid !== undefined) this.#sessionId = sid;
    }
    const type = mediaType(res.headers);
    if (statusCode === 202 || statusCode === 204 || out.requestIds.length === 0) {
      await res.body.dump().catch(() => {});
      if (out.method === 'notifications/initialized' && !out.modern) this.#openStandalone();
      return;
    }
    if (type === SSE_TYPE) {
      const live = out.requestIds.filter((id) => !cancelled.has(id));
      if (live.length === 0) {
        // Cancelled while waiting for the headers: closing the stream is how the server learns it (modern era).
        res.body.destroy();
        this.#unwatch(out.requestIds);
        return;
      }
      const stream: Stream = {
        kind: 'post',
        pending: new Set(live),
        protocolVersion: headers['mcp-protocol-version'],
        lastEventId: undefined,
        retryMs: undefined,
        attempts: 0,
        progressed: false,
        body: undefined,
        cancelled: false,
      };
      for (const id of live) this.#streams.set(id, stream);
      await this.#follow(stream, res.body);
      return;
    }
    if (type === JSON_TYPE) {
      let text: string;
      try {
        text = await this.#readJson(res.body);
      } catch (err) {
        this.#failRequests(out.requestIds, `reading the response failed: ${(err as Error).message}`, {
          code: (err as NmcpError).code,
        });
        return;
      }
      // A response nobody waits for any more (its request was cancelled) would only be an unexpected response.
      if (cancelled.size === 0 || cancelled.size < out.requestIds.length) this.#deliver(text, undefined);
      else this.#unwatch(out.requestIds);
      return;
    }
    await res.body.dump().catch(() => {});
    this.#failRequests(out.requestIds, `unexpected response Content-Type ${JSON.stringify(type ?? null)}`, {
      httpStatus: statusCode,
    });
  }

  /** One POST of `body` to the endpoint, aborted when the transport closes. */
  #postRequest(pool: Pool, headers: Headers, body: string | Uint8Array): Promise<Dispatcher.ResponseData> {
    return pool.request({
      path: this.#path,
      method: 'POST',
      headers,
      body,
      signal: this.#abort.signal,
      // HTTP/2 multiplexes: undici keeps a non-idempotent request off a connection with others in flight, which
      // would serialize every POST of a connection (and queue one behind a long SSE response).
      idempotent: this.#options.httpVersion === '2',
    });
  }

  /** The response headers of a POST arrived (or it failed): returns which of its requests were cancelled meanwhile. */
  #headersArrived(requestIds: readonly RequestId[]): Set<RequestId> {
    const cancelled = new Set<RequestId>();
    for (const id of requestIds) {
      this.#awaitingHeaders.delete(id);
      if (this.#cancelledEarly.delete(id)) cancelled.add(id);
    }
    return cancelled;
  }

  /** Headers every request carries: the custom ones, and the session and version of the legacy era. */
  #headers(modernVersion: string | undefined): Headers {
    const headers: Headers = { ...this.#options.headers };
    if (modernVersion !== undefined) {
      headers['mcp-protocol-version'] = modernVersion;
      return headers;
    }
    if (this.#sessionId !== undefined) headers['mcp-session-id'] = this.#sessionId;
    if (this.#protocolVersion !== undefined) headers['mcp-protocol-version'] = this.#protocolVersion;
    return headers;
  }

  /** Sets the Authorization header from options.auth (call only when there is one). Throws what header() throws. */
  async #authorize(headers: Headers): Promise<void> {
    const value = checkedHeader(await (this.#options.auth as HttpClientAuth).header());
    if (value === undefined) delete headers.authorization;
    else headers.authorization = value;
  }

  /**
   * A 401 (or 403 insufficient_scope) and an auth.unauthorized hook that renewed the token: the body is discarded and
   * the caller retries once. Otherwise false, the response untouched.
   */
  async #renewed(res: Dispatcher.ResponseData): Promise<boolean> {
    const unauthorized = this.#options.auth?.unauthorized;
    if (unauthorized === undefined) return false;
    const challenge = authChallenge(res.statusCode, header(res.headers, 'www-authenticate'));
    if (challenge === undefined) return false;
    // Requests refused together (a token expired under several in flight) share one renewal.
    let renewal = this.#renewal;
    if (renewal === undefined) {
      const started = (async () => {
        try {
          return (await unauthorized.call(this.#options.auth, challenge)) === true;
        } catch {
          return false;
        }
      })();
      this.#renewal = renewal = started;
      void started.then(() => {
        if (this.#renewal === started) this.#renewal = undefined;
      });
    }
    const retry = (await renewal) && !this.#closing;
    if (retry) await res.body.dump().catch(() => {});
    return retry;
  }

  /** A JSON body, read to its end within timeoutMs and maxMessageSize. */
  async #readJson(body: Body): Promise<string> {
    return (await this.#readBody(body)).toString('utf8');
  }

  /** A body's bytes, read to its end within timeoutMs and maxMessageSize. */
  async #readBody(body: Body): Promise<Buffer> {
    const { timeoutMs, maxMessageSize } = this.#options;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            body.destroy(
              new NmcpError(ErrorCode.READ_TIMEOUT, `the response body did not arrive within ${timeoutMs} ms`, {
                timeoutMs,
              }),
            );
          }, timeoutMs)
        : undefined;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxMessageSize) {
          body.destroy();
          throw new NmcpError(
            ErrorCode.FRAME_TOO_LARGE,
            `the response body exceeds maxMessageSize (${maxMessageSize} B)`,
            {
              maxMessageSize,
              fatal: false,
            },
          );
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, size);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** A status outside 2xx: each request gets the server's JSON-RPC error, or one carrying the status and body. */
  async #httpError(res: Dispatcher.ResponseData, requestIds: readonly RequestId[]): Promise<void> {
    this.#unwatch(requestIds);
    let body = '';
    try {
      body = await this.#readJson(res.body);
    } catch {
      // The status alone still fails the request clearly.
    }
    for (const id of requestIds) this.#push(statusError(id, res.statusCode, statusText(res.statusCode), body));
  }

  #networkFailure(err: unknown, requestIds: readonly RequestId[]): void {
    if (this.#closing) return;
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    if (!this.#answered && typeof code === 'string' && UNREACHABLE.has(code)) {
      // Nothing was ever answered and the server cannot be reached: every later request would fail the same way.
      void this.#shutdown(
        new NmcpError(
          code === 'UND_ERR_CONNECT_TIMEOUT' ? ErrorCode.CONNECT_TIMEOUT : ErrorCode.CONNECT_FAILED,
          `could not reach ${this.#options.url.href}: ${e.message}`,
          { url: this.#options.url.href, code },
          { cause: e },
        ),
        false,
      );
      return;
    }
    this.#failRequests(requestIds, `the HTTP request failed: ${e.message}`, { code });
  }

  #failRequests(requestIds: readonly RequestId[], message: string, data: Record<string, unknown>): void {
    this.#unwatch(requestIds);
    for (const id of requestIds) this.#push(synthesizedError(id, message, data));
  }

  /** Requests answered locally carry no result to learn from: stop watching inbound messages for them. */
  #unwatch(requestIds: readonly RequestId[]): void {
    for (const id of requestIds) {
      if (id === this.#initializeId) this.#initializeId = undefined;
      this.#toolLists.delete(id);
    }
  }

  #sessionExpired(what: string): void {
    void this.#shutdown(
      new NmcpError(
        ErrorCode.HTTP_SESSION_EXPIRED,
        `the server no longer knows session ${this.#sessionId} (HTTP 404 to ${what}): the session expired or was ended; connect again`,
        { sessionId: this.#sessionId, url: this.#options.url.href },
      ),
      false,
    );
  }

  // ---- SSE streams

  /** Reads a stream's body; when it drops before its responses arrived, resumes it (or fails them). */
  async #follow(stream: Stream, body: Body): Promise<void> {
    stream.body = body;
    stream.progressed = false;
    let failure: Error | undefined;
    try {
      await readSse(body as AsyncIterable<Buffer>, this.#options.maxMessageSize, {
        event: (event) => this.#onEvent(stream, event),
        retry: (ms) => {
          stream.retryMs = ms;
        },
      });
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    stream.body = undefined;
    if (this.#closing || stream.cancelled) return this.#forget(stream);
    if (stream.kind === 'post' && stream.pending.size === 0) return this.#forget(stream);
    if (failure instanceof NmcpError && failure.code === ErrorCode.FRAME_TOO_LARGE) {
      // A resumed stream would replay the same event.
      return this.#giveUp(stream, failure.message);
    }
    if (stream.progressed) stream.attempts = 0;
    const why = failure ? `the SSE stream failed (${failure.message})` : 'the server ended the SSE stream';
    if (stream.kind === 'post' && stream.lastEventId === undefined) {
      return this.#giveUp(stream, `${why} before the response, without an event id to resume from`);
    }
    this.#reconnect(stream, why);
  }

  #onEvent(stream: Stream, event: EventSourceMessage): void {
    if (event.id !== undefined && event.id !== stream.lastEventId) {
      stream.lastEventId = event.id;
      stream.progressed = true;
    }
    if (!event.data || (event.event !== undefined && event.event !== 'message')) return;
    stream.progressed = true;
    this.#deliver(event.data, stream);
  }

  /** Delivers one inbound message, noting the responses it carries (the initialize result, a stream's pending ids). */
  #deliver(text: string, stream: Stream | undefined): void {
    const watching =
      this.#initializeId !== undefined || this.#toolLists.size > 0 || (stream !== undefined && stream.pending.size > 0);
    if (watching) {
      for (const { id, result } of responseIds(text)) {
        if (stream?.pending.delete(id)) this.#streams.delete(id);
        if (this.#toolLists.delete(id)) this.#learnTools(result);
        if (id === this.#initializeId) {
          this.#initializeId = undefined;
          // Set before the sink sees the result, so that notifications/initialized already carries it.
          const version = negotiatedVersion(result);
          if (version !== undefined) this.#protocolVersion = version;
        }
      }
    }
    this.#push(text);
  }

  #learnTools(result: unknown): void {
    const tools = typeof result === 'object' && result !== null ? (result as { tools?: unknown }).tools : undefined;
    if (!Array.isArray(tools)) return;
    for (const tool of tools) {
      const name = typeof tool === 'object' && tool !== null ? (tool as { name?: unknown }).name : undefined;
      if (typeof name !== 'string') continue;
      const declarations = scanParamDeclarations((tool as { inputSchema?: unknown }).inputSchema);
      if (declarations.length > 0) this.#toolParams.set(name, declarations);
      else this.#toolParams.delete(name);
    }
  }

  #push(text: string): void {
    if (!this.#closing) this.#inbox?.push(text);
  }

  #reconnect(stream: Stream, why: string): void {
    const { reconnectAttempts, reconnectDelayMs, reconnectMaxDelayMs } = this.#options;
    if (stream.attempts >= reconnectAttempts) {
      this.#giveUp(stream, `${why}, and ${reconnectAttempts} reconnect attempt(s) brought nothing`);
      return;
    }
    const delay = Math.min(
      stream.retryMs ?? Math.round(reconnectDelayMs * 1.5 ** stream.attempts),
      reconnectMaxDelayMs,
    );
    stream.attempts++;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#guard(this.#get(stream, why));
    }, delay);
    this.#timers.add(timer);
  }

  /** GET on the endpoint: the standalone stream, or the resumption of a dropped one (with Last-Event-ID). */
  async #get(stream: Stream, why: string, retried = false): Promise<void> {
    if (this.#closing || stream.cancelled) return this.#forget(stream);
    const headers = this.#headers(undefined);
    if (stream.protocolVersion !== undefined) headers['mcp-protocol-version'] = stream.protocolVersion;
    headers.accept = SSE_TYPE;
    if (stream.lastEventId !== undefined) headers['last-event-id'] = stream.lastEventId;
    const sentSession = headers['mcp-session-id'];
    let res: Dispatcher.ResponseData;
    try {
      if (this.#options.auth) await this.#authorize(headers);
      res = await (this.#pool as Pool).request({
        path: this.#path,
        method: 'GET',
        headers,
        signal: this.#abort.signal,
      });
    } catch (err) {
      if (this.#closing) return;
      return this.#reconnect(stream, `${why}; reconnecting failed (${(err as Error).message})`);
    }
    this.#answered = true;
    if (this.#closing || stream.cancelled) {
      res.body.destroy();
      return this.#forget(stream);
    }
    const { statusCode } = res;
    if (statusCode === 200 && mediaType(res.headers) === SSE_TYPE) return this.#follow(stream, res.body);
    if (!retried && (await this.#renewed(res))) return this.#get(stream, why, true);
    await res.body.dump().catch(() => {});
    if (statusCode === 404 && sentSession !== undefined) return this.#sessionExpired('GET');
    if (statusCode === 405) {
      // The server offers no GET stream: the standalone stream is optional; a dropped response stream is lost.
      return this.#giveUp(stream, `${why}, and the server does not allow GET to resume it (HTTP 405)`);
    }
    this.#reconnect(stream, `${why}; reconnecting got HTTP ${statusCode}`);
  }

  /** After notifications/initialized: the standalone GET stream for server→client messages (legacy era). */
  #openStandalone(): void {
    if (this.#standalone || this.#closing) return;
    const stream: Stream = {
      kind: 'get',
      pending: new Set(),
      protocolVersion: undefined,
      lastEventId: undefined,
      retryMs: undefined,
      attempts: 0,
      progressed: false,
      body: undefined,
      cancelled: false,
    };
    this.#standalone = stream;
    this.#guard(this.#get(stream, 'opening the GET stream'));
  }

  /** The stream is abandoned: its requests still waiting get an error response. */
  #giveUp(stream: Stream, why: string): void {
    this.#failRequests([...stream.pending], why, { lastEventId: stream.lastEventId ?? null });
    stream.pending.clear();
    this.#forget(stream);
  }

  #forget(stream: Stream): void {
    for (const id of stream.pending) this.#streams.delete(id);
    if (this.#standalone === stream) this.#standalone = undefined;
  }

  /** A cancelled request's response stream is closed: the server aborts the handler, and the connection is freed. */
  #cancelStream(id: RequestId): void {
    const stream = this.#streams.get(id);
    if (!stream) {
      if (this.#awaitingHeaders.has(id)) this.#cancelledEarly.add(id);
      return;
    }
    stream.pending.delete(id);
    this.#streams.delete(id);
    this.#unwatch([id]);
    if (stream.pending.size > 0) return;
    stream.cancelled = true;
    stream.body?.destroy();
  }

  // ---- close

  #shutdown(reason: Error | undefined, endSession: boolean): Promise<void> {
    this.#closing ??= (async () => {
      this.#inbox?.close();
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#abort.abort(reason ?? new Error('the transport was closed'));
      const pool = this.#pool;
      if (pool) {
        if (endSession && this.#sessionId !== undefined) await this.#deleteSession(pool);
        await pool.destroy().catch(() => {});
      }
      this.#sink?.closed(reason);
    })();
    return this.#closing;
  }

  /** DELETE ends the legacy session on the server; a 405 (the server does not allow it) or any failure is ignored. */
  async #deleteSession(pool: Pool): Promise<void> {
    const headers = this.#headers(undefined);
    const timeoutMs = this.#options.timeoutMs || 30_000;
    try {
      if (this.#options.auth) await this.#authorize(headers);
      const res = await pool.request({
        path: this.#path,
        method: 'DELETE',
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump().catch(() => {});
    } catch {
      // Closing goes on: the server expires the session by itself.
    }
  }
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The media type of the response, lower-cased, without parameters. */
function mediaType(headers: Dispatcher.ResponseData['headers']): string | undefined {
  const v = header(headers, 'content-type');
  if (v === undefined) return undefined;
  const semi = v.indexOf(';');
  return (semi === -1 ? v : v.slice(0, semi)).trim().toLowerCase();
}

function statusText(status: number): string {
  return STATUS_CODES[status] ?? '';
}
