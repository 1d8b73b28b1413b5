import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { BATCH_WRITER_RULES, type BatchWriterOptions, DEFAULT_BATCH_WRITER_OPTIONS } from '../config/defaults.js';
import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import { type CoreBinding, Framing } from '../native/binding-types.js';
import { core as activeCore } from '../native/index.js';

/** Average message size up to which a length-prefixed string batch is framed by one core call (encodeJoined). */
const SMALL_MESSAGE_BYTES = 1024;

function copyInto(dst: Buffer, src: Uint8Array, off: number): number {
  dst.set(src, off);
  return src.byteLength;
}

/** The part of a Node writable stream the writer uses (net.Socket, process.stdout, a child's stdin, …). */
export type WriteSink = Pick<Writable, 'write' | 'once' | 'removeListener' | 'writableLength' | 'destroyed'>;

export interface BatchWriterInit extends Partial<BatchWriterOptions> {
  /** The core to frame with (default: the active one). */
  core?: CoreBinding;
}

/** Upper bounds of the batch-size buckets (messages per flush) that `stats.batchSizes` counts; the last bucket is +Inf. */
export const BATCH_SIZE_BUCKETS: readonly number[] = Object.freeze([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);

export interface BatchWriterStats {
  /** Messages accepted by write(). */
  messages: number;
  /** Bytes handed to the sink, framing included. */
  bytes: number;
  /** Messages handed to the sink (the sum of the flushes' sizes). */
  flushedMessages: number;
  /** Flushes by messages per flush: [i] counts flushes of ≤ BATCH_SIZE_BUCKETS[i] (and > the bound before), the last > 1024. */
  batchSizes: Uint32Array;
  /** Writes made to the sink (one per flush). */
  flushes: number;
  /** Times the sink signalled backpressure (write() returned false). */
  backpressurePauses: number;
  /** Messages refused because maxPendingBytes would be exceeded. */
  refused: number;
}

function checkPending(o: Readonly<BatchWriterOptions>): Readonly<BatchWriterOptions> {
  if (o.maxPendingBytes < o.maxMessageSize + 4) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `writer.maxPendingBytes (${o.maxPendingBytes}) must be at least writer.maxMessageSize + 4 (${o.maxMessageSize + 4}), or a largest message could never be queued`,
      { key: 'writer.maxPendingBytes', value: o.maxPendingBytes },
    );
  }
  return o;
}

/**
 * Frames outgoing messages and coalesces them so that one flush is one write to the sink.
 *
 * - A lone message leaves in the same event-loop turn (flush on setImmediate): batching adds no latency at low load.
 * - A flush happens at once when batchSize messages or batchMaxBytes bytes are pending.
 * - When the sink returns false (backpressure), the writer waits for one 'drain' (a single listener, never one per
 *   message); meanwhile messages queue and are handed over at least every batchTimeoutMs.
 * - Our queue plus the sink's buffer never exceeds maxPendingBytes: write() returns false and emits 'overflow' with an
 *   NMCP_ERR_WRITE_QUEUE_FULL error instead (the message is not queued). 'blocked' is emitted when the sink pushes
 *   back, 'drain' when it drains.
 *
 * Messages are strings (JSON texts: JSON.stringify output never contains a raw newline) or byte arrays.
 */
