/**
 * McpGateway: one MCP endpoint in front of N upstream MCP servers (docs/gateway.md). Its `server` is an McpServer
 * whose tools, prompts and resources are the upstreams', namespaced `<upstream><separator><name>`; serve it with any
 * transport. Each upstream is an McpClient that reconnects on its own and sits behind a circuit breaker.
 *
 * Two planes (docs/design/gateway.md). The control plane parses: an McpClient per upstream and the McpServer answer
 * initialize, the lists, and every call the data plane leaves to them. The data plane (Forwarder) forwards
 * `tools/call` and `prompts/get` of downstream connections served through `serve()` / `attach()` to legacy-era
 * upstream connections (stdio, TCP, Unix, and Streamable HTTP through HttpUpstreamLink) as bytes, never parsed;
 * requests it cannot take (the 2026-07-28 envelope, a progress token, an open breaker, an HTTP downstream) go through
 * the control plane.
 */

import type { RouteRegistryOptions } from '../config/defaults.js';
import type { RouteRegistryStats } from '../registry/route-registry.js';
import { McpServer } from '../server/mcp-server.js';
import type { ServerSession } from '../server/server-session.js';
import { StreamableHttpClientTransport } from '../transport/http/client/transport.js';
import { isFrameTransport, type Transport } from '../transport/types.js';
import { Catalog } from './catalog.js';
import { Forwarder, type ForwarderStats } from './forwarder.js';
import { HttpUpstreamLink } from './http-link.js';
import { type McpGatewayOptions, type ResolvedGatewayOptions, resolveGatewayOptions } from './options.js';
import { Upstream, type UpstreamStats } from './upstream.js';

export interface GatewayStats {
  upstreams: Record<string, UpstreamStats>;
  /** The data plane: requests forwarded as bytes, answered, failed, pending, left to the control plane. */
  forwarder: ForwarderStats;
  /** The data plane's route table: lookups, hits, misses, … */
  routes: RouteRegistryStats;
}

export class McpGateway {
  /** The downstream server: serve it with any transport (connect, McpTcpServer, McpHttpServer, McpHost, …). */
  readonly server: McpServer;
  readonly options: Readonly<ResolvedGatewayOptions>;
  readonly #upstreams: Upstream[];
  readonly #catalog: Catalog;
  readonly #forwarder: Forwarder;
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(options: McpGatewayOptions) {
    this.options = Object.freeze(resolveGatewayOptions(options));
    const onError = (error: Error) => {
      try {
        this.options.onError(error);
      } catch {
        // ignore the callback's own failure
      }
    };
    this.server = new McpServer(this.options.info, {
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } },
      onError,
    });
    this.#upstreams = this.options.upstreams.map((config) => new Upstream(config, { ...this.options, onError }));
    this.#catalog = new Catalog(this.server, this.#upstreams, this.options.separator, onError);
    for (const upstream of this.#upstreams) upstream.onLists = (kind) => this.#catalog.sync(kind);
    this.#forwarder = new Forwarder({ separator: this.options.separator });
    for (const upstream of this.#upstreams) {
      upstream.onConnected = (transport, client) => {
        // Bytes are forwarded on a legacy-era connection: of a byte-stream transport (stdio, TCP, Unix) as they are,
        // of a Streamable HTTP one as POSTs on its session (HttpUpstreamLink).
        if (client.era !== 'legacy') return;
        const link = isFrameTransport(transport)
          ? transport
          : transport instanceof StreamableHttpClientTransport
            ? new HttpUpstreamLink(upstream.name, transport)
            : undefined;
        if (link === undefined) return;
        this.#forwarder.addUpstream(upstream.name, link, {
          admit: () => upstream.breaker.state === 'closed',
          timeoutMs: this.options.requestTimeoutMs,
          onSettled: (outcome) => upstream.forwarded(outcome),
        });
      };
      upstream.onDisconnected = (reason) => this.#forwarder.removeUpstream(upstream.name, reason);
    }
  }

  /**
   * Lets the data plane intercept a downstream connection (a byte-stream transport; others are left alone) before it
   * is served — for servers that connect transports themselves (McpTcpServer's onConnection). Returns the undo.
   */
  attach(transport: Transport): () => void {
    return isFrameTransport(transport) ? this.#forwarder.attach(transport) : () => {};
  }

  /** Changes the data plane's route table options live (enableRouteCache, cacheTtlMs, maxCacheEntries, …). */
  updateRouteConfig(update: Partial<RouteRegistryOptions>): Readonly<RouteRegistryOptions> {
    return this.#forwarder.updateRouteConfig(update);
  }

  /** Serves one downstream connection: attach() and `server.connect()`. */
  serve(transport: Transport): Promise<ServerSession> {
    this.attach(transport);
    return this.server.connect(transport);
  }

  /** The upstream names, in config order. */
  get names(): string[] {
    return this.#upstreams.map((u) => u.name);
  }

  /**
   * Connects every upstream at once and resolves when each has connected (and listed) or failed its first attempt;
   * one that failed keeps reconnecting in the background.
   */
  start(): Promise<void> {
    this.#started ??= Promise.all(this.#upstreams.map((u) => u.start())).then(() => {});
    return this.#started;
  }

  /** Closes every upstream (stdio servers are shut down) and the downstream server with its sessions. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#upstreams.map((u) => u.close()));
    this.#catalog.clear();
    await this.server.close();
  }

  stats(): GatewayStats {
    const upstreams: Record<string, UpstreamStats> = {};
    for (const u of this.#upstreams) upstreams[u.name] = u.stats();
    return { upstreams, forwarder: this.#forwarder.stats(), routes: this.#forwarder.routeStats() };
  }
}
