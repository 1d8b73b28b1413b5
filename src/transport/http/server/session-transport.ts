/**
 * The legacy era's Transport: one per Mcp-Session-Id, under one McpServer session for the session's whole life. Each
 * outbound message goes where it belongs: by its related request id to the POST that carried that request (its
 * response, progress, handler logs, sampling / elicitation requests), else to the session's GET stream. Every SSE
 * event gets a session-wide increasing id and is kept in the event store, so that a client whose stream broke can
 * resume it (GET + Last-Event-ID), and a consumer that stops reading is cut off at maxPendingBytes instead of
 * buffering without bound.
 */

import { ErrorCode, NmcpError } from '../../../errors.js';
import type { RequestId } from '../../../protocol/jsonrpc.js';
import type { ServerSession } from '../../../server/server-session.js';
import type { Transport, TransportSink } from '../../types.js';
import type { EventStore } from './event-store.js';
import type { Exchange, ExchangeHost } from './exchange.js';
import { isRequest, isResponse, isResponseTo } from './outbound.js';
import type { KeepAliveTicker, SseStream } from './sse.js';

/** The stream id of the session's GET stream (POST streams are numbered from 1). */
export const STANDALONE_STREAM = '0';

export interface SessionTransportInit {
  readonly sessionId: string;
  readonly eventStore: EventStore | undefined;
  readonly maxPendingBytes: number;
  readonly ticker: KeepAliveTicker;
  readonly onError: (error: Error) => void;
}

export class SessionTransport implements Transport, ExchangeHost {
  readonly kind = 'http';
  readonly sessionId: string;
  /** The McpServer session over this transport (set once connected). */
  session: ServerSession | undefined;
  /** Date.now() of the last request (idle expiry). */
  lastActive = Date.now();
  #sink: TransportSink | undefined;
  /** In-flight request id → the POST that carries it. */
  readonly #byRequest = new Map<RequestId, Exchange>();
  /** POSTs whose reply is not sent yet, by stream id (a resumed GET finds its stream here). */
  readonly #open = new Map<string, Exchange>();
  /** The POST being dispatched right now: replies the session writes synchronously without a request id go to it. */
  #current: Exchange | undefined;
  #standalone: SseStream | undefined;
  /** Open SSE streams (standalone and POST), for the pending-bytes bound. */
  readonly #streams = new Set<SseStream>();
  #nextEvent = 1;
  #nextStream = 1;
  #closed = false;
  readonly #init: SessionTransportInit;

