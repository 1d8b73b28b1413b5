/**
 * RouteRegistry: the route table of a process hosting several MCP servers or fronting upstream servers — servers and
 * transports registered by id, transports bound to servers, method → handler or upstream routes per server, a route
 * cache (LRU + TTL) and statistics. The table and cache live in the core (crates/nmcp-core `route`, or the TS twin);
 * this façade validates options and ids, keeps the clock, and shapes the results.
 *
 * Lookups are batched: `routeFrames` routes every frame of a decoder's last chunk in one crossing (no method string is
 * made), `routeMethods` a list of methods. A change to the table is seen by the very next lookup; `updateConfig`
 * applies at once, without dropping anything in flight (docs/registry.md).
 *
 * Worker threads: `share()` publishes the table and returns a handle to pass to a worker, where
 * `SharedRouteTable.attach(handle)` routes through the same table — native: one table owned by the core, read by every
 * thread without a lock; twin: a replica per thread fed with the owner's changes (docs/registry.md §Sharing the table
 * with worker threads).
 */

import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ROUTE_REGISTRY_OPTIONS, ROUTE_REGISTRY_RULES, type RouteRegistryOptions } from '../config/defaults.js';
import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import type { FrameDecoder } from '../framing/frame-decoder.js';
import { type BindingRouter, type CoreBinding, RouteKind, type SharedRouterHandle } from '../native/binding-types.js';
import { core as activeCore, activeCore as activeCoreInfo, loadNativeBinding, twinBinding } from '../native/index.js';

/**
 * A route table published for other threads by `RouteRegistry.share()`: pass it to a worker (in `workerData` or a
 * message, with `transferList: [...handle.transferList]`) and attach there with `SharedRouteTable.attach(handle)`.
 * Native handles name one table and serve any number of threads; a twin handle carries a port and serves one.
 */
export type SharedRouteTableHandle = SharedRouterHandle;

/** Where a message goes: a handler of the bound server (an index of the caller's), or an upstream server. */
export type RouteTarget = { readonly handler: number } | { readonly upstream: number };

export interface RouteRegistryStats {
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  /** Lookups that found no route (unbound transport, or a method the server does not route). */
  readonly unrouted: number;
  readonly evictions: number;
  readonly expirations: number;
  /** Cached routes dropped because the table changed since they were cached. */
  readonly invalidations: number;
  /** Routes in the cache now. */
  readonly entries: number;
  /** hits ÷ lookups (0 before any lookup). */
  readonly hitRatio: number;
}

export interface RouteSnapshot {
  readonly server: number;
  /** The method, or null for the server's fallback route. */
  readonly method: string | null;
  readonly target: RouteTarget;
  /** Messages routed by it since it was set (with stats collection on). */
  readonly messages: number;
}

export interface RouteRegistryInit extends Partial<RouteRegistryOptions> {
  /** The core to use (default: the active one). */
  core?: CoreBinding;
  /** Milliseconds from any fixed origin (default performance.now): the cache's clock. */
  now?: () => number;
}

export interface SharedRouteTableInit {
  /** Milliseconds from any fixed origin (default performance.now): this thread's cache clock. */
  now?: () => number;
}

const U32_MAX = 0xffff_ffff;

function checkId(what: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > U32_MAX) {
    throw new NmcpError(ErrorCode.INVALID_ROUTE, `${what} id must be an integer from 0 to ${U32_MAX}, got ${id}`, {
      [what]: id,
    });
  }
}

function encodeTarget(target: RouteTarget): [number, number] {
  const [kind, value] =
    'handler' in target ? [RouteKind.HANDLER, target.handler] : [RouteKind.UPSTREAM, target.upstream];
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new NmcpError(
      ErrorCode.INVALID_ROUTE,
      `a route target must be an integer from 0 to ${U32_MAX}, got ${JSON.stringify(target)}`,
      { target },
    );
  }
  return [kind, value];
}

/** (kind, value) as the core wrote it → a target, or undefined for no route. */
export function decodeTarget(kind: number, value: number): RouteTarget | undefined {
  if (kind === RouteKind.HANDLER) return { handler: value };
  if (kind === RouteKind.UPSTREAM) return { upstream: value };
  return undefined;
}

