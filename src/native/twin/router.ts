/**
 * The twin of nmcp-core's `route` module and the `BindingRouter` binding (crates/nmcp-node/src/router.rs): the same
 * table, LRU/TTL cache, statistics and outputs, decision for decision (test/native/router-twin.test.ts runs both on
 * the same random operations). Methods are keyed by their UTF-8 bytes read as latin1 (one char per byte), so byte
 * order and byte equality are the core's.
 *
 * Sharing with other threads: JS objects cannot be shared between threads, so the twin shares a table by copying it.
 * `share()` hands out the table's state as operations that rebuild it, and a MessagePort on which the owner posts
 * every later change; `TwinRouter.attach(handle)` rebuilds a replica and, before each of its calls, applies the changes
 * queued on the port in order (`receiveMessageOnPort`, synchronously). A change made on the owner is therefore applied
 * by the replica's next call after the owner's call returned — the native core's guarantee — but each thread holds a
 * copy, a replica cannot change the table, and stats and message counts are per thread (docs/registry.md).
 */

import { Buffer } from 'node:buffer';
import { MessageChannel, type MessagePort, receiveMessageOnPort, threadId } from 'node:worker_threads';
import type { BindingRouter, SharedRouterHandle } from '../binding-types.js';
import { RECORD_STRIDE, RouteKind, Status, ValueType } from '../binding-types.js';

const MAX_SAFE = 9_007_199_254_740_991;
const MAX_CACHE_TTL_MS = 86_400_000;
const MAX_CACHE_ENTRIES_LIMIT = 10_000_000;
const U32_MAX = 0xffff_ffff;

interface RouteRef {
  readonly kind: number;
  readonly value: number;
  messages: number;
}
interface ServerSlot {
  readonly id: number;
  live: boolean;
  generation: number;
  readonly routes: Map<string, RouteRef>;
  fallback: RouteRef | undefined;
}
interface TransportSlot {
  live: boolean;
  generation: number;
  server: ServerSlot | undefined;
}
interface Resolution {
  readonly route: RouteRef;
  readonly transport: TransportSlot;
  readonly transportGeneration: number;
  readonly server: ServerSlot;
  readonly serverGeneration: number;
}
const ZERO = { lookups: 0, hits: 0, misses: 0, unrouted: 0, evictions: 0, expirations: 0, invalidations: 0 };
type Counters = { -readonly [K in keyof typeof ZERO]: number };

/** A change to the table as a replica applies it (methods as their latin1 keys). */
type TwinOp =
  | readonly ['config', boolean, number, number, boolean]
  | readonly ['registerServer' | 'unregisterServer' | 'registerTransport' | 'unregisterTransport', number]
  | readonly ['bind', number, number]
  | readonly ['setRoute', number, string, number, number]
  | readonly ['removeRoute', number, string]
  | readonly ['setFallback', number, number, number];
/** Posted on every port when the owner unshares: a handle not yet attached is refused. */
const RELEASED = 'released';

let nextShareId = 1;

interface CacheNode {
  value: Resolution;
  expiresAt: number;
}

/** The binding's `now`: floored, negative and NaN as 0. */
function nowOf(nowMs: number): number {
  return wholeNumber(Number.isNaN(nowMs) ? 0 : Math.max(0, Math.floor(nowMs)), 'nowMs');
}

function wholeNumber(value: number, name: string): number {
  if (Number.isFinite(value) && value >= 0 && Number.isInteger(value) && value <= MAX_SAFE) return value;
  throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
}

function rangeError(key: string, value: number, max: number): Error {
  return new TypeError(`${key} must be an integer in 1..=${max}, got ${value}`);
}

function key(method: string): string {
  return Buffer.from(method, 'utf8').toString('latin1');
}

function checkKind(kind: number): void {
  if (kind !== RouteKind.HANDLER && kind !== RouteKind.UPSTREAM) {
    throw new TypeError(`route kind must be 1 (handler) or 2 (upstream), got ${kind}`);
  }
}

