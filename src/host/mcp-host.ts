/**
 * McpHost: one process serving several McpServers, each by name — over Streamable HTTP at `/mcp/<name>` (one port for
 * all), over TCP / Unix sockets (a listener per server), or over stdio — all recorded in one RouteRegistry: each server
 * is a registry server with its method routes, each connection a registry transport bound to its server while open.
 * Per-message dispatch inside a session stays in McpServer (docs/host.md).
 *
 *   const host = new McpHost();
 *   host.addServer('a', serverA);
 *   host.addServer('b', () => createServerB());          // a factory: the host owns (and closes) what it makes
 *   const http = await host.listenHttp({ port: 3000 });  // http://127.0.0.1:3000/mcp/a and …/mcp/b
 *   await host.listenTcp({ port: 7001, server: 'a' });
 *   host.stats();                                        // per server: connections open/total, routes
 *   await host.close();
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { RouteRegistry, type RouteRegistryStats, type RouteSnapshot } from '../registry/route-registry.js';
import type { McpServer } from '../server/mcp-server.js';
import type { StdioServerTransportOptions } from '../transport/stdio.js';
import type { TcpListenAddress } from '../transport/tcp/server.js';
import { type HostedConnections, HostedServer } from './hosted-server.js';
import type { HostHttpListener, HostHttpOptions } from './http-listener.js';
import { checkServerName } from './names.js';
import { HostStdioSession } from './stdio-session.js';
import { HostTcpListener, type HostTcpOptions } from './tcp-listener.js';

export interface McpHostOptions {
  /** The route table to record servers, routes and connections in. Default: a new RouteRegistry. */
  registry?: RouteRegistry;
}

/** Makes the server when it is added; the host owns it (closes it on removeServer and close). */
export type McpServerFactory = () => McpServer;

export interface HostedServerStats {
  /** The server's id in the registry. */
  readonly id: number;
  readonly connections: HostedConnections;
  /** The server's routes in the registry, with the messages each routed (lookups by a gateway; see docs/host.md). */
  readonly routes: readonly RouteSnapshot[];
}

export interface McpHostStats {
  readonly servers: Readonly<Record<string, HostedServerStats>>;
  /** The registry's counters (lookups, hits, …). */
  readonly registry: RouteRegistryStats;
}

const U32_MAX = 0xffff_ffff;

function isServer(value: unknown): value is McpServer {
  return typeof value === 'object' && value !== null && typeof (value as McpServer).connect === 'function';
}

export class McpHost {
  /** The shared route table: every server, its routes, and every open connection bound to its server. */
  readonly registry: RouteRegistry;
  readonly #servers = new Map<string, HostedServer>();
  readonly #http = new Set<HostHttpListener>();
  readonly #tcp = new Set<HostTcpListener>();
  readonly #stdio = new Set<HostStdioSession>();
  #nextServerId = 1;
  #nextTransportId = 1;
  #closed = false;