/** Turns the core's errors (plain TypeErrors with a message) into coded NmcpErrors. */
function coded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NmcpError) throw err;
    const message = (err as Error).message;
    const code = /cacheTtlMs|maxCacheEntries/.test(message) ? ErrorCode.INVALID_OPTION : ErrorCode.INVALID_ROUTE;
    throw new NmcpError(code, message, {}, { cause: err });
  }
}

/**
 * The lookups, stats and route listing that a registry and a table attached in another thread share (batched: one
 * crossing into the core per chunk or list of methods).
 */
export abstract class RouteLookups {
  readonly #router: BindingRouter;
  readonly #now: () => number;
  readonly #stats = new Float64Array(8);
  #out = new Uint32Array(2 * 256);

  protected constructor(router: BindingRouter, now: () => number) {
    this.#router = router;
    this.#now = now;
  }

  /** The core's router (for subclasses). */
  protected get router(): BindingRouter {
    return this.#router;
  }

  #outFor(count: number): Uint32Array {
    if (this.#out.length < 2 * count) this.#out = new Uint32Array(2 * Math.max(count, this.#out.length));
    return this.#out;
  }

  /**
   * Routes many methods arriving on a transport in one crossing. Returns (kind, value) pairs — RouteKind.HANDLER or
   * UPSTREAM, or NONE — in a Uint32Array valid until the next call (decode with `decodeTarget`).
   */
  routeMethods(transportId: number, methods: readonly string[]): Uint32Array {
    const parts = methods.map((m) => Buffer.from(m, 'utf8'));
    const ends = new Uint32Array(parts.length);
    let n = 0;
    for (let i = 0; i < parts.length; i++) {
      n += (parts[i] as Buffer).length;
      ends[i] = n;
    }
    const out = this.#outFor(methods.length);
    this.#router.routeMethods(transportId, Buffer.concat(parts, n), ends, methods.length, this.#now(), out);
    return out;
  }

  /** One method's route (a convenience over routeMethods; batch where it matters). */
  route(transportId: number, method: string): RouteTarget | undefined {
    const out = this.routeMethods(transportId, [method]);
    return decodeTarget(out[0] as number, out[1] as number);
  }

