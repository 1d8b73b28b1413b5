/**
 * McpHttpServer / serveHttp: the Streamable HTTP endpoint on its own fastify instance — HTTP/1.1 with keep-alive by
 * default, HTTP/2 cleartext (h2c) with `http2: true`, TLS with `https` (and h2 + HTTP/1.1 by ALPN with both). Binds
 * 127.0.0.1 unless told otherwise.
 *
 *   const http = await serveHttp(mcpServer, { port: 3000 });   // http.url === 'http://127.0.0.1:3000/mcp'
 *   await http.close();
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, NmcpError } from '../../../errors.js';
import type { McpServer } from '../../../server/mcp-server.js';
import { type AnyFastify, registerMcpRoutes } from './fastify-plugin.js';
import { header, modernHeader } from './headers.js';
import { type HttpServerOptions, resolveHttpOptions } from './http-options.js';
import { McpHttpHandler } from './mcp-http-handler.js';

/**
 * How legacy sessions find their process when several processes serve one port (`nmcp serve --processes N`,
 * src/cluster/session-affinity.ts): every session id this server creates starts with `prefix`; a request naming a
 * session id without it is handed to `forward` untouched (its body not read), which passes it to the owning process;
 * requests other processes forward here arrive through the handler given to `listen`.
 */
export interface SessionAffinity {
  readonly prefix: string;
  /**
   * Plain HTTP/1.1 only (not TLS, not HTTP/2): sees each new connection before the HTTP server does, and may hand it
   * to the process owning the session its first request names (`deliver` gives a connection to this server's HTTP
   * stack, for connections kept here and those other processes hand over).
   */
  /** Connections moved whole to the owning process, and received from others. */
  readonly moved?: { readonly sent: number; readonly received: number };
  readonly connections?: {
    accept(socket: Socket, deliver: (socket: Socket) => void): void;
    adopt(deliver: (socket: Socket) => void): void;
  };
  /** Answers the request: true when it went to another process, false when answered here (no such process). */
  forward(req: IncomingMessage, res: ServerResponse, sessionId: string): boolean;
  listen(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<void>;
  close(): Promise<void>;
}

export const SERVER_KEYS = ['port', 'host', 'http2', 'https', 'logger', 'keepAliveTimeoutMs'];

/** The listener's own options (port, host, http2, https, logger, keepAliveTimeoutMs), checked; `scope` names them. */
export function checkServerOptions(scope: string, options: HttpServerOptions): { port: number; host: string } {
  const invalid = (key: string, message: string) =>
    new NmcpError(ErrorCode.INVALID_OPTION, `${scope}.${key} ${message}`, { key: `${scope}.${key}` });
  const { port = 3000, host = '127.0.0.1', http2 = false, https, logger = false, keepAliveTimeoutMs } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw invalid('port', `must be 0 … 65535, got ${port}`);
  if (typeof host !== 'string' || host === '') throw invalid('host', 'must be a non-empty string');
  if (typeof http2 !== 'boolean') throw invalid('http2', 'must be a boolean');
  if (typeof logger !== 'boolean') throw invalid('logger', 'must be a boolean');
  if (https !== undefined && (typeof https !== 'object' || https === null)) {
    throw invalid('https', 'must be TLS options ({ key, cert, … })');
  }
  if (keepAliveTimeoutMs !== undefined && (!Number.isInteger(keepAliveTimeoutMs) || keepAliveTimeoutMs < 0)) {
    throw invalid('keepAliveTimeoutMs', 'must be a non-negative integer (ms)');
  }
  return { port, host };
}

/**
 * A fastify instance for the listener options (HTTP/1.1, h2c, TLS, or h2 + HTTP/1.1 over TLS), fastify loaded now:
 * importing nmcp (stdio, TCP) must not pay for the HTTP stack. Shared by McpHttpServer and McpHost.listenHttp.
 */
export async function createFastify(options: HttpServerOptions, bodyLimit: number): Promise<AnyFastify> {
  const { default: Fastify } = await import('fastify');
  const { http2 = false, https, logger = false, keepAliveTimeoutMs } = options;
  const base = {
    logger,
    bodyLimit,
    // SSE streams and slow consumers must not hold close() up: every connection is closed with the server.
    forceCloseConnections: true,
    ...(keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeout: keepAliveTimeoutMs }),
  };
  // fastify's overloads pick the server type from literal http2/https: build each variant explicitly.
  const app = http2
    ? https
      ? Fastify({ ...base, http2: true, https: { allowHTTP1: true, ...https } })
      : Fastify({ ...base, http2: true })
    : https
      ? Fastify({ ...base, https })
      : Fastify(base);
  return app as unknown as AnyFastify;
}

