import type { TransportSink } from '../../types.js';

/**
 * Hands inbound messages to the sink one at a time. Several HTTP responses and SSE streams are read at once, and a
 * sink callback may cause more messages (a failed send answered locally): a message queued while the sink is running
 * is delivered after it returns, never re-entrantly. Each stream pushes its messages in its own order, so order per
 * stream is kept.
 */
export class Inbox {
  readonly #sink: TransportSink;
  readonly #queue: string[] = [];
  #delivering = false;
  #closed = false;

  constructor(sink: TransportSink) {
    this.#sink = sink;
  }

  push(text: string): void {
    if (this.#closed) return;
    this.#queue.push(text);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#queue.length && !this.#closed; i++) this.#sink.message(this.#queue[i] as string);
    } finally {
      this.#queue.length = 0;
      this.#delivering = false;
    }
  }

  /** Stops delivery: later pushes are dropped (the sink is told `closed` by the transport). */
  close(): void {
    this.#closed = true;
  }
}
