import type { ConnectionOptions } from 'node:tls';
import { ErrorCode, NmcpError } from '../../errors.js';
import type { FrameInterceptor, FrameTransport, InterceptorRouting, TransportSink } from '../types.js';
import type { TcpTransport } from './connection.js';
import { describeTarget, dial, type TcpDialTarget } from './dial.js';
import {
  DEFAULT_TCP_CLIENT_OPTIONS,
  invalidOption,
  resolveTcpClientOptions,
  splitOptions,
  type TcpClientOptions,
} from './options.js';
import { backoffDelay, type ReconnectOptions, resolveReconnect } from './reconnect.js';
import { CONNECTION_LIMIT_RPC_CODE } from './server.js';
import type { SocketOptionsReport } from './socket-options.js';

export interface TcpClientTransportOptions extends Partial<TcpClientOptions> {
  /** Server host (default '127.0.0.1'). */
  host?: string;
  /** Server port (required unless `path` is given). */
  port?: number;
  /** Unix socket path (instead of host and port). */
  path?: string;
  /** Connect with TLS, with these node:tls options (ca, servername, cert/key for client auth, …). Default: plain. */
  tls?: ConnectionOptions;
  /**
   * Dial again when the connection is lost: true (the defaults), or { initialDelayMs, maxDelayMs, maxAttempts }.
   * Default false: the transport closes, as stdio does. It is opt-in because a new connection is a new server session:
   * requests in flight fail (NMCP_ERR_CONNECTION_CLOSED, details.reconnecting), and what the old session held on the
   * server side (subscriptions, the log level) is gone; McpClient redoes the handshake before sending anything else.
   */
  reconnect?: boolean | Partial<ReconnectOptions>;
}

export interface TcpClientStats {
  /** Connections made (the first one plus every successful reconnect). */
  connects: number;
  /** Times the connection was lost while open. */
  losses: number;
  /** Dial attempts that failed (the first connect's included). */
  failedAttempts: number;
}

const SCOPE = 'TcpClientTransport';

/**
 * The client side of MCP over TCP, a Unix socket, or TLS, as a Transport for McpClient. With `reconnect` it survives a
 * lost connection: it tells the session (`interrupted`: in-flight requests fail at once with a clear error), dials
 * again with exponential backoff and full jitter, and tells it again when a new connection is up (`resumed`: McpClient
 * redoes its handshake). When the attempts run out it closes.
 */
export class TcpClientTransport implements FrameTransport {
  readonly kind: 'tcp' | 'tls' | 'unix';
  readonly options: Readonly<TcpClientOptions>;
  readonly target: TcpDialTarget;
  readonly reconnectPolicy: Readonly<ReconnectOptions> | undefined;
  readonly #tls: ConnectionOptions | undefined;
  readonly #stats: TcpClientStats = { connects: 0, losses: 0, failedAttempts: 0 };
  #sink: TransportSink | undefined;
  #connection: TcpTransport | undefined;
  #interceptor: FrameInterceptor | undefined;
  #routing: InterceptorRouting | undefined;
  #closed = false;
  #reconnecting = false;
  #wakeUp: (() => void) | undefined;
  /**
   * Reconnect attempts since the last connection that served a message. Not reset by a mere connect: a server that
   * accepts and at once refuses (maxConnections) must not make the backoff start over each time.
   */
  #attempts = 0;

