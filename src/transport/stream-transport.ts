import type { Readable, Writable } from 'node:stream';
import { MiB } from '../config/defaults.js';
import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import { BatchWriter } from '../framing/batch-writer.js';
import { FrameDecoder } from '../framing/frame-decoder.js';
import type { Transport, TransportSink } from './types.js';

/** Options of a byte-stream transport (stdio; TCP reuses them). Names and defaults are the seed's (camelCased). */
export interface StreamTransportOptions {
  /** 'ndjson' (stdio, the MCP framing) or 'length-prefixed'. */
  framing: 'ndjson' | 'length-prefixed';
  /** Largest message in either direction, bytes (16 MiB; 1 B … 256 MiB). */
  maxMessageSize: number;
  /** Read/write chunk size, bytes (the seed's 128 KiB buffer_size): the largest single write of a batch. */
  bufferSize: number;
  /** How long a partly received frame may go without new bytes before the session is closed, ms (5,000; 0 = off). An idle stream between messages is normal. */
  readTimeoutMs: number;
  /** How long our output may stay blocked (the peer not reading) before the session is closed, ms (5,000; 0 = off). */
  writeTimeoutMs: number;
  /** Pause reading while our output is blocked, so a peer that does not read cannot make us queue its replies (true). */
  enableFlowControl: boolean;
  /** Coalesce outgoing messages into one write per event-loop turn (true). */
  batchMessages: boolean;
  /** Flush when this many messages are pending (100, the seed's batch_size). */
  batchSize: number;
  /** Bound on queued outgoing bytes (our queue + the stream's buffer): 64 MiB. Beyond it, messages are refused. */
  maxPendingBytes: number;
}

export const DEFAULT_STREAM_TRANSPORT_OPTIONS: Readonly<StreamTransportOptions> = Object.freeze({
  framing: 'ndjson',
  maxMessageSize: 16 * MiB, // 16 MiB
  bufferSize: 128 * 1024, // 128 KiB (the seed's buffer_size)
  readTimeoutMs: 5_000, // ms
  writeTimeoutMs: 5_000, // ms
  enableFlowControl: true,
  batchMessages: true,
  batchSize: 100, // messages
  maxPendingBytes: 64 * MiB, // 64 MiB
});

export const STREAM_TRANSPORT_RULES = {
  framing: ['ndjson', 'length-prefixed'],
  maxMessageSize: { min: 1, max: 256 * MiB, what: 'bytes, up to 256 MiB' },
  bufferSize: { min: 1024, max: 64 * MiB, what: 'bytes' },
  readTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds, 0 = off' },
  writeTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds, 0 = off' },
  batchSize: { min: 1, max: 1_000_000, what: 'messages' },
  maxPendingBytes: { min: 1, max: 8 * 1024 * MiB, what: 'bytes' },
} as const;

/**
 * A Transport over a readable and a writable byte stream: frames with the native decoder, writes through a
 * BatchWriter, enforces readTimeoutMs / writeTimeoutMs, and pauses reading while output is blocked (flow control).
 */
export class StreamTransport implements Transport {
  readonly kind: string;
  readonly options: Readonly<StreamTransportOptions>;
  readonly #input: Readable;
  readonly #output: Writable;
  readonly #decoder: FrameDecoder;
  readonly #writer: BatchWriter;
  #sink: TransportSink | undefined;
  #closed = false;
  #partial = false;
  #readTimer: NodeJS.Timeout | undefined;
  #writeTimer: NodeJS.Timeout | undefined;
  #onClose: (() => void) | undefined;
  #onEndHook: (() => void) | undefined;

