import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { ErrorCode, NmcpError } from '../../errors.js';
import type { Transport } from '../types.js';
import { TcpTransport } from './connection.js';
import {
  DEFAULT_TCP_SERVER_OPTIONS,
  invalidOption,
  resolveTcpServerOptions,
  splitOptions,
  streamOptionsOf,
  type TcpServerOptions,
} from './options.js';
import { applySocketOptions } from './socket-options.js';

/** What McpTcpServer serves: McpServer (anything with its connect()). */
export interface ConnectableServer {
  connect(transport: Transport): Promise<unknown>;
}

export interface McpTcpServerOptions extends Partial<TcpServerOptions> {
  /** Serve TLS with these node:tls options (key, cert, ca, requestCert, …). Default: plain TCP. */
  tls?: TlsOptions;
  /** Called for each connection accepted and handed to the MCP server. */
  onConnection?: (connection: TcpTransport) => void;
  /**
   * Called once per connection when it closes; `reason` is set when it closed because of a failure (a peer that stopped
   * reading: NMCP_ERR_WRITE_TIMEOUT; idleTimeoutMs; a socket error). nmcp logs nothing itself: log here.
   */
  onDisconnect?: (connection: TcpTransport, reason?: Error) => void;
  /** Called for each connection refused because maxConnections were open (also counted in stats.refused). */
  onRefused?: (remote: string) => void;
  /** Called with errors of the listener after listen() (an accept that failed, e.g. EMFILE); it keeps listening. */
  onError?: (error: Error) => void;
}

/** Where a server listens: a TCP host and port, or a Unix socket path. */
export type TcpListenTarget = { port?: number; host?: string } | { path: string };
export type TcpListenAddress = { host: string; port: number } | { path: string };

export interface TcpServerStats {
  /** Connections open now. */
  active: number;
  /** Connections accepted and served since listen(). */
  accepted: number;
  /** Connections refused because maxConnections were open. */
  refused: number;
}

/** The JSON-RPC code of the refusal frame (the implementation-defined server-error range). */
export const CONNECTION_LIMIT_RPC_CODE = -32000;

/**
 * Serves an McpServer over TCP, a Unix domain socket, or TLS: each accepted socket becomes a TcpTransport (framing
 * 'length-prefixed' by default, or 'ndjson') handed to `server.connect()`, so one McpServer serves every connection.
 *
 *   const tcp = new McpTcpServer(mcpServer, { maxConnections: 1000 });
 *   const { port } = await tcp.listen({ port: 0 });           // 127.0.0.1 unless host is given
 *   await tcp.listen({ path: '/run/mcp.sock' });              // or a Unix socket
 */
/** Options that are the listener's or the streams' shape: fixed once the server exists. */
const FIXED_OPTIONS = ['framing', 'maxMessageSize', 'backlog'] as const;

export class McpTcpServer {
  #options: Readonly<TcpServerOptions>;
  readonly #server: ConnectableServer;
  readonly #hooks: Pick<McpTcpServerOptions, 'onConnection' | 'onDisconnect' | 'onRefused' | 'onError'>;
  readonly #tls: TlsOptions | undefined;
  readonly #connections = new Set<TcpTransport>();
  readonly #stats: TcpServerStats = { active: 0, accepted: 0, refused: 0 };
  #listener: NetServer | undefined;
  #address: TcpListenAddress | undefined;
  #closing = false;

  constructor(server: ConnectableServer, options: McpTcpServerOptions = {}) {
    if (typeof server?.connect !== 'function') {
      throw invalidOption('McpTcpServer', 'server', server, 'must be an McpServer (an object with connect())');
    }
    const objectKeys = ['tls', 'onConnection', 'onDisconnect', 'onRefused', 'onError'];
    const { objects, primitives } = splitOptions('McpTcpServer', options, DEFAULT_TCP_SERVER_OPTIONS, objectKeys);
    this.#options = resolveTcpServerOptions('McpTcpServer', primitives as Partial<TcpServerOptions>);
    for (const key of ['onConnection', 'onDisconnect', 'onRefused', 'onError']) {
      if (objects[key] !== undefined && typeof objects[key] !== 'function') {
        throw invalidOption('McpTcpServer', key, objects[key], 'must be a function');
      }
    }
    if (objects.tls !== undefined && (typeof objects.tls !== 'object' || objects.tls === null)) {
      throw invalidOption('McpTcpServer', 'tls', objects.tls, 'must be an object of node:tls server options');
    }
    this.#server = server;
    this.#tls = objects.tls as TlsOptions | undefined;
    this.#hooks = objects as McpTcpServerOptions;
  }

  /** The options in force (updateOptions changes them). */
  get options(): Readonly<TcpServerOptions> {
    return this.#options;
  }