  constructor(options: TcpClientTransportOptions) {
    const objectKeys = ['host', 'port', 'path', 'tls', 'reconnect'];
    const { objects, primitives } = splitOptions(SCOPE, options, DEFAULT_TCP_CLIENT_OPTIONS, objectKeys);
    this.options = resolveTcpClientOptions(SCOPE, primitives as Partial<TcpClientOptions>);
    const { host, port, path, tls, reconnect } = objects as TcpClientTransportOptions;
    if (path !== undefined) {
      if (typeof path !== 'string' || path === '') throw invalidOption(SCOPE, 'path', path, 'must be a socket path');
      if (port !== undefined || host !== undefined) {
        throw invalidOption(SCOPE, 'path', path, 'excludes host and port (a Unix socket has neither)');
      }
      this.target = { path };
    } else {
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
        throw invalidOption(SCOPE, 'port', port, 'must be an integer from 1 to 65535 (or give path)');
      }
      if (host !== undefined && (typeof host !== 'string' || host === '')) {
        throw invalidOption(SCOPE, 'host', host, 'must be a host name or address');
      }
      this.target = { host: host ?? '127.0.0.1', port };
    }
    if (tls !== undefined && (typeof tls !== 'object' || tls === null)) {
      throw invalidOption(SCOPE, 'tls', tls, 'must be an object of node:tls connect options');
    }
    this.#tls = tls;
    this.reconnectPolicy = resolveReconnect(SCOPE, reconnect);
    this.kind = tls ? 'tls' : path !== undefined ? 'unix' : 'tcp';
  }

  /** The current connection (undefined before start, while reconnecting, and after close). */
  get connection(): TcpTransport | undefined {
    return this.#connection;
  }

  /** Which socket options are in force on the current connection. */
  get socketOptionsReport(): SocketOptionsReport | undefined {
    return this.#connection?.socketOptionsReport;
  }

  /** True between a lost connection and the next one. */
  get reconnecting(): boolean {
    return this.#reconnecting;
  }

  get stats(): Readonly<TcpClientStats> {
    return { ...this.#stats };
  }

  /** Connects once (no retry: a server that is not there is reported at once); fails with NMCP_ERR_CONNECT_*. */
  async start(sink: TransportSink): Promise<void> {
    if (this.#sink) throw new Error('TcpClientTransport.start() called twice');
    this.#sink = sink;
    let connection: TcpTransport;
    try {
      connection = await dial(this.target, this.options, this.#tls);
    } catch (err) {
      this.#stats.failedAttempts++;
      this.#closed = true;
      throw err;
    }
    if (this.#closed) {
      await connection.close();
      throw new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the transport was closed while connecting', {});
    }
    await this.#attach(connection);
  }

  /** See FrameTransport (kept across reconnects). */
  setInterceptor(interceptor: FrameInterceptor | undefined, routing?: InterceptorRouting): void {
    this.#interceptor = interceptor;
    this.#routing = routing;
    this.#connection?.setInterceptor(interceptor, routing);
  }

  sendFrame(frame: Uint8Array): boolean {
    return this.#connection?.sendFrame(frame) ?? false;
  }

  send(message: string): boolean {
    return this.#connection?.send(message) ?? false;
  }

  async close(reason?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeUp?.();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close(reason);
    this.#sink?.closed(reason);
  }

  async #attach(connection: TcpTransport): Promise<void> {
    const sink = this.#sink as TransportSink;
    this.#connection = connection;
    if (this.#interceptor) connection.setInterceptor(this.#interceptor, this.#routing);
    this.#stats.connects++;
    let first = true;
    let refusal: NmcpError | undefined;
    await connection.start({
      message: (text) => {
        if (first) {
          first = false;
          refusal = refusalOf(text);
          if (refusal) return;
          this.#attempts = 0;
        }
        sink.message(text);
      },
      frameError: (error) => sink.frameError(error),
      closed: (reason) => this.#onLost(connection, refusal ?? reason),
    });
  }

  #onLost(connection: TcpTransport, reason: Error | undefined): void {
    if (this.#connection !== connection || this.#closed) return;
    this.#connection = undefined;
    this.#stats.losses++;
    const sink = this.#sink as TransportSink;
    const where = describeTarget(this.target);
    const why = reason ? `: ${reason.message}` : ' (the server closed it)';
    if (!this.reconnectPolicy) {
      this.#closed = true;
      const refused = reason instanceof NmcpError && reason.code === ErrorCode.CONNECTION_LIMIT;
      sink.closed(
        refused
          ? reason
          : new NmcpError(
              ErrorCode.CONNECTION_CLOSED,
              `the connection to ${where} was lost${why}; not reconnecting (reconnect is off)`,
              { target: where, reconnecting: false },
              reason ? { cause: reason } : undefined,
            ),
      );
      return;
    }
    this.#reconnecting = true;
    sink.interrupted?.(
      new NmcpError(
        ErrorCode.CONNECTION_CLOSED,
        `the connection to ${where} was lost${why}; reconnecting`,
        { target: where, reconnecting: true },
        reason ? { cause: reason } : undefined,
      ),
    );
    void this.#reconnect(reason);
  }

  async #reconnect(lostBecause: Error | undefined): Promise<void> {
    const policy = this.reconnectPolicy as Readonly<ReconnectOptions>;
    let last: Error | undefined = lostBecause;
    while (policy.maxAttempts === 0 || this.#attempts < policy.maxAttempts) {
      const attempt = ++this.#attempts;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffDelay(policy, attempt));
        this.#wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeUp = undefined;
      if (this.#closed) return;
      try {
        const connection = await dial(this.target, this.options, this.#tls);
        if (this.#closed) {
          await connection.close();
          return;
        }
        this.#reconnecting = false;
        await this.#attach(connection);
        this.#sink?.resumed?.();
        return;
      } catch (err) {
        this.#stats.failedAttempts++;
        last = err as Error;
      }
    }
    this.#reconnecting = false;
    const where = describeTarget(this.target);
    await this.close(
      new NmcpError(
        ErrorCode.CONNECTION_CLOSED,
        `the connection to ${where} was lost and ${policy.maxAttempts} reconnect attempts failed${last ? `; the last: ${last.message}` : ''}`,
        { target: where, attempts: policy.maxAttempts },
        last ? { cause: last } : undefined,
      ),
    );
  }
}

/** The server's refusal frame (McpTcpServer at maxConnections) as an error, else undefined. Looked at once per connection. */
function refusalOf(text: string): NmcpError | undefined {
  if (!text.includes('"maxConnections"')) return undefined;
  try {
    const m = JSON.parse(text) as { id?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    const data = m.error?.data as { reason?: unknown; maxConnections?: unknown } | undefined;
    if (m.id !== null || m.error?.code !== CONNECTION_LIMIT_RPC_CODE || data?.reason !== 'maxConnections') {
      return undefined;
    }
    return new NmcpError(ErrorCode.CONNECTION_LIMIT, `the server refused the connection: ${String(m.error.message)}`, {
      maxConnections: data.maxConnections,
    });
  } catch {
    return undefined;
  }
}
