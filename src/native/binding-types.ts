/**
 * The interface that both the native addon (crates/nmcp-node) and the pure-TypeScript twin (src/native/twin/) serve.
 * Normative description: docs/core-api.md. Keep this file, the Rust binding and the twin in step.
 */

import type { MessagePort, TransferListItem } from 'node:worker_threads';

/** Framing codes (docs/core-api.md §Framings). */
export const Framing = { NDJSON: 0, LENGTH_PREFIXED: 1 } as const;
export type FramingCode = (typeof Framing)[keyof typeof Framing];

/** Record status codes (col 0). */
export const Status = {
  FRAME: 0,
  FRAME_ASSEMBLED: 1,
  ERR_TOO_LARGE: 2,
  ERR_TOO_LARGE_FATAL: 3,
  ERR_CORRUPT_HEADER: 4,
  ERR_DECODER_FAILED: 5,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Envelope kind (bits 0-3 of col 3). */
export const Kind = {
  INVALID: 0,
  REQUEST: 1,
  NOTIFICATION: 2,
  RESPONSE: 3,
  ERROR: 4,
  BATCH: 5,
  OTHER: 6,
  /** Not looked at: the decoder runs without the envelope scan (setScan(false)). */
  UNSCANNED: 7,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];

/** Value type of the id / method members (idType: bits 4-7, methodType: bits 12-15 of col 3). */
export const ValueType = { ABSENT: 0, NUMBER: 1, STRING: 2, NULL: 3, OTHER: 4 } as const;
export type ValueTypeCode = (typeof ValueType)[keyof typeof ValueType];

/**
 * Per-frame status of `rewriteFrames` (docs/core-api.md §Forward). Every status but OK means the frame was copied to
 * the output unchanged.
 */
export const ForwardStatus = {
  OK: 0,
  /** Not a JSON text whose top-level value is an object. */
  NOT_AN_OBJECT: 1,
  /** No top-level `id` (a notification). */
  NO_ID: 2,
  /** A prefix was to be stripped but `params` is not an object with a string member `name`. */
  NO_NAME: 3,
  /** `params.name` contains escapes (its bytes are not its value): take the slow path. */
  NAME_ESCAPED: 4,
  /** `params.name` is shorter than the prefix, or the cut would split a UTF-8 character. */
  NAME_TOO_SHORT: 5,
  /** The new id is not exactly one JSON number or JSON string literal. */
  BAD_NEW_ID: 6,
} as const;
export type ForwardStatusCode = (typeof ForwardStatus)[keyof typeof ForwardStatus];

/** Number of i32 per record (and per header slot) in a decoder's `out` array. */
export const RECORD_STRIDE = 8;
/** Largest allowed maxMessageSize: 256 MiB. */
export const MAX_MESSAGE_SIZE_LIMIT = 268_435_456;

/** One stateful frame decoder (docs/core-api.md §Decoder). */
export interface BindingDecoder {
  /**
   * Decode `chunk[start..]`, writing records into `out` from record slot `1 + outRecordStart`.
   * Returns the number of records written; `out[0]` receives the absolute position consumed.
   */
  push(chunk: Uint8Array, start: number, out: Int32Array, outRecordStart: number): number;
  /**
   * `push`, and in the same call the records it wrote routed through `router` by their method (docs/core-api.md
   * §Router): (kind, value) of record r — counted over the whole `out`, like outRecordStart — into routes[2r..2r+2].
   */
  pushRouted(
    chunk: Uint8Array,
    start: number,
    out: Int32Array,
    outRecordStart: number,
    router: BindingRouter,
    transport: number,
    nowMs: number,
    routes: Uint32Array,
  ): number;
  /** Copy the assembled frame reported by the last push into `dst` (exactly its length) and forget it. */
  takeAssembled(dst: Uint8Array): void;
  /** Return to the initial state. */
  reset(): void;
  /**
   * Scan each frame's envelope (true, the default) or not: false reports frames only, each record's kind UNSCANNED with
   * no spans — for a consumer that parses every frame anyway (the syntax check costs ~1 ns per byte). From the next
   * frame reported; routing (pushRouted) needs the scan.
   */
  setScan(scan: boolean): void;
}

/**
 * Bits of the mask `setSocketOptions` returns: which TCP options were applied to the socket. The order is the order of
 * the fields of SocketOptionValues and of `getSocketOptions`' output.
 */
export const SocketOptionBit = {
  KEEP_ALIVE_IDLE: 1,
  KEEP_ALIVE_INTERVAL: 2,
  KEEP_ALIVE_PROBES: 4,
  USER_TIMEOUT: 8,
  SEND_BUFFER_SIZE: 16,
  RECV_BUFFER_SIZE: 32,
} as const;

/** Socket options that Node's net API does not set (an absent field is left as it is). */
export interface SocketOptionValues {
  /** Idle time before the first keep-alive probe (TCP_KEEPIDLE; TCP_KEEPALIVE on macOS), ms; set in whole seconds. */
  keepAliveIdleMs?: number;
  /** Time between unanswered probes (TCP_KEEPINTVL), ms; set in whole seconds. */
  keepAliveIntervalMs?: number;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
  keepAliveProbes?: number;
  /** How long sent data may stay unacknowledged before the connection is dropped (TCP_USER_TIMEOUT, Linux), ms. */
  userTimeoutMs?: number;
  /** SO_SNDBUF, bytes. */
  sendBufferSize?: number;
  /** SO_RCVBUF, bytes. */
  recvBufferSize?: number;
}

/** Route kinds a router writes for each lookup (docs/core-api.md §Router). */
export const RouteKind = { NONE: 0, HANDLER: 1, UPSTREAM: 2, ESCAPED: 3 } as const;
export type RouteKindCode = (typeof RouteKind)[keyof typeof RouteKind];

/**
 * The route table with its LRU/TTL route cache and statistics (docs/core-api.md §Router). Table changes are one call
 * each; lookups are batched, one call per chunk of frames or list of methods, writing (kind, value) pairs into `out`.
 * Ids are u32. Errors (unknown or duplicate id, an option out of range) throw and change nothing.
 */
export interface BindingRouter {
  /** Changes the given options (undefined keeps one) at once, or throws naming the bad key. */
  updateConfig(
    enableRouteCache?: boolean,
    cacheTtlMs?: number,
    maxCacheEntries?: number,
    enableStatsCollection?: boolean,
  ): void;
  registerServer(id: number): void;
  unregisterServer(id: number): void;
  registerTransport(id: number): void;
  unregisterTransport(id: number): void;
  /** A negative server unbinds. */
  bindTransport(transport: number, server: number): void;
  setRoute(server: number, method: string, kind: number, value: number): void;
  removeRoute(server: number, method: string): boolean;
  /** kind 0 removes the fallback. */
  setFallback(server: number, kind: number, value: number): void;
  /** Routes `count` methods (method i = methods[ends[i-1]..ends[i]]); (kind, value) of i into out[2i..2i+2]. */
  routeMethods(
    transport: number,
    methods: Uint8Array,
    ends: Uint32Array,
    count: number,
    nowMs: number,
    out: Uint32Array,
  ): number;
  /** Routes decoder records first..first+count by their method (RouteKind.ESCAPED: decode it, use routeMethods). */
  routeRecords(
    transport: number,
    chunk: Uint8Array,
    assembled: Uint8Array,
    records: Int32Array,
    first: number,
    count: number,
    nowMs: number,
    out: Uint32Array,
  ): number;
  /** lookups, hits, misses, unrouted, evictions, expirations, invalidations, entries → out[0..8]. */
  stats(out: Float64Array): void;
  resetStats(): void;
  sweep(nowMs: number): number;
  /** `[{"server","method"(null = fallback),"kind","value","messages"}, …]`. */
  routesJson(): string;
}

/**
 * A route table published for other threads of this process (docs/registry.md §Sharing the table with worker threads),
 * made by `CoreBinding.shareRouter` and attached with `CoreBinding.attachRouter`. Native: a process-wide id of one
 * table owned by the core; any number of threads attach by it. Twin: the table's state when shared plus a MessagePort
 * its later changes arrive on — one handle per attaching thread. Pass it to the worker in `workerData` or a message
 * with `transferList: [...handle.transferList]`.
 */
export interface SharedRouterHandle {
  readonly kind: 'nmcp.route-table';
  readonly core: 'native' | 'ts';
  /** The table's id (native: what `BindingRouter.attach` takes). */
  readonly id: number;
  /** The process the table lives in: a handle means nothing in another one. */
  readonly pid: number;
  /** Twin only: the operations that rebuild the table as it was when shared, and the port later changes arrive on. */
  readonly replica?: { readonly ops: readonly unknown[]; readonly port: MessagePort };
  /** What postMessage must transfer along with the handle (empty for native). */
  readonly transferList: readonly TransferListItem[];
}

/** What a core backend provides. */
export interface CoreBinding {
  /** Creates a router; throws when an option is out of range (the same checks as updateConfig). */
  createRouter(
    enableRouteCache: boolean,
    cacheTtlMs: number,
    maxCacheEntries: number,
    enableStatsCollection: boolean,
  ): BindingRouter;
  /** Creates a decoder; throws when framing or maxMessageSize is out of range. */
  createDecoder(framing: number, maxMessageSize: number): BindingDecoder;
  /**
   * Publishes a router (made by this binding) for other threads. Native: the first call moves its table into the
   * shared form (the core's RCU snapshot; routes, cache and counts carry over) and every call returns a handle with
   * the same id. Twin: a handle carrying the table's state and a port that receives every later change.
   */
  shareRouter(router: BindingRouter): SharedRouterHandle;
  /** Stops new attaches to a router's shared table; routers already attached keep working. Whether it was shared. */
  unshareRouter(router: BindingRouter): boolean;
  /**
   * A router over the table a handle names (native: the same table, a cache and counters of its own; twin: a replica
   * kept up to date from the owner's changes). Throws when the handle is unknown or was released.
   */
  attachRouter(handle: SharedRouterHandle): BindingRouter;
  /** Writes cols 3..7 of a record (packed envelope, idStart, idEnd, methodStart, methodEnd) into out[0..5]. */
  scanEnvelope(frame: Uint8Array, out: Int32Array): void;
  /** Frames `count` contiguous payloads into dst; returns bytes written or -(i+1) for the first refused payload. */
  encodeFrames(
    framing: number,
    maxMessageSize: number,
    payloads: Uint8Array,
    ends: Uint32Array,
    count: number,
    dst: Uint8Array,
  ): number;
  /**
   * Rewrites frames 0..count-1 for forwarding (docs/core-api.md §Forward): frame i is
   * `frames[frameEnds[i-1]..frameEnds[i]]`, its new id the raw JSON `ids[idEnds[i-1]..idEnds[i]]`, and `prefixes[i]`
   * bytes are cut off the front of `params.name` (0: only the id). Outputs go back to back into dst; `outEnds[i]` is
   * the end of output i and `status[i]` a ForwardStatus (any failure copies the frame unchanged). Returns the bytes
   * written. Throws when `count` exceeds an input array, ends are out of order or past their buffer, dst is shorter
   * than `frameEnds[count-1] + idEnds[count-1]`, outEnds/status hold fewer than count values, or dst shares memory
   * with frames or ids.
   */
  rewriteFrames(
    frames: Uint8Array,
    frameEnds: Uint32Array,
    ids: Uint8Array,
    idEnds: Uint32Array,
    prefixes: Uint32Array,
    count: number,
    dst: Uint8Array,
    outEnds: Uint32Array,
    status: Uint32Array,
  ): number;
  /**
   * Finds `params.name` in frames 0..count-1 without parsing them (docs/core-api.md §Forward): the span of its string
   * value (quotes excluded, relative to the frame's start) into out[2i], out[2i+1], or -ForwardStatus and 0 when it has
   * none (NOT_AN_OBJECT, NO_NAME, NAME_ESCAPED). Throws for count, ends or out as rewriteFrames does.
   */
  nameSpans(frames: Uint8Array, frameEnds: Uint32Array, count: number, out: Int32Array): void;
  /** Frames the `\n`-joined messages in `joined` into dst; returns bytes written or -(i+1) for the first refused one. */
  encodeJoined(framing: number, maxMessageSize: number, joined: string, dst: Uint8Array): number;
  /**
   * Sets the socket options Node does not expose on descriptor `fd` (where the OS has them); returns the mask of
   * SocketOptionBit applied. The twin cannot reach a descriptor's options and applies none (returns 0).
   */
  setSocketOptions(fd: number, values: SocketOptionValues): number;
  /** Reads those options of `fd` back into out[0..6] (ms, count, bytes); -1 where unavailable (always, in the twin). */
  getSocketOptions(fd: number, out: Int32Array): void;
}