export class BatchWriter extends EventEmitter {
  #options: Readonly<BatchWriterOptions>;
  readonly #sink: WriteSink;
  readonly #core: CoreBinding;
  readonly #framingCode: number;
  readonly #overhead: number;
  #queue: (string | Uint8Array)[] = [];
  #queueBytes = 0;
  #allStrings = true;
  #scheduled = false;
  #blocked = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats: BatchWriterStats = {
    messages: 0,
    bytes: 0,
    flushedMessages: 0,
    batchSizes: new Uint32Array(BATCH_SIZE_BUCKETS.length + 1),
    flushes: 0,
    backpressurePauses: 0,
    refused: 0,
  };

  constructor(sink: WriteSink, init: BatchWriterInit = {}) {
    super();
    const { core = activeCore, ...rest } = init;
    this.#options = checkPending(resolveOptions('writer', DEFAULT_BATCH_WRITER_OPTIONS, BATCH_WRITER_RULES, rest));
    this.#sink = sink;
    this.#core = core;
    this.#framingCode = this.#options.framing === 'ndjson' ? Framing.NDJSON : Framing.LENGTH_PREFIXED;
    this.#overhead = this.#options.framing === 'ndjson' ? 1 : 4;
  }

  /** The options in force. */
  get options(): Readonly<BatchWriterOptions> {
    return this.#options;
  }

  /**
   * Changes batchSize, batchMaxBytes, batchTimeoutMs or maxPendingBytes live: the next write uses them, nothing
   * queued is dropped (a smaller batchSize or batchMaxBytes flushes at the next write). framing and maxMessageSize
   * are the stream's shape and cannot change. An invalid value throws NMCP_ERR_INVALID_OPTION naming the key, and
   * the old options stay.
   */
  updateOptions(
    update: Partial<Pick<BatchWriterOptions, 'batchSize' | 'batchMaxBytes' | 'batchTimeoutMs' | 'maxPendingBytes'>>,
  ): void {
    for (const key of ['framing', 'maxMessageSize'] as const) {
      if (key in update && (update as Partial<BatchWriterOptions>)[key] !== this.#options[key]) {
        throw new NmcpError(ErrorCode.INVALID_OPTION, `writer.${key} cannot change on a live writer`, {
          key: `writer.${key}`,
        });
      }
    }
    const current = this.#options;
    this.#options = checkPending(
      resolveOptions('writer', current, BATCH_WRITER_RULES, update as Partial<typeof current>),
    );
  }

  /** Bytes waiting: our queue plus what the sink has buffered. */
  get pendingBytes(): number {
    return this.#queueBytes + this.#sink.writableLength;
  }

  /** True while the sink is blocked by backpressure. */
  get blocked(): boolean {
    return this.#blocked;
  }

  get stats(): Readonly<BatchWriterStats> {
    return { ...this.#stats, batchSizes: this.#stats.batchSizes.slice() };
  }

  /**
   * Queues one message. Returns true when it was accepted, false when maxPendingBytes would be exceeded (then the
   * message is dropped and 'overflow' is emitted). Throws NmcpError for a message that can never be sent (too large,
   * empty, or with a raw newline under NDJSON) and after close().
   */
  write(message: string | Uint8Array): boolean {
    if (this.#closed) throw new NmcpError(ErrorCode.WRITER_CLOSED, 'write() after the writer was closed');
    const isString = typeof message === 'string';
    // NDJSON strings are counted in UTF-16 code units (= bytes for ASCII; at most 3× fewer than bytes otherwise):
    // Buffer.byteLength costs a full scan per message, and the stream encodes the batch anyway. Exact byte counts are
    // needed only when length-prefixing, and when the message might be near maxMessageSize.
    const size = !isString
      ? message.byteLength
      : this.#framingCode === Framing.NDJSON && message.length * 3 <= this.#options.maxMessageSize
        ? message.length
        : Buffer.byteLength(message);
    const hasNewline = this.#check(message, size);
    const framed = size + this.#overhead;
    if (this.#queueBytes + this.#sink.writableLength + framed > this.#options.maxPendingBytes) {
      this.#stats.refused++;
      const err = new NmcpError(
        ErrorCode.WRITE_QUEUE_FULL,
        `the write queue holds ${this.pendingBytes} bytes; adding ${framed} would exceed maxPendingBytes (${this.#options.maxPendingBytes}): the peer is not reading`,
        { pendingBytes: this.pendingBytes, maxPendingBytes: this.#options.maxPendingBytes },
      );
      this.emit('overflow', err);
      return false;
    }
    this.#queue.push(message);
    this.#queueBytes += framed;
    // A length-prefixed string with a raw newline cannot travel in a `\n`-joined batch: frame it as bytes.
    this.#allStrings &&= isString && !hasNewline;
    this.#stats.messages++;
    if (this.#blocked) {
      this.#timer ??= setTimeout(this.#onTimer, this.#options.batchTimeoutMs);
    } else if (this.#queue.length >= this.#options.batchSize || this.#queueBytes >= this.#options.batchMaxBytes) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#onImmediate);
    }
    return true;
  }

  /** Writes everything queued now, as one write, even while blocked (the sink buffers it). */
  flush(): void {
    if (this.#queue.length === 0 || this.#sink.destroyed) return;
    const payload = this.#encode();
    const stats = this.#stats;
    let bucket = 0;
    while (bucket < BATCH_SIZE_BUCKETS.length && this.#queue.length > (BATCH_SIZE_BUCKETS[bucket] as number)) bucket++;
    (stats.batchSizes[bucket] as number)++;
    stats.bytes += this.#queueBytes;
    stats.flushedMessages += this.#queue.length;
    this.#queue = [];
    this.#queueBytes = 0;
    this.#allStrings = true;
    stats.flushes++;
    const ok = this.#sink.write(payload);
    if (!ok && !this.#blocked) {
      this.#blocked = true;
      this.#stats.backpressurePauses++;
      this.#sink.once('drain', this.#onDrain);
      this.emit('blocked');
    }
  }

  /** Resolves when the sink is not blocked (at once if it is not). */
  whenWritable(): Promise<void> {
    if (!this.#blocked) return Promise.resolve();
    return new Promise((resolve) => this.once('drain', resolve));
  }

  /** Flushes what is queued and stops accepting messages. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sink.removeListener('drain', this.#onDrain);
  }

  /** Throws for a message that can never be sent; returns whether it holds a raw newline (allowed only when length-prefixed). */
  #check(message: string | Uint8Array, size: number): boolean {
    if (size > this.#options.maxMessageSize) {
      throw new NmcpError(
        ErrorCode.FRAME_TOO_LARGE,
        `an outgoing message of ${size} bytes exceeds maxMessageSize (${this.#options.maxMessageSize})`,
        { size, maxMessageSize: this.#options.maxMessageSize },
      );
    }
    if (size === 0) throw new NmcpError(ErrorCode.INVALID_FRAME, 'an outgoing message is empty');
    const hasNewline = typeof message === 'string' ? message.includes('\n') : message.indexOf(10) !== -1;
    if (hasNewline && this.#framingCode === Framing.NDJSON) {
      throw new NmcpError(
        ErrorCode.INVALID_FRAME,
        'an outgoing NDJSON message contains a raw newline (serialize it with JSON.stringify, which escapes newlines)',
      );
    }
    return hasNewline;
  }

  #encode(): string | Buffer {
    const queue = this.#queue;
    if (this.#allStrings && this.#framingCode === Framing.NDJSON) {
      // The stream encodes the string to UTF-8 in one step; joining is the whole framing work.
      return queue.length === 1 ? `${queue[0]}\n` : `${queue.join('\n')}\n`;
    }
    const dst = Buffer.allocUnsafe(this.#queueBytes);
    if (this.#allStrings && this.#queueBytes <= SMALL_MESSAGE_BYTES * queue.length) {
      // Many small messages: one crossing frames the whole batch (native measured 2× the twin here).
      const joined = queue.length === 1 ? (queue[0] as string) : queue.join('\n');
      const n = this.#core.encodeJoined(this.#framingCode, this.#options.maxMessageSize, joined, dst);
      if (n < 0) throw new NmcpError(ErrorCode.INVALID_FRAME, `message ${-n - 1} of the batch cannot be framed`);
      return dst;
    }
    // Large messages, bytes, or a mix: transcode each message straight into place. Joining large strings first costs
    // a full extra copy (docs/core-performance.md).
    let off = 0;
    for (const m of queue) {
      if (this.#framingCode === Framing.NDJSON) {
        off += typeof m === 'string' ? dst.write(m, off) : copyInto(dst, m, off);
        dst[off++] = 10;
      } else {
        const size = typeof m === 'string' ? dst.write(m, off + 4) : copyInto(dst, m, off + 4);
        dst.writeUInt32BE(size, off);
        off += 4 + size;
      }
    }
    return dst;
  }

  #onImmediate = (): void => {
    this.#scheduled = false;
    if (!this.#blocked) this.flush();
  };

  #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  #onDrain = (): void => {
    this.#blocked = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
    if (!this.#blocked) this.emit('drain');
  };
}