  constructor(init: SessionTransportInit) {
    this.#init = init;
    this.sessionId = init.sessionId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the session has work in progress or a client attached (not idle). */
  get busy(): boolean {
    return this.#open.size > 0 || (this.#standalone !== undefined && !this.#standalone.closed);
  }

  get hasStandalone(): boolean {
    return this.#standalone !== undefined && !this.#standalone.closed;
  }

  async start(sink: TransportSink): Promise<void> {
    this.#sink = sink;
  }

  /** A fresh stream id for a POST. */
  newStreamId(): string {
    return String(this.#nextStream++);
  }

  /** Whether `id` is a request in flight on this session (a second POST with it would be a duplicate). */
  inFlight(id: RequestId): boolean {
    return this.#byRequest.has(id);
  }

  /** Hands one POST body to the session; replies to its requests go to `exchange`. */
  dispatch(text: string, exchange: Exchange | undefined): void {
    this.lastActive = Date.now();
    if (exchange !== undefined) {
      for (const id of exchange.ids) this.#byRequest.set(id, exchange);
      this.#open.set(exchange.streamId, exchange);
    }
    this.#current = exchange;
    try {
      this.#sink?.message(text);
    } finally {
      this.#current = undefined;
    }
  }

  /**
   * After a notifications/cancelled for `id` was dispatched: if the request is still waiting, the session will never
   * reply to it (a cancelled request gets no response), so its POST is ended now. A batch still gets its array.
   */
  cancelled(id: RequestId): void {
    const exchange = this.#byRequest.get(id);
    if (exchange === undefined || exchange.ids.length !== 1) return;
    this.#byRequest.delete(id);
    exchange.cancel();
  }

  /** Closes the SSE connection of the POST carrying request `id`, keeping the request (SSE polling). */
  closeStream(id: RequestId): boolean {
    return this.#byRequest.get(id)?.detach() ?? false;
  }

  /** The unfinished POST whose stream is `streamId`. */
  openExchange(streamId: string): Exchange | undefined {
    return this.#open.get(streamId);
  }

  /** Makes `stream` the session's GET stream. */
  setStandalone(stream: SseStream): void {
    this.#standalone = stream;
    this.streamOpened(stream);
  }

  send(message: string, relatedRequestId?: RequestId): boolean {
    if (this.#closed) return false;
    if (relatedRequestId !== undefined) {
      const exchange = this.#byRequest.get(relatedRequestId);
      if (exchange !== undefined) {
        const final = message.charCodeAt(0) === 0x5b /* [ */ || isResponseTo(message, relatedRequestId);
        if (final) for (const id of exchange.ids) this.#byRequest.delete(id);
        if (exchange.deliver(message, final)) return true;
        // A JSON-only client cannot take a notification before its reply: dropped. A request goes to the GET stream.
        if (!isRequest(message)) return true;
      }
    } else if (this.#current !== undefined && isResponse(message)) {
      const exchange = this.#current;
      for (const id of exchange.ids) this.#byRequest.delete(id);
      exchange.deliver(message, true);
      return true;
    }
    return this.#toStandalone(message);
  }

  #toStandalone(message: string): boolean {
    const stream = this.#standalone;
    const open = stream !== undefined && !stream.closed;
    // Without a GET stream a server→client request could never be answered: refuse it, so that the handler fails now
    // instead of at its timeout. A notification is kept for a resume (or dropped when there is no event store).
    if (!open && isRequest(message)) return false;
    const id = this.eventId(STANDALONE_STREAM, message);
    if (open) {
      stream.event(id, message);
      this.wrote(stream);
    }
    return true;
  }

  // ---- ExchangeHost

  eventId(streamId: string, message: string): string | undefined {
    const store = this.#init.eventStore;
    if (store === undefined) return undefined;
    const id = String(this.#nextEvent++);
    try {
      store.append(this.sessionId, streamId, id, message);
    } catch (err) {
      this.#init.onError(err as Error);
    }
    return id;
  }

  streamOpened(stream: SseStream): void {
    this.#streams.add(stream);
    this.#init.ticker.add(stream);
    stream.res.on('close', () => {
      this.#streams.delete(stream);
      this.#init.ticker.delete(stream);
      this.lastActive = Date.now();
    });
  }

  wrote(stream: SseStream): void {
    if (stream.pendingBytes < this.#init.maxPendingBytes / 4) return; // the common case: the client keeps up
    let total = 0;
    for (const s of this.#streams) total += s.pendingBytes;
    if (total <= this.#init.maxPendingBytes) return;
    stream.destroy();
    this.#init.onError(
      new NmcpError(
        ErrorCode.WRITE_QUEUE_FULL,
        `HTTP session ${this.sessionId.slice(0, 8)}…: the client is not reading its SSE stream (${total} bytes pending, over maxPendingBytes ${this.#init.maxPendingBytes}); the stream was closed (events stay resumable with Last-Event-ID)`,
        { pendingBytes: total, maxPendingBytes: this.#init.maxPendingBytes },
      ),
    );
  }

  finished(exchange: Exchange): void {
    this.#open.delete(exchange.streamId);
    for (const id of exchange.ids) {
      if (this.#byRequest.get(id) === exchange) this.#byRequest.delete(id);
    }
    this.lastActive = Date.now();
  }

  gone(_exchange: Exchange): void {
    // The legacy era keeps the request running (a disconnect is not a cancellation, spec 2025-11-25): its messages go
    // on into the event store, and a GET with Last-Event-ID resumes the stream.
    this.lastActive = Date.now();
  }

  async close(reason?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found: the session ended' },
    });
    for (const exchange of [...this.#open.values()]) exchange.abort(404, body);
    this.#open.clear();
    this.#byRequest.clear();
    this.#standalone?.end();
    for (const s of this.#streams) s.end();
    this.#streams.clear();
    this.#init.eventStore?.deleteSession(this.sessionId);
    this.#sink?.closed(reason);
  }
}
