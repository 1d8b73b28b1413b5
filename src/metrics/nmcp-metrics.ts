/**
 * NmcpMetrics: nmcp's Prometheus metrics on a prom-client Registry (docs/operations.md §Metrics; the names are the
 * contract of docs/design/operations.md). Counting happens in plain numbers where the work is done — MessageStats per
 * transport kind (a SessionObserver), the transports' byte and batch counters, the route table's counters in the
 * core — and is published when the registry is scraped. Nothing on the per-message path calls prom-client.
 *
 *   const metrics = new NmcpMetrics();
 *   metrics.observe(server);                  // every session of this McpServer
 *   metrics.observeListener(tcpServer);       // open connections of an McpTcpServer / McpHttpServer
 *   metrics.observeRegistry(host.registry);   // route lookups, hits, misses, evictions
 *   res.end(await metrics.metrics());
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ErrorCode, NmcpError } from '../errors.js';
import { BATCH_SIZE_BUCKETS } from '../framing/batch-writer.js';
import type { McpGateway } from '../gateway/mcp-gateway.js';
import { activeCore } from '../native/index.js';
import type { RouteRegistry } from '../registry/route-registry.js';
import type { McpServer, ServerObserver } from '../server/mcp-server.js';
import type { ServerSession } from '../server/server-session.js';
import type { SessionObserver } from '../session/session.js';
import { statsOf, type Transport, type TransportStats } from '../transport/types.js';
import { DURATION_BUCKETS, MessageStats } from './message-stats.js';
import { histogramSamples, publish, type Sample } from './published.js';

export interface NmcpMetricsOptions {
  /**
   * false: nothing is counted — observe() attaches nothing, and the registry holds only nmcp_core_info (true; the
   * seed's enable_metrics).
   */
  enableMetrics?: boolean;
  /** How often the sampled gauges (event-loop utilization) are refreshed, ms (5,000; the seed's metrics_interval). */
  metricsIntervalMs?: number;
  /** Also prom-client's default process metrics — memory, CPU, event-loop lag, handles, GC — prefixed `nmcp_` (true). */
  defaultMetrics?: boolean;
  /** The registry to fill (default: a new one, not prom-client's global registry). */
  registry?: Registry;
}

/** Something with open connections: McpTcpServer (`connections`), McpHttpServer (`handler.sessionCount`). */
export type MetricsListener =
  | { readonly connections: ReadonlySet<{ readonly kind: string }> }
  | {
      readonly handler: { readonly sessionCount: number };
      /** Legacy-session requests handed to the process that owns the session (`nmcp serve --processes N`). */
      readonly forwardedRequests?: { readonly received: number; readonly sent: number };
      /** Connections moved whole to the process owning their first request's session. */
      readonly movedConnections?: { readonly received: number; readonly sent: number };
    };

const KIND_NAMES = ['request', 'notification', 'response', 'error'] as const;
/** The event-loop monitor's timer period, ms: Node records the time between its ticks, so the delay is that minus this. */
const LOOP_RESOLUTION_MS = 10;

type Totals = Omit<TransportStats, 'batchSizes'> & { batchSizes: Float64Array };

function emptyTotals(): Totals {
  return {
    bytesIn: 0,
    bytesOut: 0,
    flushes: 0,
    flushedMessages: 0,
    backpressurePauses: 0,
    batchSizes: new Float64Array(BATCH_SIZE_BUCKETS.length + 1),
  };
}

function addInto(t: Totals, s: TransportStats): void {
  t.bytesIn += s.bytesIn;
  t.bytesOut += s.bytesOut;
  t.flushes += s.flushes;
  t.flushedMessages += s.flushedMessages;
  t.backpressurePauses += s.backpressurePauses;
  for (let i = 0; i < t.batchSizes.length; i++) (t.batchSizes[i] as number) += s.batchSizes[i] ?? 0;
}

