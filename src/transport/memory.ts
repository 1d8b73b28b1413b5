import type { Transport, TransportSink } from './types.js';

/**
 * Two connected in-process transports (for tests and for embedding a client and a server in one process). Messages
 * are delivered asynchronously, in order, as a real transport would, so the code under test sees realistic ordering.
 */
export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  peer: MemoryTransport | undefined;
  #sink: TransportSink | undefined;
  #queue: string[] = [];
  #scheduled = false;
  #closed = false;

  static pair(): [MemoryTransport, MemoryTransport] {
    const a = new MemoryTransport();
    const b = new MemoryTransport();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  async start(sink: TransportSink): Promise<void> {
    this.#sink = sink;
    this.#schedule();
  }

  send(message: string): boolean {
    if (this.#closed || !this.peer || this.peer.#closed) return false;
    this.peer.#deliver(message);
    return true;
  }

  async close(reason?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink?.closed(reason);
    void this.peer?.close();
  }

  #deliver(message: string): void {
    this.#queue.push(message);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#sink) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      for (const m of batch) {
        if (this.#closed) return;
        this.#sink?.message(m);
      }
    });
  }
}