  /**
   * @param onEnd called instead of closing when the input ends (a child-process transport waits for the exit status,
   *   to close with the reason).
   */
  constructor(
    input: Readable,
    output: Writable,
    options: Partial<StreamTransportOptions> = {},
    kind = 'stream',
    hooks: { onClose?: () => void; onEnd?: () => void } = {},
  ) {
    this.kind = kind;
    this.#onEndHook = hooks.onEnd;
    this.options = resolveOptions(kind, DEFAULT_STREAM_TRANSPORT_OPTIONS, STREAM_TRANSPORT_RULES, options);
    this.#input = input;
    this.#output = output;
    this.#onClose = hooks.onClose;
    const { framing, maxMessageSize, bufferSize, batchMessages, batchSize, maxPendingBytes } = this.options;
    this.#decoder = new FrameDecoder({ framing, maxMessageSize });
    this.#writer = new BatchWriter(output, {
      framing,
      maxMessageSize,
      batchSize: batchMessages ? batchSize : 1,
      batchMaxBytes: bufferSize,
      maxPendingBytes: Math.max(maxPendingBytes, maxMessageSize + 4),
    });
  }

  /** Bytes waiting to be written. */
  get pendingBytes(): number {
    return this.#writer.pendingBytes;
  }

  async start(sink: TransportSink): Promise<void> {
    if (this.#sink) throw new Error('StreamTransport.start() called twice');
    this.#sink = sink;
    this.#writer.on('drain', this.#onDrain);
    this.#writer.on('blocked', () => this.#onBlocked());
    this.#writer.on('overflow', this.#onOverflow);
    this.#output.on('error', this.#onStreamError);
    this.#input.on('data', this.#onData);
    this.#input.on('end', this.#onEnd);
    this.#input.on('error', this.#onStreamError);
  }

  send(message: string): boolean {
    if (this.#closed) return false;
    return this.#writer.write(message);
  }

  async close(reason?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimers();
    this.#input.off('data', this.#onData);
    this.#input.off('end', this.#onEnd);
    this.#writer.close();
    this.#onClose?.();
    this.#sink?.closed(reason);
  }

  #onData = (chunk: Buffer): void => {
    const d = this.#decoder;
    const n = d.push(chunk);
    const sink = this.#sink as TransportSink;
    for (let i = 0; i < n && !this.#closed; i++) {
      if (d.isFrame(i)) {
        sink.message(d.text(i));
      } else {
        const err = d.error(i) as NmcpError;
        if (d.failed) {
          void this.close(err);
          return;
        }
        sink.frameError(err);
      }
    }
    // A partial frame is pending when the chunk did not end on a frame boundary (NDJSON: a newline).
    this.#partial = this.options.framing === 'ndjson' ? chunk[chunk.length - 1] !== 10 : chunk.length > 0;
    this.#armReadTimer();
  };

  #armReadTimer(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = undefined;
    const ms = this.options.readTimeoutMs;
    if (ms === 0 || !this.#partial || this.options.framing !== 'ndjson') return;
    this.#readTimer = setTimeout(() => {
      void this.close(
        new NmcpError(
          ErrorCode.READ_TIMEOUT,
          `a partly received message got no new bytes for ${ms} ms (readTimeoutMs); closing the session`,
          { readTimeoutMs: ms },
        ),
      );
    }, ms);
    this.#readTimer.unref();
  }

  #onBlocked(): void {
    if (this.options.enableFlowControl) this.#input.pause();
    const ms = this.options.writeTimeoutMs;
    if (ms === 0 || this.#writeTimer) return;
    this.#writeTimer = setTimeout(() => {
      void this.close(
        new NmcpError(
          ErrorCode.WRITE_TIMEOUT,
          `the peer did not read our output for ${ms} ms (writeTimeoutMs; ${this.#writer.pendingBytes} bytes pending); closing the session`,
          { writeTimeoutMs: ms, pendingBytes: this.#writer.pendingBytes },
        ),
      );
    }, ms);
  }

  #onDrain = (): void => {
    if (this.#writeTimer) clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    if (this.options.enableFlowControl && !this.#closed) this.#input.resume();
  };

  #onOverflow = (err: NmcpError): void => {
    // The peer is far behind: the message was refused; keep the session only if writes resume within writeTimeoutMs.
    this.#onBlocked();
    if (this.options.writeTimeoutMs === 0) void this.close(err);
  };

  #onEnd = (): void => {
    if (this.#onEndHook) this.#onEndHook();
    else void this.close();
  };

  #onStreamError = (err: Error): void => {
    void this.close(err);
  };

  #clearTimers(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    if (this.#writeTimer) clearTimeout(this.#writeTimer);
    this.#readTimer = undefined;
    this.#writeTimer = undefined;
  }
}