export class TwinRouter implements BindingRouter {
  #generation = 0;
  readonly #servers = new Map<number, ServerSlot>();
  readonly #transports = new Map<number, TransportSlot>();
  /** Insertion order is recency order: the first entry is the least recently used. */
  readonly #cache = new Map<string, CacheNode>();
  #enableRouteCache = true;
  #cacheTtlMs = 30_000;
  #maxCacheEntries = 10_000;
  #enableStats = true;
  readonly #stats: Counters = { ...ZERO };
  /** Owner: the ports of the handles it gave out (every change is posted on each). */
  readonly #feeds: MessagePort[] = [];
  #shareId: number | undefined;
  /** Replica: the port the owner's changes arrive on. */
  #source: MessagePort | undefined;
  #applying = false;

  constructor(enableRouteCache: boolean, cacheTtlMs: number, maxCacheEntries: number, enableStats: boolean) {
    this.updateConfig(enableRouteCache, cacheTtlMs, maxCacheEntries, enableStats);
    this.resetStats();
  }

  updateConfig(enableRouteCache?: boolean, cacheTtlMs?: number, maxCacheEntries?: number, enableStats?: boolean): void {
    this.#changing();
    // Same order of checks as the binding: whole numbers first (max, then ttl), then ranges (ttl, then max).
    const max = maxCacheEntries === undefined ? undefined : wholeNumber(maxCacheEntries, 'maxCacheEntries');
    const ttl = cacheTtlMs === undefined ? undefined : wholeNumber(cacheTtlMs, 'cacheTtlMs');
    if (ttl !== undefined && (ttl === 0 || ttl > MAX_CACHE_TTL_MS))
      throw rangeError('cacheTtlMs', ttl, MAX_CACHE_TTL_MS);
    const cap = max === undefined ? undefined : Math.min(max, U32_MAX);
    if (cap !== undefined && (cap === 0 || cap > MAX_CACHE_ENTRIES_LIMIT)) {
      throw rangeError('maxCacheEntries', cap, MAX_CACHE_ENTRIES_LIMIT);
    }
    const nextCache = enableRouteCache ?? this.#enableRouteCache;
    if (!nextCache) this.#cache.clear();
    const evicted = this.#shrinkTo(cap ?? this.#maxCacheEntries);
    if (this.#enableStats) this.#stats.evictions += evicted;
    this.#enableRouteCache = nextCache;
    if (ttl !== undefined) this.#cacheTtlMs = ttl;
    if (cap !== undefined) this.#maxCacheEntries = cap;
    if (enableStats !== undefined) this.#enableStats = enableStats;
    this.#emit(['config', this.#enableRouteCache, this.#cacheTtlMs, this.#maxCacheEntries, this.#enableStats]);
  }

  /** Publishes this table for another thread: its state now, and a port that will carry every later change. */
  share(): SharedRouterHandle {
    this.#drain();
    if (this.#source !== undefined) {
      throw new TypeError('a replica of a shared route table cannot be shared again: share the owner');
    }
    this.#shareId ??= threadId * 2 ** 20 + nextShareId++;
    const { port1, port2 } = new MessageChannel();
    this.#feeds.push(port1);
    // When the replica's thread closes its end (or exits), stop posting to it; the listener keeps nothing alive.
    port1.on('close', () => this.#feeds.splice(this.#feeds.indexOf(port1) >>> 0, 1));
    port1.unref();
    return {
      kind: 'nmcp.route-table',
      core: 'ts',
      id: this.#shareId,
      pid: process.pid,
      replica: { ops: this.#dump(), port: port2 },
      transferList: [port2],
    };
  }

  /** Refuses every handle given out and not yet attached; replicas already attached keep receiving changes. */
  unshare(): boolean {
    if (this.#shareId === undefined) return false;
    for (const port of this.#feeds) port.postMessage(RELEASED);
    this.#shareId = undefined;
    return true;
  }

  /** A replica of the table a handle from `share()` names, kept up to date from the owner's changes. */
  static attach(handle: SharedRouterHandle): TwinRouter {
    const replica = handle.replica;
    if (replica === undefined || typeof replica.port?.postMessage !== 'function' || !Array.isArray(replica.ops)) {
      throw new TypeError(`route table ${handle.id} is not shared (unknown id, or released with unshare)`);
    }
    const r = new TwinRouter(true, 30_000, 10_000, true);
    r.#applying = true;
    for (const op of replica.ops) r.#apply(op as TwinOp);
    r.#applying = false;
    for (let m = receiveMessageOnPort(replica.port); m !== undefined; m = receiveMessageOnPort(replica.port)) {
      if (m.message === RELEASED) {
        replica.port.close();
        throw new TypeError(`route table ${handle.id} is not shared (unknown id, or released with unshare)`);
      }
      r.#applyQueued(m.message);
    }
    r.resetStats();
    r.#source = replica.port;
    return r;
  }

  /** The operations that rebuild this table (config, servers with their routes, transports with their bindings). */
  #dump(): TwinOp[] {
    const ops: TwinOp[] = [
      ['config', this.#enableRouteCache, this.#cacheTtlMs, this.#maxCacheEntries, this.#enableStats],
    ];
    for (const s of this.#servers.values()) {
      ops.push(['registerServer', s.id]);
      for (const [k, r] of s.routes) ops.push(['setRoute', s.id, k, r.kind, r.value]);
      if (s.fallback) ops.push(['setFallback', s.id, s.fallback.kind, s.fallback.value]);
    }
    for (const [id, t] of this.#transports) {
      ops.push(['registerTransport', id]);
      if (t.server) ops.push(['bind', id, t.server.id]);
    }
    return ops;
  }

  #emit(op: TwinOp): void {
    for (const port of this.#feeds) port.postMessage(op);
  }

  /** A replica applies the owner's changes queued since its last call, in order. */
  #drain(): void {
    const port = this.#source;
    if (port === undefined) return;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
      this.#applyQueued(m.message);
  }

  #applyQueued(message: unknown): void {
    if (message === RELEASED) return; // already attached: unsharing does not concern this replica
    this.#applying = true;
    try {
      this.#apply(message as TwinOp);
    } finally {
      this.#applying = false;
    }
  }

  #apply(op: TwinOp): void {
    switch (op[0]) {
      case 'config':
        this.updateConfig(op[1], op[2], op[3], op[4]);
        break;
      case 'registerServer':
        this.registerServer(op[1]);
        break;
      case 'unregisterServer':
        this.unregisterServer(op[1]);
        break;
      case 'registerTransport':
        this.registerTransport(op[1]);
        break;
      case 'unregisterTransport':
        this.unregisterTransport(op[1]);
        break;
      case 'bind':
        this.bindTransport(op[1], op[2]);
        break;
      case 'setRoute':
        this.#setRoute(op[1], op[2], op[3], op[4]);
        break;
      case 'removeRoute':
        this.#removeRoute(op[1], op[2]);
        break;
      case 'setFallback':
        this.setFallback(op[1], op[2], op[3]);
        break;
    }
  }

  /** Before a change: a replica applies what is queued, and refuses changes of its own (the owner's are applied). */
  #changing(): void {
    if (this.#applying) return;
    this.#drain();
    if (this.#source !== undefined) {
      throw new TypeError(
        'a route table attached from another thread is read-only in the TypeScript twin: change it where it was shared',
      );
    }
  }

  #next(): number {
    return ++this.#generation;
  }

  #server(id: number): ServerSlot {
    const s = this.#servers.get(id);
    if (!s) throw new TypeError(`server ${id} is not registered`);
    return s;
  }

