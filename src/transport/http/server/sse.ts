/**
 * One Server-Sent Events response: `id:` + `data:` events (one JSON-RPC message each), `: keep-alive` comments from a
 * shared ticker, and the count of bytes written but not yet taken by the client (what backpressure decisions use).
 * Written straight to the raw HTTP/1.1 or HTTP/2 response, never through a compressor: an SSE stream must reach the
 * client event by event, and a compressor would hold events back until its block fills.
 */

/** What SSE needs of http.ServerResponse and http2.Http2ServerResponse (both have it). */
export interface RawResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  destroy(error?: Error): unknown;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  readonly headersSent: boolean;
  on(event: 'close', listener: () => void): unknown;
}

export class SseStream {
  readonly res: RawResponse;
  /** Date.now() of the last write (the keep-alive ticker skips streams written to recently). */
  lastWrite = 0;
  #closed = false;
  #onClose: (() => void) | undefined;

  constructor(res: RawResponse, headers: Record<string, string>, onClose?: () => void) {
    this.res = res;
    this.#onClose = onClose;
    res.on('close', () => this.#closed || this.#finish());
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...headers,
    });
    // HTTP/1.1 holds the head back until the first body write: send it now, so that the client sees the stream open.
    res.flushHeaders();
    this.lastWrite = Date.now();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written but not yet taken by the client (our buffer plus the socket's). */
  get pendingBytes(): number {
    return this.#closed ? 0 : this.res.writableLength;
  }

  /** Writes one event. `message` is one JSON text; a JSON text can hold raw newlines only as whitespace. */
  event(id: string | undefined, message: string): void {
    if (this.#closed) return;
    const data = message.includes('\n') ? message.split(/\r?\n/).join('\ndata: ') : message;
    this.res.write(
      id === undefined ? `event: message\ndata: ${data}\n\n` : `id: ${id}\nevent: message\ndata: ${data}\n\n`,
    );
    this.lastWrite = Date.now();
  }

  /** An event that carries only an id (the 2025-11-25 "priming" event a client can resume from) and a retry hint. */
  prime(id: string, retryMs?: number): void {
    if (this.#closed) return;
    this.res.write(retryMs === undefined ? `id: ${id}\ndata: \n\n` : `id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
    this.lastWrite = Date.now();
  }

  /** A comment line: keeps proxies and clients from timing the stream out. */
  keepAlive(): void {
    if (this.#closed) return;
    this.res.write(': keep-alive\n\n');
    this.lastWrite = Date.now();
  }

  /** Ends the stream normally. */
  end(): void {
    if (this.#closed) return;
    this.res.end();
    this.#finish();
  }

  /** Drops the connection (a consumer over its pending-bytes bound): nothing more is buffered for it. */
  destroy(): void {
    if (this.#closed) return;
    this.res.destroy();
    this.#finish();
  }

  #finish(): void {
    this.#closed = true;
    const cb = this.#onClose;
    this.#onClose = undefined;
    cb?.();
  }
}

/**
 * One timer for every open stream of a server (a timer per stream would cost memory per session): every `intervalMs`
 * it writes a comment to each stream not written to for `intervalMs`.
 */
export class KeepAliveTicker {
  readonly #streams = new Set<SseStream>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  add(stream: SseStream): void {
    if (this.#intervalMs === 0) return;
    this.#streams.add(stream);
    if (this.#timer === undefined) {
      // Half the interval, so that an idle stream gets its comment between 1× and 1.5× the interval after its last write.
      this.#timer = setInterval(() => this.#tick(), Math.max(1, Math.floor(this.#intervalMs / 2)));
      this.#timer.unref();
    }
  }

  delete(stream: SseStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  close(): void {
    this.#streams.clear();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const due = Date.now() - this.#intervalMs;
    for (const stream of this.#streams) {
      if (stream.closed) this.#streams.delete(stream);
      else if (stream.lastWrite <= due) stream.keepAlive();
    }
  }
}
