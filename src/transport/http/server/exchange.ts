/**
 * One POST that carries requests, and the answer it is waiting for. The answer is chosen lazily: when the reply is the
 * first message for it, it goes out as one `application/json` body (cheapest, compressible); when a notification or a
 * server→client request comes first (progress, a log line, sampling), the response turns into an SSE stream — or is
 * SSE from the start when the client accepts only `text/event-stream`.
 */

import type { RequestId } from '../../../protocol/jsonrpc.js';
import type { Accepts } from './headers.js';
import { type RawResponse, SseStream } from './sse.js';

/** What an exchange needs from the transport that owns it. */
export interface ExchangeHost {
  /** The SSE event id of `message` on stream `streamId` (stored for Last-Event-ID), or undefined (no resumability). */
  eventId(streamId: string, message: string): string | undefined;
  /** An SSE stream opened for the exchange (keep-alive, pending-bytes accounting). */
  streamOpened(stream: SseStream): void;
  /** Bytes were written to `stream`: the host checks its pending-bytes bound. */
  wrote(stream: SseStream): void;
  /** The exchange got its reply (or was abandoned). */
  finished(exchange: Exchange): void;
  /** The client went away before the reply. */
  gone(exchange: Exchange): void;
}

/** The parts of a fastify reply an exchange uses (fastify's own type differs between HTTP/1 and HTTP/2 servers). */
export interface ReplyLike {
  readonly raw: RawResponse & { readonly writableFinished: boolean };
  code(status: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(payload?: string): unknown;
  hijack(): unknown;
  readonly sent: boolean;
}

export type ExchangeState = 'pending' | 'json' | 'sse' | 'finished';

export class Exchange {
  /** The request ids this POST carried (one, or a 2025-03-26 batch's). */
  readonly ids: readonly RequestId[];
  readonly streamId: string;
  #state: ExchangeState = 'pending';
  #sse: SseStream | undefined;
  readonly #reply: ReplyLike;
  readonly #accepts: Accepts;
  readonly #headers: Record<string, string>;
  readonly #host: ExchangeHost;
  readonly #statusOf: ((text: string) => number) | undefined;
  /** Sent first on a new SSE stream when set (2025-11-25 priming event). */
  readonly #prime: boolean;
  /** The priming event's `retry:` hint, ms (0: none). */
  readonly #retryMs: number;
  #gone = false;

  constructor(init: {
    reply: ReplyLike;
    accepts: Accepts;
    ids: readonly RequestId[];
    streamId: string;
    host: ExchangeHost;
    /** Response headers (Mcp-Session-Id, …); a function is evaluated when the answer is committed. */
    headers?: () => Record<string, string>;
    /** HTTP status of a JSON reply (modern errors are 400/404); default 200. */
    statusOf?: (text: string) => number;
    prime?: boolean;
    retryMs?: number;
  }) {
    this.#reply = init.reply;
    this.#accepts = init.accepts;
    this.ids = init.ids;
    this.streamId = init.streamId;
    this.#host = init.host;
    this.#statusOf = init.statusOf;
    this.#prime = init.prime ?? false;
    this.#retryMs = init.retryMs ?? 0;
    this.#headerFn = init.headers;
    this.#headers = {};
    init.reply.raw.on('close', () => {
      if (this.#state === 'finished' || init.reply.raw.writableFinished) return;
      this.#gone = true;
      this.#host.gone(this);
    });
  }

  readonly #headerFn: (() => Record<string, string>) | undefined;

  get state(): ExchangeState {
    return this.#state;
  }

  /** The client closed the connection before the reply. */
  get gone(): boolean {
    return this.#gone;
  }

  get stream(): SseStream | undefined {
    return this.#sse;
  }

  /**
   * A message for this POST. `final` marks its reply (the response, or a batch's array). Returns false when it cannot be
   * carried: the client accepts JSON only and the message is not the reply, or the exchange is over.
   */
  deliver(text: string, final: boolean): boolean {
    if (this.#state === 'finished') return false;
    if (this.#state === 'pending') {
      if (final && this.#accepts.json) {
        this.#json(text);
        return true;
      }
      if (!this.#accepts.sse) return false;
      this.#openSse();
    }
    this.#event(text);
    if (final) this.#finish();
    return true;
  }

  /** A resumed stream (GET with Last-Event-ID) takes over from the broken one. */
  attach(stream: SseStream): void {
    this.#sse = stream;
    this.#state = 'sse';
  }

  /**
   * SSE polling (2025-11-25): ends the connection now but not the exchange. Later events wait in the event store, and
   * the client resumes with GET + Last-Event-ID (the priming event gave it an id). Only for a primed stream, else
   * nothing could be resumed: returns false.
   */
  detach(): boolean {
    if (this.#state === 'finished' || this.#gone || !this.#prime) return false;
    if (this.#state === 'pending') {
      if (!this.#accepts.sse) return false;
      this.#openSse();
    }
    if (this.#sse === undefined) return false;
    this.#sse.end();
    return true;
  }

  /** Ends the exchange without its reply (the session ended): a pending POST gets `status` with `errorBody`. */
  abort(status: number, errorBody: string): void {
    if (this.#state === 'finished') return;
    if (this.#state === 'pending' && !this.#gone && !this.#reply.sent) {
      this.#reply.code(status).header('content-type', 'application/json').send(errorBody);
    }
    this.#finish();
  }

  /**
   * The client cancelled the request (notifications/cancelled): no reply will come. An SSE answer ends; a pending one
   * is answered with an empty SSE stream (or 204 for a JSON-only client), so that the POST does not hang.
   */
  cancel(): void {
    if (this.#state === 'finished') return;
    if (this.#state === 'pending' && !this.#gone && !this.#reply.sent) {
      if (this.#accepts.sse) this.#openSse();
      else this.#reply.code(204).send();
    }
    this.#finish();
  }

  #json(text: string): void {
    this.#state = 'json';
    if (!this.#gone) {
      const reply = this.#reply.code(this.#statusOf?.(text) ?? 200).header('content-type', 'application/json');
      for (const [k, v] of Object.entries(this.#committedHeaders())) reply.header(k, v);
      reply.send(text);
    }
    this.#state = 'finished';
    this.#host.finished(this);
  }

  #committedHeaders(): Record<string, string> {
    return this.#headerFn ? { ...this.#headers, ...this.#headerFn() } : this.#headers;
  }

  #openSse(): void {
    this.#state = 'sse';
    if (this.#gone) return;
    this.#reply.hijack();
    const stream = new SseStream(this.#reply.raw, this.#committedHeaders());
    this.#sse = stream;
    this.#host.streamOpened(stream);
    if (this.#prime) {
      const id = this.#host.eventId(this.streamId, '');
      if (id !== undefined) stream.prime(id, this.#retryMs > 0 ? this.#retryMs : undefined);
    }
  }

  #event(text: string): void {
    const id = this.#host.eventId(this.streamId, text);
    const stream = this.#sse;
    if (stream === undefined || stream.closed) return; // kept in the event store (when there is one) for a resume
    stream.event(id, text);
    this.#host.wrote(stream);
  }

  #finish(): void {
    if (this.#state === 'finished') return;
    this.#state = 'finished';
    this.#sse?.end();
    this.#host.finished(this);
  }
}
