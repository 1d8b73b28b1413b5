import type { Readable, Writable } from 'node:stream';
import { MiB } from '../config/defaults.js';
import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import { BatchWriter } from '../framing/batch-writer.js';
import { FrameDecoder } from '../framing/frame-decoder.js';
import type { FrameInterceptor, FrameTransport, InterceptorRouting, TransportSink, TransportStats } from './types.js';

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
  /**
   * Inbound messages handled per event-loop turn (32). A chunk that holds more is handled over several turns, input
   * paused meanwhile, so each slice's replies are written before the next slice is read: the peer works on them while
   * we handle the rest, and one flood cannot monopolise the loop (ws's allowSynchronousEvents=false, in slices). 32 won
   * an interleaved A/B on bench:stdio at 64 in flight (16 was ~25% slower, no slicing ~10% slower; docs/stdio.md).
   * 0 = handle a whole chunk in one turn.
   */
  maxMessagesPerTurn: number;
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
  maxMessagesPerTurn: 32, // messages
});

export const STREAM_TRANSPORT_RULES = {
  framing: ['ndjson', 'length-prefixed'],
  maxMessageSize: { min: 1, max: 256 * MiB, what: 'bytes, up to 256 MiB' },
  bufferSize: { min: 1024, max: 64 * MiB, what: 'bytes' },
  readTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds, 0 = off' },
  writeTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds, 0 = off' },
  batchSize: { min: 1, max: 1_000_000, what: 'messages' },
  maxPendingBytes: { min: 1, max: 8 * 1024 * MiB, what: 'bytes' },
  maxMessagesPerTurn: { min: 0, max: 1_000_000, what: 'messages, 0 = no limit' },
} as const;

/**
 * A Transport over a readable and a writable byte stream: frames with the native decoder, writes through a
 * BatchWriter, enforces readTimeoutMs / writeTimeoutMs, and pauses reading while output is blocked (flow control).
 */
