/**
 * McpHttpServer / serveHttp: the Streamable HTTP endpoint on its own fastify instance — HTTP/1.1 with keep-alive by
 * default, HTTP/2 cleartext (h2c) with `http2: true`, TLS with `https` (and h2 + HTTP/1.1 by ALPN with both). Binds
 * 127.0.0.1 unless told otherwise.
 *
 *   const http = await serveHttp(mcpServer, { port: 3000 });   // http.url === 'http://127.0.0.1:3000/mcp'
 *   await http.close();
 */

import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ErrorCode, NmcpError } from '../../../errors.js';
import type { McpServer } from '../../../server/mcp-server.js';
import { type AnyFastify, registerMcpRoutes } from './fastify-plugin.js';
import { type HttpServerOptions, resolveHttpOptions } from './http-options.js';
import { McpHttpHandler } from './mcp-http-handler.js';

const SERVER_KEYS = ['port', 'host', 'http2', 'https', 'logger', 'keepAliveTimeoutMs'];

function invalid(key: string, message: string): NmcpError {
  return new NmcpError(ErrorCode.INVALID_OPTION, `McpHttpServer.${key} ${message}`, { key: `McpHttpServer.${key}` });
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

  constructor(server: McpServer, options: HttpServerOptions = {}) {
    const resolved = resolveHttpOptions('McpHttpServer', options, SERVER_KEYS);
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
    this.#options = options;
    this.#port = port;
    this.#host = host;
    this.#tls = https !== undefined;
    this.handler = new McpHttpHandler(server, resolved, (err) => this.#app?.log.warn({ err }, err.message));
  }

  /** Starts listening; resolves with the endpoint URL. */
  async listen(): Promise<string> {
    if (this.#app !== undefined)
      throw new NmcpError(ErrorCode.INVALID_STATE, 'McpHttpServer.listen(): already listening', {});
    // fastify is loaded on first listen: importing nmcp (stdio, TCP) must not pay for the HTTP stack.
    const { default: Fastify } = await import('fastify');
    const { http2 = false, https, logger = false, keepAliveTimeoutMs } = this.#options;
    const base = {
      logger,
      bodyLimit: this.handler.options.maxMessageSize,
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
    this.#app = app as unknown as FastifyInstance;
    const handler = this.handler;
    const options = this.#options;
    await (app as unknown as AnyFastify).register(async (scope: AnyFastify) => {
      await registerMcpRoutes(scope, handler, options);
    });
    await app.listen({ port: this.#port, host: this.#host });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `${this.#tls ? 'https' : 'http'}://${host}:${address.port}${this.handler.options.path}`;
    return this.#url;
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
    await this.#app?.close();
  }
}

/** Creates an McpHttpServer and starts it. */
export async function serveHttp(server: McpServer, options: HttpServerOptions = {}): Promise<McpHttpServer> {
  const http = new McpHttpServer(server, options);
  await http.listen();
  return http;
}