/** The URL of `path` on a listening app. */
export function listeningUrl(app: AnyFastify, tls: boolean, path: string): string {
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}${path}`;
}

export class McpHttpServer {
  /** The endpoint (sessions, streams); also reachable for metrics and tests. */
  readonly handler: McpHttpHandler;
  readonly #options: HttpServerOptions;
  readonly #port: number;
  readonly #host: string;
  readonly #tls: boolean;
  #app: FastifyInstance | undefined;
  #url: string | undefined;
  readonly #routes: ((app: AnyFastify) => void | Promise<void>)[] = [];
  #affinity: SessionAffinity | undefined;
  readonly #forwarded = { sent: 0, received: 0 };

  constructor(server: McpServer, options: HttpServerOptions = {}) {
    const resolved = resolveHttpOptions('McpHttpServer', options, SERVER_KEYS);
    const { port, host } = checkServerOptions('McpHttpServer', options);
    this.#options = options;
    this.#port = port;
    this.#host = host;
    this.#tls = options.https !== undefined;
    this.handler = new McpHttpHandler(server, resolved, (err) => this.#app?.log.warn({ err }, err.message));
  }

  /**
   * Registers more routes on the same fastify instance, in their own encapsulated context (e.g. the operations
   * endpoints /metrics, /health, /ready, /live: src/metrics/routes.ts). Before listen().
   */
  addRoutes(register: (app: AnyFastify) => void | Promise<void>): void {
    if (this.#app !== undefined) {
      throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHttpServer.addRoutes(): call it before listen()', {});
    }
    this.#routes.push(register);
  }

  /** Shares the legacy sessions of one port between processes (see SessionAffinity). Before listen(). */
  routeSessions(affinity: SessionAffinity): void {
    if (this.#app !== undefined) {
      throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHttpServer.routeSessions(): call it before listen()', {});
    }
    this.#affinity = affinity;
    this.handler.sessionIdPrefix = affinity.prefix;
  }

  /** Starts listening; resolves with the endpoint URL. */
  async listen(): Promise<string> {
    if (this.#app !== undefined)
      throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHttpServer.listen(): already listening', {});
    // fastify is loaded on first listen: importing nmcp (stdio, TCP) must not pay for the HTTP stack.
    const app = await createFastify(this.#options, this.handler.options.maxMessageSize);
    this.#app = app as unknown as FastifyInstance;
    const handler = this.handler;
    const options = this.#options;
    const affinity = this.#affinity;
    if (affinity !== undefined) {
      // Before any body is read: the owning process reads it. A modern request is stateless (a stale session id
      // means nothing to it), so it is served here.
      app.addHook('onRequest', async (request: ForwardedRequest, reply: { hijack(): void; raw: ServerResponse }) => {
        const id = header(request.headers['mcp-session-id']);
        if (id === undefined || id.startsWith(affinity.prefix)) return;
        if (modernHeader(request.headers['mcp-protocol-version'])) return;
        reply.hijack();
        if (affinity.forward(request.raw, reply.raw, id)) this.#forwarded.sent++;
        return reply;
      });
    }
    await app.register(async (scope: AnyFastify) => {
      await registerMcpRoutes(scope, handler, options);
    });
    for (const register of this.#routes) {
      await app.register(async (scope: AnyFastify) => {
        await register(scope);
      });
    }
    const connections = affinity?.connections;
    if (connections !== undefined && !this.#tls && this.#options.http2 !== true) {
      // Before the HTTP stack: a connection whose first request names another process's session goes to that process
      // whole, so its later requests need no hop (docs/cluster.md).
      const server = app.server as unknown as import('node:http').Server;
      const stack = server.listeners('connection') as ((socket: Socket) => void)[];
      server.removeAllListeners('connection');
      const deliver = (socket: Socket) => {
        for (const listener of stack) listener.call(server, socket);
      };
      server.on('connection', (socket: Socket) => connections.accept(socket, deliver));
      connections.adopt(deliver);
    }
    await app.listen({ port: this.#port, host: this.#host });
    await affinity?.listen((req, res) => {
      this.#forwarded.received++;
      (app as unknown as FastifyInstance).routing(req, res);
    });
    this.#url = listeningUrl(app, this.#tls, this.handler.options.path);
    return this.#url;
  }

  /** Requests of legacy sessions owned by another process, sent there, and received from others (routeSessions). */
  get forwardedRequests(): { readonly sent: number; readonly received: number } {
    return this.#forwarded;
  }

  /** Connections moved whole to the process owning their first request's session, and received (routeSessions). */
  get movedConnections(): { readonly sent: number; readonly received: number } {
    return this.#affinity?.moved ?? { sent: 0, received: 0 };
  }

  /** The endpoint URL (after listen()). */
  get url(): string {
    if (this.#url === undefined) throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHttpServer.url: not listening', {});
    return this.#url;
  }

  /** The port bound (after listen()). */
  get port(): number {
    if (this.#app === undefined) throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHttpServer.port: not listening', {});
    return (this.#app.server.address() as AddressInfo).port;
  }

  /** Ends every session and stream, then stops listening. The McpServer stays open. */
  async close(): Promise<void> {
    await this.handler.close();
    await this.#affinity?.close();
    await this.#app?.close();
  }
}

type ForwardedRequest = {
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
};

/** Creates an McpHttpServer and starts it. */
export async function serveHttp(server: McpServer, options: HttpServerOptions = {}): Promise<McpHttpServer> {
  const http = new McpHttpServer(server, options);
  await http.listen();
  return http;
}
