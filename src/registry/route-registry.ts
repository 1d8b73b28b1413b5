/**
 * RouteRegistry: the route table of a process hosting several MCP servers or fronting upstream servers — servers and
 * transports registered by id, transports bound to servers, method → handler or upstream routes per server, a route
 * cache (LRU + TTL) and statistics. The table and cache live in the core (crates/nmcp-core `route`, or the TS twin);
 * this façade validates options and ids, keeps the clock, and shapes the results.
 *
 * Lookups are batched: `routeFrames` routes every frame of a decoder's last chunk in one crossing (no method string is
 * made), `routeMethods` a list of methods. A change to the table is seen by the very next lookup; `updateConfig`
 * applies at once, without dropping anything in flight (docs/registry.md).
 */

import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ROUTE_REGISTRY_OPTIONS, ROUTE_REGISTRY_RULES, type RouteRegistryOptions } from '../config/defaults.js';
import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import type { FrameDecoder } from '../framing/frame-decoder.js';
import { type BindingRouter, type CoreBinding, RouteKind } from '../native/binding-types.js';
import { core as activeCore } from '../native/index.js';

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

export class RouteRegistry {
  readonly #router: BindingRouter;
  readonly #now: () => number;
  #options: Readonly<RouteRegistryOptions>;
  readonly #stats = new Float64Array(8);
  #out = new Uint32Array(2 * 256);

  constructor(init: RouteRegistryInit = {}) {
    const { core = activeCore, now = () => performance.now(), ...options } = init;
    this.#options = resolveOptions('registry', DEFAULT_ROUTE_REGISTRY_OPTIONS, ROUTE_REGISTRY_RULES, options);
    const o = this.#options;
    this.#router = core.createRouter(o.enableRouteCache, o.cacheTtlMs, o.maxCacheEntries, o.enableStatsCollection);
    this.#now = now;
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
      this.#router.updateConfig(
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
    coded(() => this.#router.registerServer(id));
  }

  /** Removes a server and its routes; transports bound to it stay registered, unbound. */
  unregisterServer(id: number): void {
    checkId('server', id);
    coded(() => this.#router.unregisterServer(id));
  }

  registerTransport(id: number): void {
    checkId('transport', id);
    coded(() => this.#router.registerTransport(id));
  }

  unregisterTransport(id: number): void {
    checkId('transport', id);
    coded(() => this.#router.unregisterTransport(id));
  }

  /** Binds a transport to a server (replacing its binding); null unbinds it. */
  bindTransport(transportId: number, serverId: number | null): void {
    checkId('transport', transportId);
    if (serverId !== null) checkId('server', serverId);
    coded(() => this.#router.bindTransport(transportId, serverId ?? -1));
  }

  /** Routes `method` on a server to a target (replacing the route it had). */
  setRoute(serverId: number, method: string, target: RouteTarget): void {
    checkId('server', serverId);
    const [kind, value] = encodeTarget(target);
    coded(() => this.#router.setRoute(serverId, method, kind, value));
  }

  /** Removes a route; returns whether there was one. */
  removeRoute(serverId: number, method: string): boolean {
    checkId('server', serverId);
    return coded(() => this.#router.removeRoute(serverId, method));
  }

  /** The route for methods of a server that have none of their own (null removes it). */
  setFallback(serverId: number, target: RouteTarget | null): void {
    checkId('server', serverId);
    const [kind, value] = target === null ? [RouteKind.NONE, 0] : encodeTarget(target);
    coded(() => this.#router.setFallback(serverId, kind, value));
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