  constructor(options: McpHostOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'McpHost options must be an object', { key: 'McpHost' });
    }
    if (options.registry !== undefined && !(options.registry instanceof RouteRegistry)) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'McpHost.registry must be a RouteRegistry', {
        key: 'McpHost.registry',
      });
    }
    this.registry = options.registry ?? new RouteRegistry();
  }

  /**
   * Adds a server under `name` (1 … 64 of a-z 0-9 - _): registers it in the registry with its method routes, and serves
   * it on every HTTP listener at once. Returns its registry id.
   */
  addServer(name: string, serverOrFactory: McpServer | McpServerFactory): number {
    this.#assertOpen('addServer');
    checkServerName('McpHost.addServer', name);
    if (this.#servers.has(name)) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `McpHost.addServer: a server named "${name}" is already hosted`, {
        key: 'McpHost.addServer.name',
        name,
      });
    }
    const owned = typeof serverOrFactory === 'function';
    const server = owned ? (serverOrFactory as McpServerFactory)() : serverOrFactory;
    if (!isServer(server)) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `McpHost.addServer("${name}"): expected an McpServer or a function returning one`,
        { key: 'McpHost.addServer.server', name },
      );
    }
    const id = this.#serverId();
    let entry: HostedServer;
    try {
      entry = new HostedServer(name, id, server, owned, this.registry, () => this.#transportId());
    } catch (err) {
      this.registry.unregisterServer(id);
      throw err;
    }
    this.#servers.set(name, entry);
    for (const http of this.#http) http.attach(entry);
    return entry.id;
  }

  /**
   * Removes a server: its HTTP path answers 404 from now on, its TCP listeners stop, its open connections and sessions
   * are closed (their clients see them end), and it leaves the registry. Other servers are not touched.
   */
  async removeServer(name: string): Promise<void> {
    const entry = this.#servers.get(name);
    if (entry === undefined) throw this.#unknown('removeServer', name);
    this.#servers.delete(name);
    const reason = new NmcpError(ErrorCode.CONNECTION_CLOSED, `server "${name}" was removed from the host`, {
      server: name,
    });
    await Promise.all([...this.#http].map((http) => http.detach(name)));
    const tcp = [...this.#tcp].filter((t) => t.server === name);
    for (const t of tcp) this.#tcp.delete(t);
    await Promise.all(tcp.map((t) => t.close(reason)));
    const stdio = [...this.#stdio].filter((s) => s.server === name);
    for (const s of stdio) this.#stdio.delete(s);
    await Promise.all(stdio.map((s) => s.close(reason)));
    await entry.remove(reason);
  }

  /** The server hosted under `name`. */
  server(name: string): McpServer | undefined {
    return this.#servers.get(name)?.server;
  }

  /** The names served, in the order they were added. */
  get names(): string[] {
    return [...this.#servers.keys()];
  }

  /** One fastify server where `<basePath>/<name>` (default `/mcp/<name>`) is each server's Streamable HTTP endpoint. */
  async listenHttp(options: HostHttpOptions = {}): Promise<HostHttpListener> {
    this.#assertOpen('listenHttp');
    // Loaded on demand: hosting over TCP or stdio must not pay for fastify.
    const { HostHttpListener } = await import('./http-listener.js');
    const http = new HostHttpListener(options);
    for (const entry of this.#servers.values()) http.attach(entry);
    this.#http.add(http);
    try {
      await http.listen();
    } catch (err) {
      this.#http.delete(http);
      await http.close().catch(() => {});
      throw err;
    }
    return http;
  }

  /** A TCP (or Unix socket, or TLS) listener for server `options.server`. */
  async listenTcp(options: HostTcpOptions): Promise<HostTcpListener> {
    this.#assertOpen('listenTcp');
    if (typeof options !== 'object' || options === null) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'McpHost.listenTcp options must be an object', {
        key: 'McpHost.listenTcp',
      });
    }
    const { server, port, host, path, ...rest } = options;
    const entry = this.#servers.get(server);
    if (entry === undefined) throw this.#unknown('listenTcp', server);
    const tcp = new HostTcpListener(entry, rest);
    await tcp.listen({
      ...(port === undefined ? {} : { port }),
      ...(host === undefined ? {} : { host }),
      ...(path === undefined ? {} : { path }),
    });
    this.#tcp.add(tcp);
    return tcp;
  }

  /** Serves `name` over stdin/stdout (or the streams in `options`): one session, until stdin ends. */
  async serveStdio(name: string, options: StdioServerTransportOptions = {}): Promise<HostStdioSession> {
    this.#assertOpen('serveStdio');
    const entry = this.#servers.get(name);
    if (entry === undefined) throw this.#unknown('serveStdio', name);
    const session = new HostStdioSession(entry, options);
    await session.start();
    this.#stdio.add(session);
    void session.closed.then(() => this.#stdio.delete(session));
    return session;
  }

  /** Where the TCP listeners listen, by server. */
  get tcpAddresses(): { server: string; address: TcpListenAddress }[] {
    return [...this.#tcp].map((t) => ({ server: t.server, address: t.address }));
  }

  /** Per server: connections open and total (from its registry bindings) and its routes; plus the registry's counters. */
  stats(): McpHostStats {
    const routes = this.registry.routes();
    const servers: Record<string, HostedServerStats> = {};
    for (const [name, entry] of this.#servers) {
      servers[name] = {
        id: entry.id,
        connections: entry.connections,
        routes: routes.filter((r) => r.server === entry.id),
      };
    }
    return { servers, registry: this.registry.stats() };
  }

  /** Closes every listener and session, closes the servers the host made, and empties its part of the registry. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const http = [...this.#http];
    const tcp = [...this.#tcp];
    const stdio = [...this.#stdio];
    this.#http.clear();
    this.#tcp.clear();
    this.#stdio.clear();
    await Promise.all([...http.map((h) => h.close()), ...tcp.map((t) => t.close()), ...stdio.map((s) => s.close())]);
    const reason = new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the host closed', {});
    const entries = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(entries.map((e) => e.remove(reason)));
  }

  #assertOpen(method: string): void {
    if (this.#closed) throw new NmcpError(ErrorCode.INVALID_STATE, `McpHost.${method}(): the host is closed`, {});
  }

  #unknown(method: string, name: string): NmcpError {
    const known = this.names;
    return new NmcpError(
      ErrorCode.INVALID_OPTION,
      `McpHost.${method}: no server named ${JSON.stringify(name)} (hosted: ${known.length === 0 ? 'none' : known.join(', ')})`,
      { key: `McpHost.${method}.server`, name },
    );
  }

  /** Registers the next free server id (ids a shared registry already holds are skipped) and returns it. */
  #serverId(): number {
    for (let tries = 0; tries < 1_000; tries++) {
      const id = this.#nextServerId;
      this.#nextServerId = id >= U32_MAX ? 1 : id + 1;
      try {
        this.registry.registerServer(id);
        return id;
      } catch (err) {
        if (!(err instanceof NmcpError && err.code === ErrorCode.INVALID_ROUTE)) throw err;
      }
    }
    throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHost: no free server id in the registry', {});
  }

  #transportId(): number {
    const id = this.#nextTransportId;
    this.#nextTransportId = id >= U32_MAX ? 1 : id + 1;
    return id;
  }
}