export class StreamTransport implements FrameTransport {
  readonly kind: string;
  #options: Readonly<StreamTransportOptions>;
  readonly #input: Readable;
  readonly #output: Writable;
  readonly #decoder: FrameDecoder;
  readonly #writer: BatchWriter;
  #sink: TransportSink | undefined;
  #closed = false;
  #interceptor: FrameInterceptor | undefined;
  #routing: InterceptorRouting | undefined;
  #partial = false;
  /** Length-prefixed: bytes of an incomplete frame the decoder holds (for readTimeoutMs). */
  #heldBytes = 0;
  #readTimer: NodeJS.Timeout | undefined;
  #writeTimer: NodeJS.Timeout | undefined;
  #onClose: (() => void) | undefined;
  /** Inbound messages waiting for a later turn (see maxMessagesPerTurn), consumed from #backlogHead. */
  #backlog: (string | NmcpError)[] = [];
  #backlogHead = 0;
  #drainScheduled = false;
  #pausedForBacklog = false;
  #inputEnded = false;
  #onEndHook: (() => void) | undefined;
  #bytesIn = 0;

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
    this.#options = resolveOptions(kind, DEFAULT_STREAM_TRANSPORT_OPTIONS, STREAM_TRANSPORT_RULES, options);
    this.#input = input;
    this.#output = output;
    this.#onClose = hooks.onClose;
    const { framing, maxMessageSize, bufferSize, batchMessages, batchSize, maxPendingBytes } = this.#options;
    // The session parses every frame itself: the envelope scan is needed only by an interceptor (setInterceptor).
    this.#decoder = new FrameDecoder({ framing, maxMessageSize, envelope: false });
    this.#writer = new BatchWriter(output, {
      framing,
      maxMessageSize,
      batchSize: batchMessages ? batchSize : 1,
      batchMaxBytes: bufferSize,
      maxPendingBytes: Math.max(maxPendingBytes, maxMessageSize + 4),
    });
  }

  /** The options in force. */
  get options(): Readonly<StreamTransportOptions> {
    return this.#options;
  }

  /**
   * Changes options on the live connection (issue 6's dynamic configuration): batching (batchMessages, batchSize,
   * bufferSize), limits (maxPendingBytes, maxMessagesPerTurn), timeouts (readTimeoutMs, writeTimeoutMs — a timer
   * already running keeps its old length) and enableFlowControl. They apply from the next message on; nothing queued or
   * in flight is dropped. framing and maxMessageSize are the stream's shape: changing them throws. An invalid value
   * throws NMCP_ERR_INVALID_OPTION naming the key, and the old options stay.
   */
  updateOptions(update: Partial<StreamTransportOptions>): void {
    for (const key of ['framing', 'maxMessageSize'] as const) {
      if (update[key] !== undefined && update[key] !== this.#options[key]) {
        throw new NmcpError(ErrorCode.INVALID_OPTION, `${this.kind}.${key} cannot change on a live connection`, {
          key: `${this.kind}.${key}`,
        });
      }
    }
    const next = resolveOptions(this.kind, this.#options, STREAM_TRANSPORT_RULES, update);
    this.#writer.updateOptions({
      batchSize: next.batchMessages ? next.batchSize : 1,
      batchMaxBytes: next.bufferSize,
      maxPendingBytes: Math.max(next.maxPendingBytes, next.maxMessageSize + 4),
    });
    this.#options = next;
  }

  /**
   * Counters of the connection (what metrics publish): bytes read and written (framing included), the write batcher's
   * flushes, messages per flush and backpressure pauses.
   */
  get stats(): TransportStats {
    const w = this.#writer.stats;
    return {
      bytesIn: this.#bytesIn,
      bytesOut: w.bytes,
      flushes: w.flushes,
      flushedMessages: w.flushedMessages,
      batchSizes: w.batchSizes,
      backpressurePauses: w.backpressurePauses,
    };
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

  /** See FrameTransport: the interceptor sees each chunk's records before the sink. */
  setInterceptor(interceptor: FrameInterceptor | undefined, routing?: InterceptorRouting): void {
    this.#interceptor = interceptor;
    this.#routing = interceptor ? routing : undefined;
    // Interceptors read each frame's kind, id and method; routing needs the method.
    this.#decoder.envelope = interceptor !== undefined;
  }

  /** See FrameTransport: one frame's bytes, framed and batched like any message. */
  sendFrame(frame: Uint8Array): boolean {
    if (this.#closed) return false;
    return this.#writer.write(frame);
  }

  #onData = (chunk: Buffer): void => {
    this.#bytesIn += chunk.length;
    const d = this.#decoder;
    const routing = this.#routing;
    const n = routing ? routing.router.pushFrames(d, chunk, routing.transportId) : d.push(chunk);
    const taken = this.#interceptor?.(d, n);
    const limit = this.#options.maxMessagesPerTurn || Number.POSITIVE_INFINITY;
    if (this.#backlog.length === 0 && n <= limit) {
      for (let i = 0; i < n && !this.#closed; i++) {
        if (taken?.[i]) continue;
        this.#deliver(d.isFrame(i) ? d.text(i) : (d.error(i) as NmcpError));
      }
    } else {
      // More than one turn's worth: keep the rest (as text, since the decoder's views end at the next push).
      for (let i = 0; i < n; i++) {
        if (taken?.[i]) continue;
        this.#backlog.push(d.isFrame(i) ? d.text(i) : (d.error(i) as NmcpError));
      }
      if (!this.#drainScheduled) this.#drainBacklog();
    }
    // A partial frame is pending when the chunk did not end on a frame boundary. NDJSON: it did not end with a newline.
    // Length-prefixed: bytes received minus the bytes of the frames decoded (4-byte header + payload each) is what the
    // decoder holds of the next frame (a fatal header error closes the transport, so only frames count).
    if (this.#options.framing === 'ndjson') {
      this.#partial = chunk[chunk.length - 1] !== 10;
    } else {
      let held = this.#heldBytes + chunk.length;
      for (let i = 0; i < n; i++) if (d.isFrame(i)) held -= 4 + d.frameLength(i);
      this.#heldBytes = held;
      this.#partial = held > 0;
    }
    this.#armReadTimer();
  };

  #deliver(item: string | NmcpError): void {
    if (typeof item === 'string') {
      (this.#sink as TransportSink).message(item);
    } else if (item.details.fatal === true) {
      void this.close(item);
    } else {
      (this.#sink as TransportSink).frameError(item);
    }
  }

  #drainBacklog = (): void => {
    this.#drainScheduled = false;
    const backlog = this.#backlog;
    const end = Math.min(backlog.length, this.#backlogHead + (this.#options.maxMessagesPerTurn || backlog.length));
    while (this.#backlogHead < end && !this.#closed) this.#deliver(backlog[this.#backlogHead++] as string | NmcpError);
    if (this.#backlogHead < backlog.length && !this.#closed) {
      // Pause the input only when the backlog is far ahead (a flood); a pipelined peer's next chunk is welcome, and
      // pausing/resuming a stream per turn costs more than the messages themselves.
      if (!this.#pausedForBacklog && backlog.length - this.#backlogHead > 64 * this.#options.maxMessagesPerTurn) {
        this.#pausedForBacklog = true;
        this.#input.pause();
      }
      this.#drainScheduled = true;
      setImmediate(this.#drainBacklog);
      return;
    }
    this.#backlog = [];
    this.#backlogHead = 0;
    if (this.#inputEnded) {
      this.#finishInput();
      return;
    }
    if (this.#pausedForBacklog) {
      this.#pausedForBacklog = false;
      if (!this.#closed && !this.#writer.blocked) this.#input.resume();
    }
  };

  #armReadTimer(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = undefined;
    const ms = this.#options.readTimeoutMs;
    if (ms === 0 || !this.#partial) return;
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
    if (this.#options.enableFlowControl) this.#input.pause();
    const ms = this.#options.writeTimeoutMs;
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
    if (this.#options.enableFlowControl && !this.#closed && !this.#pausedForBacklog) this.#input.resume();
  };

  #onOverflow = (err: NmcpError): void => {
    // The peer is far behind: the message was refused; keep the session only if writes resume within writeTimeoutMs.
    this.#onBlocked();
    if (this.#options.writeTimeoutMs === 0) void this.close(err);
  };

  #onEnd = (): void => {
    this.#inputEnded = true;
    // Messages still waiting for their turn are handled first.
    if (this.#backlogHead >= this.#backlog.length) this.#finishInput();
  };

  #finishInput(): void {
    if (this.#onEndHook) this.#onEndHook();
    else void this.close();
  }

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
