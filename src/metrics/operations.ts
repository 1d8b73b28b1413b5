/**
 * The operations side of a served McpServer, assembled from the config (`metrics` and `memory` sections): the memory
 * monitor (always: it is one sample a second), and — when metrics are enabled and there is somewhere to read them —
 * NmcpMetrics with health checks, served on the Streamable HTTP transport's own port (`attachHttp`) and/or a listener
 * of their own (`metrics.port`, `nmcp serve --metrics-port`). Loaded on demand by `nmcp serve`: prom-client is not
 * paid for by a server nobody scrapes.
 */
import type { McpGateway } from '../gateway/mcp-gateway.js';
import type { RouteRegistry } from '../registry/route-registry.js';
import type { McpServer } from '../server/mcp-server.js';
import type { McpHttpServer } from '../transport/http/server/http-server.js';
import { HealthChecks } from './health.js';
import { MemoryMonitor, type MemoryOptions } from './memory-monitor.js';
import { type MetricsListener, NmcpMetrics } from './nmcp-metrics.js';
import { listenOperations, type OperationsListener, registerOperationsRoutes } from './routes.js';
import { type SystemInfo, systemInfo } from './system-info.js';

export interface OperationsConfig {
  metrics: { enableMetrics: boolean; metricsIntervalMs: number; port: number };
  memory: MemoryOptions;
}

export interface OperationsInit {
  server: McpServer;
  config: OperationsConfig;
  /** Where the separate metrics listener binds (127.0.0.1). */
  host?: string;
  /** Warnings (memory) and notices. */
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** What /metrics on the HTTP transport's port answers with instead of this process's metrics (a cluster's). */
  metricsText?: () => Promise<string>;
}

export class Operations {
  readonly memory: MemoryMonitor;
  readonly metrics: NmcpMetrics | undefined;
  readonly health: HealthChecks;
  readonly #registries: RouteRegistry[] = [];
  readonly #listeners: MetricsListener[] = [];
  #listener: OperationsListener | undefined;
  #ready = false;
  #serving: () => { ok: boolean; detail: string } = () => ({ ok: false, detail: 'not listening yet' });

  constructor(readonly init: OperationsInit) {
    const { server, config, log } = init;
    this.memory = new MemoryMonitor({ ...config.memory, warn: (message) => log('warn', message) });
    this.memory.guard(server);
    this.health = new HealthChecks({
      memory: this.memory,
      registries: this.#registries,
      transports: () => this.#serving(),
    });
    if (config.metrics.enableMetrics) {
      this.metrics = new NmcpMetrics({ metricsIntervalMs: config.metrics.metricsIntervalMs });
      this.metrics.observe(server);
    }
  }

  /** Serves /metrics, /health, /ready, /live, /info on the MCP HTTP server's port (before its listen()). */
  attachHttp(http: McpHttpServer): void {
    this.observeListener(http);
    if (this.metrics === undefined) return;
    const metrics = this.metrics;
    http.addRoutes((app) =>
      registerOperationsRoutes(app, {
        metrics,
        health: this.health,
        memory: this.memory,
        ready: () => this.#ready,
        registries: this.#registries,
        ...(this.init.metricsText === undefined ? {} : { metricsText: this.init.metricsText }),
      }),
    );
  }

  /** systemInfo() of this process (what /info says); undefined with metrics off. */
  info(): SystemInfo | undefined {
    if (this.metrics === undefined) return undefined;
    return systemInfo({ metrics: this.metrics, memory: this.memory, registries: this.#registries });
  }

  /** Whether the server serves and does not shed load (what /ready says). */
  get ready(): boolean {
    return this.#ready && !this.memory.shedding;
  }

  observeListener(listener: MetricsListener): void {
    this.#listeners.push(listener);
    this.metrics?.observeListener(listener);
  }

  observeRegistry(registry: RouteRegistry): void {
    this.#registries.push(registry);
    this.metrics?.observeRegistry(registry);
  }

  /** Starts the memory monitor and, with metrics.port, the separate listener; returns its URL if any. */
  async start(): Promise<string | undefined> {
    this.memory.start();
    const { port } = this.init.config.metrics;
    if (this.metrics === undefined || port === 0) return undefined;
    this.#listener = await listenOperations(
      {
        metrics: this.metrics,
        health: this.health,
        memory: this.memory,
        ready: () => this.#ready,
        registries: this.#registries,
      },
      { port, host: this.init.host ?? '127.0.0.1' },
    );
    return this.#listener.url;
  }

  /** The server serves now (its transport listens or its stdio session is open); `check` says whether it still does. */
  serving(check: () => { ok: boolean; detail: string }): void {
    this.#serving = check;
    this.#ready = true;
  }

  /** A config reload: memory options change live (a bad value throws naming the key; nothing changes). */
  update(next: OperationsConfig): string[] {
    const changed: string[] = [];
    const m = this.memory.options;
    for (const key of Object.keys(next.memory) as (keyof MemoryOptions)[]) {
      if (next.memory[key] !== m[key]) changed.push(`memory.${key}`);
    }
    if (changed.length > 0) this.memory.updateOptions(next.memory);
    return changed;
  }

  async close(): Promise<void> {
    this.#ready = false;
    this.memory.stop();
    this.health.close();
    this.metrics?.close();
    await this.#listener?.close();
  }
}

export interface ServeOperationsInit {
  /** The servers to count and guard (memory shedding). */
  servers?: readonly McpServer[];
  /** Gateways: their upstreams' state and breakers, and their server's sessions. */
  gateways?: readonly McpGateway[];
  registries?: readonly RouteRegistry[];
  listeners?: readonly MetricsListener[];
  /** The port of the operations listener, and where it binds (127.0.0.1). */
  port: number;
  host?: string;
  log: (message: string) => void;
}

/**
 * The operations endpoints on a port of their own for a process that serves several servers (`nmcp host`, `nmcp
 * gateway` with --metrics-port): NmcpMetrics over all of them, health checks, the memory monitor (default options).
 */
export async function serveOperationsFor(
  init: ServeOperationsInit,
): Promise<{ url: string; close: () => Promise<void> }> {
  const metrics = new NmcpMetrics();
  const memory = new MemoryMonitor({ warn: (message) => init.log(message) });
  const registries = [...(init.registries ?? [])];
  for (const server of init.servers ?? []) {
    metrics.observe(server);
    memory.guard(server);
  }
  for (const gateway of init.gateways ?? []) {
    metrics.observeGateway(gateway);
    memory.guard(gateway.server);
  }
  for (const registry of registries) metrics.observeRegistry(registry);
  for (const listener of init.listeners ?? []) metrics.observeListener(listener);
  const health = new HealthChecks({ memory, registries });
  memory.start();
  try {
    const listener = await listenOperations(
      { metrics, health, memory, registries },
      { port: init.port, host: init.host },
    );
    return {
      url: listener.url,
      close: async () => {
        await listener.close();
        memory.stop();
        health.close();
        metrics.close();
      },
    };
  } catch (err) {
    memory.stop();
    health.close();
    metrics.close();
    throw err;
  }
}