  /**
   * Routes every frame of the decoder's last push by its method, in one crossing for the whole chunk. Returns (kind,
   * value) pairs per record (NONE for errors, responses and unrouted methods), valid until the next call. A method
   * written with JSON escapes is decoded and routed in a second call.
   */
  routeFrames(transportId: number, decoder: FrameDecoder): Uint32Array {
    const n = decoder.count;
    const out = this.#outFor(n);
    const now = this.#now();
    decoder.route(this.#router, transportId, now, out);
    this.#settleEscaped(decoder, n, out, transportId, now);
    return out;
  }

  /**
   * Decodes `chunk` with `decoder` and routes every record by its method in the same call into the core — the route
   * table's lookups happen inside the decoding crossing, never one call per message. Returns the record count; the
   * routes are `decoder.routes` ((kind, value) of record i at [2i, 2i+1]), escaped methods already settled.
   */
  pushFrames(decoder: FrameDecoder, chunk: Uint8Array, transportId: number): number {
    const nowMs = this.#now();
    const n = decoder.push(chunk, { router: this.#router, transport: transportId, nowMs });
    this.#settleEscaped(decoder, n, decoder.routes, transportId, nowMs);
    return n;
  }

  /** A method written with escapes was left as RouteKind.ESCAPED by the core: route its decoded string. */
  #settleEscaped(decoder: FrameDecoder, n: number, out: Uint32Array, transportId: number, now: number): void {
    for (let i = 0; i < n; i++) {
      if (out[2 * i] !== RouteKind.ESCAPED) continue;
      const method = decoder.method(i) ?? '';
      const one = new Uint32Array(2);
      const bytes = Buffer.from(method, 'utf8');
      this.#router.routeMethods(transportId, bytes, Uint32Array.of(bytes.length), 1, now, one);
      out[2 * i] = one[0] as number;
      out[2 * i + 1] = one[1] as number;
    }
  }

  /** Drops cached routes past their TTL now (lookups drop them as they meet them); returns how many. */
  sweep(): number {
    return this.#router.sweep(this.#now());
  }

  /** The counters (they stand still while enableStatsCollection is off, except `entries`). */
  stats(): RouteRegistryStats {
    const s = this.#stats;
    this.#router.stats(s);
    const [lookups = 0, hits = 0, misses = 0, unrouted = 0, evictions = 0, expirations = 0, invalidations = 0] = s;
    return {
      lookups,
      hits,
      misses,
      unrouted,
      evictions,
      expirations,
      invalidations,
      entries: s[7] as number,
      hitRatio: lookups === 0 ? 0 : hits / lookups,
    };
  }

  resetStats(): void {
    this.#router.resetStats();
  }

  /** Every route with its message count: servers by id, methods in byte order, each server's fallback last. */
  routes(): RouteSnapshot[] {
    const raw = JSON.parse(this.#router.routesJson()) as {
      server: number;
      method: string | null;
      kind: number;
      value: number;
      messages: number;
    }[];
    return raw.map((r) => ({
      server: r.server,
      method: r.method,
      target: decodeTarget(r.kind, r.value) as RouteTarget,
      messages: r.messages,
    }));
  }
}

/** The route table of this thread's servers and transports, with its cache and stats (see the module docs). */
export class RouteRegistry extends RouteLookups {
  readonly #core: CoreBinding;
  #options: Readonly<RouteRegistryOptions>;

  constructor(init: RouteRegistryInit = {}) {
    const { core = activeCore, now = () => performance.now(), ...options } = init;
    const o = resolveOptions('registry', DEFAULT_ROUTE_REGISTRY_OPTIONS, ROUTE_REGISTRY_RULES, options);
    super(core.createRouter(o.enableRouteCache, o.cacheTtlMs, o.maxCacheEntries, o.enableStatsCollection), now);
    this.#core = core;
    this.#options = o;
  }

  /**
   * Publishes the table for worker threads of this process and returns a handle to attach with
   * `SharedRouteTable.attach` (docs/registry.md §Sharing the table with worker threads). Native: the first call moves
   * the table into the core's shared form — every thread reads the same table, changes made here are seen by every
   * thread's next lookup — and each call returns a handle with the same id, usable by any number of threads. Twin: each
   * call returns a handle for one thread, carrying the table's state and a port its later changes arrive on.
   */
  share(): SharedRouteTableHandle {
    return coded(() => this.#core.shareRouter(this.router));
  }

  /**
   * Refuses later attaches with the handles given out (NMCP_ERR_INVALID_ROUTE); tables already attached keep working
   * and keep seeing this registry's changes. Returns whether the table was shared. `share()` publishes it again.
   */
  unshare(): boolean {
    return coded(() => this.#core.unshareRouter(this.router));
  }

  /** `SharedRouteTable.attach(handle, init)`: the table a handle from `share()` names, in this thread. */
  static attach(handle: SharedRouteTableHandle, init: SharedRouteTableInit = {}): SharedRouteTable {
    return SharedRouteTable.attach(handle, init);
  }

  /** The options in force. */
  get options(): Readonly<RouteRegistryOptions> {
    return this.#options;
  }

  /**
   * Changes options live: the next lookup uses them; nothing in flight is dropped. Turning the cache off empties it;
   * a lower maxCacheEntries evicts the least recently used routes; a new cacheTtlMs applies to routes cached from now
   * on. An invalid value throws NMCP_ERR_INVALID_OPTION naming the key, and the old options stay.
   */
  updateConfig(update: Partial<RouteRegistryOptions>): Readonly<RouteRegistryOptions> {
    const next = resolveOptions('registry', this.#options, ROUTE_REGISTRY_RULES, update);
    coded(() =>
      this.router.updateConfig(
        next.enableRouteCache,
        next.cacheTtlMs,
        next.maxCacheEntries,
        next.enableStatsCollection,
      ),
    );
    this.#options = next;
    return next;
  }

  registerServer(id: number): void {
    checkId('server', id);
    coded(() => this.router.registerServer(id));
  }

  /** Removes a server and its routes; transports bound to it stay registered, unbound. */
  unregisterServer(id: number): void {
    checkId('server', id);
    coded(() => this.router.unregisterServer(id));
  }

  registerTransport(id: number): void {
    checkId('transport', id);
    coded(() => this.router.registerTransport(id));
  }

  unregisterTransport(id: number): void {
    checkId('transport', id);
    coded(() => this.router.unregisterTransport(id));
  }

  /** Binds a transport to a server (replacing its binding); null unbinds it. */
  bindTransport(transportId: number, serverId: number | null): void {
    checkId('transport', transportId);
    if (serverId !== null) checkId('server', serverId);
    coded(() => this.router.bindTransport(transportId, serverId ?? -1));
  }

  /** Routes `method` on a server to a target (replacing the route it had). */
  setRoute(serverId: number, method: string, target: RouteTarget): void {
    checkId('server', serverId);
    const [kind, value] = encodeTarget(target);
    coded(() => this.router.setRoute(serverId, method, kind, value));
  }

  /** Removes a route; returns whether there was one. */
  removeRoute(serverId: number, method: string): boolean {
    checkId('server', serverId);
    return coded(() => this.router.removeRoute(serverId, method));
  }

  /** The route for methods of a server that have none of their own (null removes it). */
  setFallback(serverId: number, target: RouteTarget | null): void {
    checkId('server', serverId);
    const [kind, value] = target === null ? [RouteKind.NONE, 0] : encodeTarget(target);
    coded(() => this.router.setFallback(serverId, kind, value));
  }
}

/** The binding that made a handle, if this thread can load it. */
function coreOf(handle: SharedRouteTableHandle): CoreBinding | undefined {
  if (handle.core === 'ts') return twinBinding;
  return activeCoreInfo().kind === 'native' ? activeCore : loadNativeBinding();
}

/**
 * A route table shared by another thread's RouteRegistry (`registry.share()`), attached in this one: lookups, stats
 * and the route listing, through the same interface as the registry; changes are made by the registry that shared it.
 * Native: the very table the owner changes (the core's RCU snapshot, read without a lock), with a route cache of this
 * thread's own; `stats()` and `routes()` count every thread's lookups. Twin: a copy, brought up to date with the owner's
 * changes at the start of every call here; its stats count this thread's lookups only.
 */
export class SharedRouteTable extends RouteLookups {
  readonly #id: number;

  private constructor(router: BindingRouter, now: () => number, id: number) {
    super(router, now);
    this.#id = id;
  }

  /**
   * Attaches to the table a handle names. Throws NMCP_ERR_INVALID_ROUTE when it is not a handle, was made in another
   * process, was released with `unshare()` (or its table is gone), or names a core this thread cannot load.
   */
  static attach(handle: SharedRouteTableHandle, init: SharedRouteTableInit = {}): SharedRouteTable {
    const h = handle as Partial<SharedRouteTableHandle> | null | undefined;
    if (
      typeof h !== 'object' ||
      h === null ||
      h.kind !== 'nmcp.route-table' ||
      (h.core !== 'native' && h.core !== 'ts') ||
      !Number.isSafeInteger(h.id)
    ) {
      throw new NmcpError(
        ErrorCode.INVALID_ROUTE,
        'SharedRouteTable.attach needs a handle from RouteRegistry.share() (passed with its transferList)',
        {},
      );
    }
    if (handle.pid !== process.pid) {
      throw new NmcpError(
        ErrorCode.INVALID_ROUTE,
        `route table ${handle.id} belongs to process ${handle.pid}, not this one (${process.pid}): a table is shared between the threads of one process`,
        { id: handle.id },
      );
    }
    const core = coreOf(handle);
    if (core === undefined) {
      throw new NmcpError(
        ErrorCode.INVALID_ROUTE,
        `route table ${handle.id} is the native core's, and the native addon does not load in this thread`,
        { id: handle.id },
      );
    }
    const router = coded(() => core.attachRouter(handle));
    return new SharedRouteTable(router, init.now ?? (() => performance.now()), handle.id);
  }

  /** The id of the shared table. */
  get id(): number {
    return this.#id;
  }
}
