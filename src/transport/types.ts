/**
 * The one Transport interface. stdio is the first implementation; TCP and HTTP implement the same interface, so the
 * session, server and client code is unchanged whichever carries the messages.
 *
 * Concurrency rules (every implementation keeps them):
 * - `send` may be called at any time, from any callback, any number of times per turn; messages leave in call order,
 *   coalesced into as few writes as the transport can (see BatchWriter). It never throws for a closed transport: it
 *   returns false and the message is dropped (the session then fails its pending requests on `closed`).
 * - Inbound messages reach the sink in arrival order, one `message` call per frame, never concurrently.
 * - `close` is idempotent, may be called from inside a sink callback, and makes the sink receive exactly one `closed`.
 */

import type { NmcpError } from '../errors.js';
import type { FrameDecoder } from '../framing/frame-decoder.js';
import type { RequestId } from '../protocol/jsonrpc.js';

export interface TransportSink {
  /** One inbound frame: the text of one JSON-RPC message (or batch), not yet parsed. */
  message(text: string): void;
  /** A framing error that did not end the stream (an oversize NDJSON line): the session answers it. */
  frameError(error: NmcpError): void;
  /** The transport is closed; `reason` is set when it closed because of a failure. Called exactly once. */
  closed(reason?: Error): void;
  /**
   * Optional, for transports that reconnect (TCP with `reconnect`): the connection was lost and the transport is
   * dialling again. Whatever was in flight is gone: the session fails its pending requests with `reason`. `send`
   * returns false until `resumed`. If the transport gives up, `closed` follows.
   */
  interrupted?(reason: Error): void;
  /** Optional: a new connection is up after `interrupted`; the peer is a fresh one (a client redoes its handshake). */
  resumed?(): void;
}

export interface Transport {
  /** A short name for logs and metrics: 'stdio', 'tcp', 'http', … */
  readonly kind: string;
  /** Starts delivering inbound messages to `sink`. Called once. */
  start(sink: TransportSink): Promise<void>;
  /**
   * Queues one serialized JSON-RPC message. Returns false when it was not accepted (closed, or queue full).
   * `relatedRequestId` is the inbound request the message belongs to: set for its response, and for the progress,
   * log lines and server→client requests its handler sends. Byte-stream transports ignore it; Streamable HTTP sends
   * the message on that request's response stream.
   */
  send(message: string, relatedRequestId?: RequestId): boolean;
  /** Closes the transport. Idempotent. */
  close(reason?: Error): Promise<void>;
}

/**
 * Sees the records of each decoded chunk before the sink does (a gateway forwarding frames as bytes, without parsing
 * them). Returns a mask with a non-zero byte for each record it took — those never reach the sink — or undefined when
 * it took none. It must not keep the decoder's views past the call (they end at the next push).
 */
export type FrameInterceptor = (decoder: FrameDecoder, count: number) => Uint8Array | undefined;

/**
 * Routes a chunk's records as it decodes them (RouteRegistry implements it: the route table's lookups happen in the
 * decoding call). An interceptor given one reads the routes from `decoder.routes`.
 */
export interface FrameRouter {
  pushFrames(decoder: FrameDecoder, chunk: Uint8Array, transportId: number): number;
}

/** A connection's counters (byte-stream transports have them: `transport.stats`), published by src/metrics. */
export interface TransportStats {
  /** Bytes read and written, framing included. */
  bytesIn: number;
  bytesOut: number;
  /** Writes to the socket or pipe (one per flush of the write batcher). */
  flushes: number;
  /** Messages those writes carried. */
  flushedMessages: number;
  /** Flushes by messages per flush, bucketed by BATCH_SIZE_BUCKETS (src/framing/batch-writer.ts). */
  batchSizes: Uint32Array;
  /** Times the socket or pipe pushed back (its write buffer was full). */
  backpressurePauses: number;
}

/** A transport that keeps TransportStats. */
export function statsOf(t: Transport): TransportStats | undefined {
  const s = (t as { stats?: unknown }).stats;
  return typeof s === 'object' && s !== null && 'bytesIn' in s ? (s as TransportStats) : undefined;
}

/** Decoding and routing in one call: the router and the transport's id in its table (setInterceptor's `routing`). */
export interface InterceptorRouting {
  readonly router: FrameRouter;
  readonly transportId: number;
}

/** A byte-stream transport (stdio, TCP, Unix) that can intercept frames and send frames as bytes. */
export interface FrameTransport extends Transport {
  /**
   * Sets (or with undefined removes) the interceptor; it sees chunks decoded from then on. With `routing`, each chunk
   * is decoded and routed in one call into the core, as `routing.router.pushFrames(decoder, chunk, transportId)`.
   */
  setInterceptor(interceptor: FrameInterceptor | undefined, routing?: InterceptorRouting): void;
  /** Queues one frame's bytes (a JSON-RPC message, unframed: the transport frames it). False when not accepted. */
  sendFrame(frame: Uint8Array): boolean;
}

export function isFrameTransport(t: Transport): t is FrameTransport {
  const f = t as Partial<FrameTransport>;
  return typeof f.setInterceptor === 'function' && typeof f.sendFrame === 'function';
}