  #transport(id: number): TransportSlot {
    const t = this.#transports.get(id);
    if (!t) throw new TypeError(`transport ${id} is not registered`);
    return t;
  }

  registerServer(id: number): void {
    this.#changing();
    if (this.#servers.has(id)) throw new TypeError(`server ${id} is already registered`);
    this.#servers.set(id, { id, live: true, generation: this.#next(), routes: new Map(), fallback: undefined });
    this.#emit(['registerServer', id]);
  }

  unregisterServer(id: number): void {
    this.#changing();
    const s = this.#server(id);
    this.#servers.delete(id);
    s.live = false;
    for (const t of this.#transports.values()) {
      if (t.server === s) {
        t.server = undefined;
        t.generation = this.#next();
      }
    }
    this.#emit(['unregisterServer', id]);
  }

  registerTransport(id: number): void {
    this.#changing();
    if (this.#transports.has(id)) throw new TypeError(`transport ${id} is already registered`);
    this.#transports.set(id, { live: true, generation: this.#next(), server: undefined });
    this.#emit(['registerTransport', id]);
  }

  unregisterTransport(id: number): void {
    this.#changing();
    const t = this.#transport(id);
    this.#transports.delete(id);
    t.live = false;
    this.#emit(['unregisterTransport', id]);
  }

  bindTransport(transport: number, server: number): void {
    this.#changing();
    const t = this.#transport(transport);
    const s = server < 0 ? undefined : this.#server(server);
    t.server = s;
    t.generation = this.#next();
    this.#emit(['bind', transport, server < 0 ? -1 : server]);
  }

  setRoute(server: number, method: string, kind: number, value: number): void {
    this.#changing();
    this.#setRoute(server, key(method), kind, value);
  }

  #setRoute(server: number, k: string, kind: number, value: number): void {
    checkKind(kind);
    const s = this.#server(server);
    s.generation = this.#next();
    s.routes.set(k, { kind, value, messages: 0 });
    this.#emit(['setRoute', server, k, kind, value]);
  }

  removeRoute(server: number, method: string): boolean {
    this.#changing();
    return this.#removeRoute(server, key(method));
  }

  #removeRoute(server: number, k: string): boolean {
    const s = this.#server(server);
    const generation = this.#next();
    const removed = s.routes.delete(k);
    if (removed) s.generation = generation;
    this.#emit(['removeRoute', server, k]);
    return removed;
  }

  setFallback(server: number, kind: number, value: number): void {
    this.#changing();
    if (kind !== RouteKind.NONE) checkKind(kind);
    const s = this.#server(server);
    s.generation = this.#next();
    s.fallback = kind === RouteKind.NONE ? undefined : { kind, value, messages: 0 };
    this.#emit(['setFallback', server, kind, value]);
  }

  #resolve(transport: number, method: string): Resolution | undefined {
    const t = this.#transports.get(transport);
    const s = t?.server;
    if (!t || !s) return undefined;
    const route = s.routes.get(method) ?? s.fallback;
    if (!route) return undefined;
    return { route, transport: t, transportGeneration: t.generation, server: s, serverGeneration: s.generation };
  }

  #isCurrent(r: Resolution): boolean {
    return (
      r.transport.live &&
      r.transport.generation === r.transportGeneration &&
      r.server.live &&
      r.server.generation === r.serverGeneration
    );
  }

  #shrinkTo(n: number): number {
    let evicted = 0;
    for (const k of this.#cache.keys()) {
      if (this.#cache.size <= n) break;
      this.#cache.delete(k);
      evicted++;
    }
    return evicted;
  }

  /** The core's Router::lookup; `method` is the latin1 key. Returns the route or undefined. */
  #lookup(transport: number, method: string, now: number): RouteRef | undefined {
    const collect = this.#enableStats;
    const st = this.#stats;
    if (collect) st.lookups++;
    const cacheKey = `${transport}\u0000${method}`;
    if (this.#enableRouteCache) {
      const node = this.#cache.get(cacheKey);
      if (node !== undefined) {
        if (node.expiresAt <= now) {
          this.#cache.delete(cacheKey);
          if (collect) st.expirations++;
        } else {
          this.#cache.delete(cacheKey);
          this.#cache.set(cacheKey, node);
          if (this.#isCurrent(node.value)) {
            if (collect) {
              st.hits++;
              node.value.route.messages++;
            }
            return node.value.route;
          }
          this.#cache.delete(cacheKey);
          if (collect) st.invalidations++;
        }
      }
    }
    if (collect) st.misses++;
    const r = this.#resolve(transport, method);
    if (!r) {
      if (collect) st.unrouted++;
      return undefined;
    }
    if (this.#enableRouteCache) {
      const existing = this.#cache.get(cacheKey);
      const expiresAt = Math.min(now + this.#cacheTtlMs, Number.MAX_SAFE_INTEGER);
      if (existing) {
        existing.value = r;
        existing.expiresAt = expiresAt;
        this.#cache.delete(cacheKey);
        this.#cache.set(cacheKey, existing);
      } else {
        const evicted = this.#shrinkTo(this.#maxCacheEntries - 1);
        if (collect) st.evictions += evicted;
        this.#cache.set(cacheKey, { value: r, expiresAt });
      }
    }
    if (collect) r.route.messages++;
    return r.route;
  }

  routeMethods(
    transport: number,
    methods: Uint8Array,
    ends: Uint32Array,
    count: number,
    nowMs: number,
    out: Uint32Array,
  ): number {
    this.#drain();
    if (ends.length < count || out.length < 2 * count)
      throw new TypeError('ends must hold count values and out 2 × count');
    const now = nowOf(nowMs);
    const buf = Buffer.from(methods.buffer, methods.byteOffset, methods.byteLength);
    let start = 0;
    let routed = 0;
    for (let i = 0; i < count; i++) {
      const end = ends[i] as number;
      if (end < start || end > buf.length)
        throw new TypeError(`ends[${i}] = ${end} is out of order or past the methods`);
      const route = this.#lookup(transport, buf.toString('latin1', start, end), now);
      if (route) routed++;
      out[2 * i] = route ? route.kind : RouteKind.NONE;
      out[2 * i + 1] = route ? route.value : 0;
      start = end;
    }
    return routed;
  }

  routeRecords(
    transport: number,
    chunk: Uint8Array,
    assembled: Uint8Array,
    records: Int32Array,
    first: number,
    count: number,
    nowMs: number,
    out: Uint32Array,
  ): number {
    this.#drain();
    if (records.length < RECORD_STRIDE * (1 + first + count) || out.length < 2 * count) {
      throw new TypeError('records must hold the records asked for and out 2 × count');
    }
    const now = nowOf(nowMs);
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const a = Buffer.from(assembled.buffer, assembled.byteOffset, assembled.byteLength);
    let routed = 0;
    for (let i = 0; i < count; i++) {
      const base = RECORD_STRIDE * (1 + first + i);
      const status = records[base] as number;
      const packed = records[base + 3] as number;
      out[2 * i] = RouteKind.NONE;
      out[2 * i + 1] = 0;
      const frame =
        status === Status.FRAME
          ? { src: c, offset: records[base + 1] as number, end: records[base + 2] as number }
          : status === Status.FRAME_ASSEMBLED
            ? { src: a, offset: 0, end: a.length }
            : undefined;
      if (!frame || ((packed >>> 12) & 0xf) !== ValueType.STRING) continue;
      if ((packed >>> 16) & 1) {
        out[2 * i] = RouteKind.ESCAPED;
        continue;
      }
      const ms = frame.offset + (records[base + 6] as number);
      const me = frame.offset + (records[base + 7] as number);
      if (me > frame.end || ms > me) continue;
      const route = this.#lookup(transport, frame.src.toString('latin1', ms, me), now);
      if (!route) continue;
      routed++;
      out[2 * i] = route.kind;
      out[2 * i + 1] = route.value;
    }
    return routed;
  }

  stats(out: Float64Array): void {
    this.#drain();
    if (out.length < 8) throw new TypeError('out must hold 8 values');
    const st = this.#stats;
    out.set([st.lookups, st.hits, st.misses, st.unrouted, st.evictions, st.expirations, st.invalidations], 0);
    out[7] = this.#cache.size;
  }

  resetStats(): void {
    this.#drain();
    Object.assign(this.#stats, ZERO);
  }

  sweep(nowMs: number): number {
    this.#drain();
    const now = nowOf(nowMs);
    let n = 0;
    for (const [k, node] of this.#cache) {
      if (node.expiresAt <= now) {
        this.#cache.delete(k);
        n++;
      }
    }
    if (this.#enableStats) this.#stats.expirations += n;
    return n;
  }

  routesJson(): string {
    this.#drain();
    const out: { server: number; method: string | null; kind: number; value: number; messages: number }[] = [];
    const servers = [...this.#servers.values()].sort((x, y) => x.id - y.id);
    for (const s of servers) {
      const methods = [...s.routes.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (const m of methods) {
        const r = s.routes.get(m) as RouteRef;
        const method = Buffer.from(m, 'latin1').toString('utf8');
        out.push({ server: s.id, method, kind: r.kind, value: r.value, messages: r.messages });
      }
      if (s.fallback) {
        const r = s.fallback;
        out.push({ server: s.id, method: null, kind: r.kind, value: r.value, messages: r.messages });
      }
    }
    return JSON.stringify(out);
  }
}