  /**
   * Changes options live, without a restart and without dropping a connection or a request in flight (issue 6's
   * dynamic configuration). Every open connection takes the stream options at once — batching (batchMessages,
   * batchSize, bufferSize), limits (maxPendingBytes, maxMessagesPerTurn), timeouts (readTimeoutMs, sendTimeoutMs)
   * and enableFlowControl — as StreamTransport.updateOptions applies them; maxConnections applies to the next accept;
   * socket options (noDelay, keepAlive…, send/recvBufferSize, idleTimeoutMs) to connections accepted from then on.
   * framing, maxMessageSize and backlog cannot change. Everything is checked before anything changes: an invalid
   * value or an unknown key throws NMCP_ERR_INVALID_OPTION naming the key, and the old options stay everywhere.
   */
  updateOptions(update: Partial<TcpServerOptions>): Readonly<TcpServerOptions> {
    if (typeof update !== 'object' || update === null) {
      throw invalidOption('McpTcpServer.updateOptions', 'update', update, 'must be an object of options');
    }
    for (const key of FIXED_OPTIONS) {
      if (update[key] !== undefined && update[key] !== this.#options[key]) {
        throw invalidOption(
          'McpTcpServer',
          key,
          update[key],
          'cannot change on a live server (restart it to change it)',
        );
      }
    }
    const next = resolveTcpServerOptions('McpTcpServer', { ...this.#options, ...update });
    const stream = streamOptionsOf(next);
    for (const connection of this.#connections) connection.updateOptions(stream);
    this.#options = next;
    return next;
  }

  /** Where the server listens (undefined before listen()). */
  get address(): TcpListenAddress | undefined {
    return this.#address;
  }

  /** The connections open now. */
  get connections(): ReadonlySet<TcpTransport> {
    return this.#connections;
  }

  get stats(): Readonly<TcpServerStats> {
    return { ...this.#stats };
  }

  /** Starts listening; resolves with the bound address (the real port when `port` is 0 or absent). */
  async listen(target: TcpListenTarget = {}): Promise<TcpListenAddress> {
    if (this.#listener) {
      throw new NmcpError(
        ErrorCode.INVALID_STATE,
        'McpTcpServer.listen() was already called: one listener per server',
        {},
      );
    }
    const isUnix = 'path' in target;
    const listener = this.#tls
      ? createTlsServer(this.#tls, (socket) => this.#accept(socket, isUnix))
      : createNetServer((socket) => this.#accept(socket, isUnix));
    // A failed TLS handshake concerns that client only (its socket is destroyed by node:tls).
    if (this.#tls) listener.on('tlsClientError', () => {});
    this.#listener = listener;
    const { backlog } = this.options;
    if (isUnix) {
      listener.listen({ path: target.path, backlog });
    } else {
      listener.listen({ port: target.port ?? 0, host: target.host ?? '127.0.0.1', backlog });
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        listener.off('listening', onListening);
        this.#listener = undefined;
        reject(err);
      };
      const onListening = () => {
        listener.off('error', onError);
        // Later listener errors (accept failing with EMFILE, …) do not stop it: report them, never crash.
        listener.on('error', (err: Error) => this.#hooks.onError?.(err));
        resolve();
      };
      listener.once('error', onError);
      listener.once('listening', onListening);
    });
    const bound = listener.address();
    this.#address =
      typeof bound === 'object' && bound !== null
        ? { host: bound.address, port: bound.port }
        : { path: (target as { path: string }).path };
    return this.#address;
  }

  /** Stops listening and closes every connection (the McpServer itself stays open: it may serve other transports); resolves when the listener is closed. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    const listener = this.#listener;
    const closed = listener?.listening ? new Promise<void>((resolve) => listener.close(() => resolve())) : undefined;
    await Promise.all([...this.#connections].map((c) => c.close()));
    await closed;
  }

  #accept(socket: Socket, isUnix: boolean): void {
    const remote = isUnix
      ? ((this.#address as { path: string } | undefined)?.path ?? 'unix')
      : `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.options.maxConnections) {
      this.#refuse(socket, remote);
      return;
    }
    const report = applySocketOptions(socket, this.options, !isUnix);
    const kind = this.#tls ? 'tls' : isUnix ? 'unix' : 'tcp';
    const connection = new TcpTransport(socket, this.options, kind, report, remote);
    this.#connections.add(connection);
    this.#stats.accepted++;
    this.#stats.active = this.#connections.size;
    connection.onclose = (reason) => {
      this.#connections.delete(connection);
      this.#stats.active = this.#connections.size;
      this.#hooks.onDisconnect?.(connection, reason);
    };
    this.#hooks.onConnection?.(connection);
    this.#server.connect(connection).catch((err: unknown) => {
      void connection.close(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /** One JSON-RPC error frame naming the limit (id null: no request was made), then close. */
  #refuse(socket: Socket, remote: string): void {
    this.#stats.refused++;
    const max = this.options.maxConnections;
    const text = JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: CONNECTION_LIMIT_RPC_CODE,
        message: `connection refused: the server is at maxConnections (${max})`,
        data: { reason: 'maxConnections', maxConnections: max },
      },
    });
    socket.on('error', () => {});
    socket.end(frame(text, this.options.framing));
    setTimeout(() => socket.destroy(), 1_000).unref();
    this.#hooks.onRefused?.(remote);
  }
}

/** One message framed for the wire. */
export function frame(text: string, framing: 'ndjson' | 'length-prefixed'): Buffer {
  if (framing === 'ndjson') return Buffer.from(`${text}\n`);
  const body = Buffer.from(text);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}
