/**
 * McpGateway: one MCP endpoint in front of N upstream MCP servers (docs/gateway.md). Its `server` is an McpServer
 * whose tools, prompts and resources are the upstreams', namespaced `<upstream><separator><name>`; serve it with any
 * transport. Each upstream is an McpClient that reconnects on its own and sits behind a circuit breaker.
 *
 * This is the control plane of docs/design/gateway.md: every forwarded call is parsed and re-encoded by an McpClient
 * and an McpServer. The byte-forwarding data plane is the next step.
 */
import { McpServer } from '../server/mcp-server.js';
import { Catalog } from './catalog.js';
import { type McpGatewayOptions, type ResolvedGatewayOptions, resolveGatewayOptions } from './options.js';
import { Upstream, type UpstreamStats } from './upstream.js';

export interface GatewayStats {
  upstreams: Record<string, UpstreamStats>;
}

export class McpGateway {
  /** The downstream server: serve it with any transport (connect, McpTcpServer, McpHttpServer, McpHost, …). */
  readonly server: McpServer;
  readonly options: Readonly<ResolvedGatewayOptions>;
  readonly #upstreams: Upstream[];
  readonly #catalog: Catalog;
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
    return { upstreams };
  }
}