export class NmcpMetrics implements ServerObserver {
  readonly registry: Registry;
  readonly enabled: boolean;
  readonly metricsIntervalMs: number;
  readonly #byTransport = new Map<string, MessageStats>();
  /** Open sessions and their transports (for the sessions gauge and the live transport counters). */
  readonly #live = new Map<ServerSession, Transport>();
  readonly #opened = new WeakMap<ServerSession, number>();
  /** Counters of transports that closed, by kind: a counter never goes down when a connection ends. */
  readonly #closed = new Map<string, Totals>();
  readonly #servers = new Set<McpServer>();
  readonly #listeners = new Set<MetricsListener>();
  readonly #registries = new Set<RouteRegistry>();
  readonly #gateways = new Set<McpGateway>();
  readonly #loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  #elu = performance.eventLoopUtilization();
  #utilization = 0;
  #sampled = false;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: NmcpMetricsOptions = {}) {
    const { enableMetrics = true, metricsIntervalMs = 5_000, defaultMetrics = true } = options;
    if (typeof enableMetrics !== 'boolean') {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'metrics.enableMetrics must be true or false', {
        key: 'metrics.enableMetrics',
        value: enableMetrics,
      });
    }
    if (!Number.isInteger(metricsIntervalMs) || metricsIntervalMs < 100 || metricsIntervalMs > 3_600_000) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `metrics.metricsIntervalMs must be a whole number of milliseconds from 100 to 3600000, got ${JSON.stringify(metricsIntervalMs)}`,
        { key: 'metrics.metricsIntervalMs', value: metricsIntervalMs },
      );
    }
    this.enabled = enableMetrics;
    this.metricsIntervalMs = metricsIntervalMs;
    this.registry = options.registry ?? new Registry();
    const core = activeCore();
    publish(
      this.registry,
      'nmcp_core_info',
      'The core that serves: native (the Rust addon) or twin (TypeScript)',
      'gauge',
      () => [{ labels: { core: core.kind === 'native' ? 'native' : 'twin', version: core.version }, value: 1 }],
      'first',
    );
    if (!enableMetrics) return;
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'nmcp_' });
    this.#loopDelay.enable();
    this.#timer = setInterval(() => this.#sample(), metricsIntervalMs);
    this.#timer.unref();
    this.#publishMessages();
    this.#publishTransports();
    this.#publishRegistry();
    this.#publishGateway();
    publish(
      this.registry,
      'nmcp_event_loop_utilization',
      'Share of the last metricsIntervalMs the event loop was busy (0…1)',
      'gauge',
      () => [{ value: this.eventLoopUtilization }],
      'average',
    );
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Counts every session of `server` (its open sessions too). Returns the undo. */
  observe(server: McpServer): () => void {
    if (!this.enabled) return () => {};
    this.#servers.add(server);
    server.setObserver(this);
    return () => {
      if (this.#servers.delete(server)) server.setObserver(undefined);
    };
  }

  /** Publishes the open connections of an McpTcpServer or McpHttpServer. Returns the undo. */
  observeListener(listener: MetricsListener): () => void {
    if (!this.enabled) return () => {};
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Publishes a route table's lookups, hits, misses and evictions. Returns the undo. */
  observeRegistry(registry: RouteRegistry): () => void {
    if (!this.enabled) return () => {};
    this.#registries.add(registry);
    return () => this.#registries.delete(registry);
  }

  /** Publishes a gateway's upstream states and breakers, and counts the sessions of its server. Returns the undo. */
  observeGateway(gateway: McpGateway): () => void {
    if (!this.enabled) return () => {};
    this.#gateways.add(gateway);
    const unobserve = this.observe(gateway.server);
    return () => {
      this.#gateways.delete(gateway);
      unobserve();
    };
  }

  /** Stops the sampling timer and the event-loop monitor; the registry keeps what it has. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#loopDelay.disable();
    for (const server of this.#servers) server.setObserver(undefined);
    this.#servers.clear();
  }

  /** The open sessions, with their transports (for systemInfo). */
  get sessions(): ReadonlyMap<ServerSession, Transport> {
    return this.#live;
  }

  /** When an open session was opened (or first observed), ms since the epoch. */
  openedAt(session: ServerSession): number | undefined {
    return this.#opened.get(session);
  }

  /** The event loop's utilization over the last metricsIntervalMs (0…1); before the first sample, since the start. */
  get eventLoopUtilization(): number {
    if (this.#sampled) return this.#utilization;
    return performance.eventLoopUtilization(performance.eventLoopUtilization(), this.#elu).utilization;
  }

  /** The event loop's delay percentiles since the last reset, ms. */
  eventLoopDelay(): { p50: number; p99: number; max: number } {
    const d = this.#loopDelay;
    const ms = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
    return { p50: ms(d.percentile(50)), p99: ms(d.percentile(99)), max: ms(d.max) };
  }

  // ---- ServerObserver

  sessionOpened(session: ServerSession, transport: Transport): SessionObserver | undefined {
    this.#live.set(session, transport);
    this.#opened.set(session, Date.now());
    return this.#stats(transport.kind);
  }

  sessionClosed(session: ServerSession, transport: Transport): void {
    if (!this.#live.delete(session)) return;
    const s = statsOf(transport);
    if (s === undefined) return;
    let totals = this.#closed.get(transport.kind);
    if (totals === undefined) {
      totals = emptyTotals();
      this.#closed.set(transport.kind, totals);
    }
    addInto(totals, s);
  }

  // ---- publishing

  #stats(kind: string): MessageStats {
    let s = this.#byTransport.get(kind);
    if (s === undefined) {
      s = new MessageStats();
      this.#byTransport.set(kind, s);
    }
    return s;
  }

  #sample(): void {
    const now = performance.eventLoopUtilization();
    this.#utilization = performance.eventLoopUtilization(now, this.#elu).utilization;
    this.#elu = now;
    this.#sampled = true;
  }

  #publishMessages(): void {
    const r = this.registry;
    publish(r, 'nmcp_messages_total', 'MCP messages by transport, direction, kind and method', 'counter', () => {
      const out: Sample[] = [];
      for (const [transport, stats] of this.#byTransport) {
        for (const [method, c] of stats.methods()) {
          for (let k = 0; k < 4; k++) {
            const kind = KIND_NAMES[k] as string;
            if ((c.in[k] as number) > 0)
              out.push({ labels: { transport, direction: 'in', kind, method }, value: c.in[k] as number });
            if ((c.out[k] as number) > 0)
              out.push({ labels: { transport, direction: 'out', kind, method }, value: c.out[k] as number });
          }
        }
      }
      return out;
    });
    publish(
      r,
      'nmcp_message_duration_seconds',
      'Time from a request’s arrival to its reply leaving the session, by transport and method',
      'histogram',
      () => {
        const out: Sample[] = [];
        for (const [transport, stats] of this.#byTransport) {
          for (const [method, c] of stats.methods()) {
            if (c.durationCount === 0) continue;
            out.push(
              ...histogramSamples(
                'nmcp_message_duration_seconds',
                { transport, method },
                DURATION_BUCKETS,
                c.buckets,
                c.durationSum,
              ),
            );
          }
        }
        return out;
      },
    );
    publish(r, 'nmcp_errors_total', 'JSON-RPC error replies by transport and code', 'counter', () => {
      const out: Sample[] = [];
      for (const [transport, stats] of this.#byTransport) {
        for (const [code, n] of stats.errors()) out.push({ labels: { transport, code }, value: n });
      }
      return out;
    });
    publish(r, 'nmcp_sessions', 'Open MCP sessions by transport', 'gauge', () => {
      const counts = new Map<string, number>();
      for (const kind of this.#byTransport.keys()) counts.set(kind, 0);
      for (const t of this.#live.values()) counts.set(t.kind, (counts.get(t.kind) ?? 0) + 1);
      return [...counts].map(([transport, value]) => ({ labels: { transport }, value }));
    });
  }

  /** Transport counters by kind: the closed transports' totals plus the open ones'. */
  #transportTotals(): Map<string, Totals> {
    const all = new Map<string, Totals>();
    for (const [kind, t] of this.#closed) {
      const copy = emptyTotals();
      addInto(copy, { ...t, batchSizes: t.batchSizes as unknown as Uint32Array });
      all.set(kind, copy);
    }
    for (const transport of this.#live.values()) {
      const s = statsOf(transport);
      if (s === undefined) continue;
      let t = all.get(transport.kind);
      if (t === undefined) {
        t = emptyTotals();
        all.set(transport.kind, t);
      }
      addInto(t, s);
    }
    return all;
  }

  #publishTransports(): void {
    const r = this.registry;
    publish(r, 'nmcp_connections', 'Open connections by transport', 'gauge', () => {
      const counts = new Map<string, number>();
      for (const l of this.#listeners) {
        if ('connections' in l) {
          for (const c of l.connections) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
        } else {
          counts.set('http', (counts.get('http') ?? 0) + l.handler.sessionCount);
        }
      }
      for (const t of this.#live.values()) if (t.kind === 'stdio') counts.set('stdio', (counts.get('stdio') ?? 0) + 1);
      return [...counts].map(([transport, value]) => ({ labels: { transport }, value }));
    });
    publish(
      r,
      'nmcp_bytes_total',
      'Bytes read and written by byte-stream transports, framing included',
      'counter',
      () => {
        const out: Sample[] = [];
        for (const [transport, t] of this.#transportTotals()) {
          out.push({ labels: { transport, direction: 'in' }, value: t.bytesIn });
          out.push({ labels: { transport, direction: 'out' }, value: t.bytesOut });
        }
        return out;
      },
    );
    publish(r, 'nmcp_batch_size', 'Messages per write (one flush of the write batcher)', 'histogram', () => {
      const out: Sample[] = [];
      for (const [transport, t] of this.#transportTotals()) {
        out.push(
          ...histogramSamples('nmcp_batch_size', { transport }, BATCH_SIZE_BUCKETS, t.batchSizes, t.flushedMessages),
        );
      }
      return out;
    });
    publish(
      r,
      'nmcp_http_forwarded_requests_total',
      'Legacy-session HTTP requests that landed on a process not owning the session (nmcp serve --processes N): sent to the owner, or received from another process',
      'counter',
      () => {
        let sent = 0;
        let received = 0;
        for (const l of this.#listeners) {
          if ('handler' in l && l.forwardedRequests !== undefined) {
            sent += l.forwardedRequests.sent;
            received += l.forwardedRequests.received;
          }
        }
        return [
          { labels: { direction: 'sent' }, value: sent },
          { labels: { direction: 'received' }, value: received },
        ];
      },
    );
    publish(
      r,
      'nmcp_http_moved_connections_total',
      "HTTP/1.1 connections whose first request named another process's legacy session, moved whole to that process (nmcp serve --processes N): sent, or received",
      'counter',
      () => {
        let sent = 0;
        let received = 0;
        for (const l of this.#listeners) {
          if ('handler' in l && l.movedConnections !== undefined) {
            sent += l.movedConnections.sent;
            received += l.movedConnections.received;
          }
        }
        return [
          { labels: { direction: 'sent' }, value: sent },
          { labels: { direction: 'received' }, value: received },
        ];
      },
    );
    publish(
      r,
      'nmcp_backpressure_pauses_total',
      'Times a socket or pipe pushed back (its write buffer was full)',
      'counter',
      () =>
        [...this.#transportTotals()].map(([transport, t]) => ({ labels: { transport }, value: t.backpressurePauses })),
    );
  }

  #publishRegistry(): void {
    const r = this.registry;
    const sum = (key: 'lookups' | 'hits' | 'misses' | 'evictions') => () => {
      let n = 0;
      for (const registry of this.#registries) n += registry.stats()[key];
      return this.#registries.size === 0 ? [] : [{ value: n }];
    };
    publish(r, 'nmcp_registry_lookups_total', 'Route lookups', 'counter', sum('lookups'));
    publish(r, 'nmcp_registry_hits_total', 'Route lookups answered by the route cache', 'counter', sum('hits'));
    publish(r, 'nmcp_registry_misses_total', 'Route lookups that read the table', 'counter', sum('misses'));
    publish(
      r,
      'nmcp_registry_evictions_total',
      'Cached routes evicted at maxCacheEntries',
      'counter',
      sum('evictions'),
    );
  }

  #publishGateway(): void {
    const r = this.registry;
    const each = (value: (state: string, breaker: string) => number) => () => {
      const out: Sample[] = [];
      for (const g of this.#gateways) {
        for (const [upstream, u] of Object.entries(g.stats().upstreams)) {
          out.push({ labels: { upstream }, value: value(u.state, u.breaker) });
        }
      }
      return out;
    };
    publish(
      r,
      'nmcp_gateway_upstream_up',
      '1 when the gateway’s upstream is connected',
      'gauge',
      each((s) => (s === 'connected' ? 1 : 0)),
    );
    publish(
      r,
      'nmcp_gateway_upstream_breaker_open',
      '1 when the upstream’s circuit breaker is open (or half-open)',
      'gauge',
      each((_s, b) => (b === 'closed' ? 0 : 1)),
    );
  }
}
