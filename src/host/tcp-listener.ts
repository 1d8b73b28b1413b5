/**
 * McpHost's TCP / Unix / TLS listener: an McpTcpServer bound to one server of the host. Each accepted connection is
 * opened through the hosted server's `connect`, so it is a registry transport bound to that server while it is open.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import {
  McpTcpServer,
  type McpTcpServerOptions,
  type TcpListenAddress,
  type TcpServerStats,
} from '../transport/tcp/server.js';
import type { HostedServer } from './hosted-server.js';

/** McpHost.listenTcp's options: McpTcpServer's (docs/tcp.md), the server to serve, and where to listen. */
export interface HostTcpOptions extends McpTcpServerOptions {
  /** The name of the host's server every connection is served by. */
  server: string;
  /** TCP port; 0 (default) picks a free one. Not with `path`. */
  port?: number;
  /** Address to bind. Default '127.0.0.1'. */
  host?: string;
  /** A Unix domain socket path instead of a TCP port. */
  path?: string;
}

export class HostTcpListener {
  /** The name of the server it serves. */
  readonly server: string;
  readonly #tcp: McpTcpServer;
  #address: TcpListenAddress | undefined;

  constructor(entry: HostedServer, options: Omit<HostTcpOptions, 'server' | 'port' | 'host' | 'path'>) {
    this.server = entry.name;
    this.#tcp = new McpTcpServer({ connect: entry.connect }, options);
  }

  async listen(target: Pick<HostTcpOptions, 'port' | 'host' | 'path'>): Promise<TcpListenAddress> {
    const { port, host, path } = target;
    if (path !== undefined && (port !== undefined || host !== undefined)) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        'McpHost.listenTcp: give `path` (a Unix socket) or `port`/`host`, not both',
        { key: 'McpHost.listenTcp.path' },
      );
    }
    this.#address = await this.#tcp.listen(
      path === undefined ? { port: port ?? 0, host: host ?? '127.0.0.1' } : { path },
    );
    return this.#address;
  }

  /** Where it listens (after listen()). */
  get address(): TcpListenAddress {
    if (this.#address === undefined) {
      throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHost.listenTcp: not listening', {});
    }
    return this.#address;
  }

  /** The connection framing ('length-prefixed' or 'ndjson'). */
  get framing(): 'length-prefixed' | 'ndjson' {
    return this.#tcp.options.framing;
  }

  get stats(): Readonly<TcpServerStats> {
    return this.#tcp.stats;
  }

  /** Closes every connection (with `reason`, when given) and stops listening. */
  async close(reason?: Error): Promise<void> {
    if (reason !== undefined) await Promise.all([...this.#tcp.connections].map((c) => c.close(reason)));
    await this.#tcp.close();
  }
}
