/**
 * McpHost's Streamable HTTP listener: one fastify server where `<basePath>/<name>` is server `name`'s endpoint. Each
 * server gets its own McpHttpHandler (its own legacy sessions, both eras), made from the same options; one route
 * `<basePath>/:server` picks the handler by the path's last segment, so servers added or removed after listen() are
 * served or refused at once. A name the host does not serve is answered 404 with a JSON-RPC error naming the known
 * servers.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import type { ReplyLike } from '../transport/http/server/exchange.js';
import { type AnyFastify, type McpHttpEndpoint, registerMcpRoutes } from '../transport/http/server/fastify-plugin.js';
import {
  type HttpServerOptions,
  type ResolvedHttpOptions,
  resolveHttpOptions,
} from '../transport/http/server/http-options.js';
import { checkServerOptions, createFastify, listeningUrl, SERVER_KEYS } from '../transport/http/server/http-server.js';
import {
  McpHttpHandler,
  type RequestLike,
  rebindingProblem,
  rpcErrorBody,
} from '../transport/http/server/mcp-http-handler.js';
import type { HostedServer } from './hosted-server.js';

/** McpHost.listenHttp's options: McpHttpServer's (docs/http.md), with `basePath` instead of `path`. */
export interface HostHttpOptions extends Omit<HttpServerOptions, 'path'> {
  /** Server `name` is served at `<basePath>/<name>`. Default '/mcp'; '' serves `/<name>`. */
  basePath?: string;
}

const SCOPE = 'McpHost.listenHttp';
const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;
/** The JSON-RPC code of the 404 for an unknown server (the implementation-defined server-error range, as HTTP errors). */
const NOT_FOUND_CODE = -32000;

export class HostHttpListener {
  readonly basePath: string;
  readonly #options: HostHttpOptions;
  readonly #resolved: ResolvedHttpOptions;
  readonly #port: number;
  readonly #host: string;
  readonly #handlers = new Map<string, McpHttpHandler>();
  #app: AnyFastify | undefined;
  #url: string | undefined;
  #closed = false;

  constructor(options: HostHttpOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `${SCOPE} options must be an object`, { key: SCOPE });
    }
    const { basePath = '/mcp', ...rest } = options;
    if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `${SCOPE}.basePath must be '' or a path like "/mcp" (segments of A-Z a-z 0-9 . _ ~ -, no trailing "/"), got ${JSON.stringify(basePath)}`,
        { key: `${SCOPE}.basePath` },
      );
    }
    if ('path' in rest) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `${SCOPE}.path is not an option of the host: each server is at <basePath>/<name>; set basePath`,
        { key: `${SCOPE}.path` },
      );
    }
    this.basePath = basePath;
    this.#options = rest;
    this.#resolved = resolveHttpOptions(SCOPE, { ...rest, path: `${basePath}/:server` }, SERVER_KEYS);
    ({ port: this.#port, host: this.#host } = checkServerOptions(SCOPE, rest));
  }

  /** Serves `entry` at `<basePath>/<name>` (its own handler: its own sessions). */
  attach(entry: HostedServer): void {
    const resolved = {
      ...this.#resolved,
      scalars: { ...this.#resolved.scalars, path: `${this.basePath}/${entry.name}` },
    };
    const log = (err: Error) => this.#app?.log.warn({ err }, err.message);
    this.#handlers.set(entry.name, new McpHttpHandler(entry.server, resolved, log, entry.connect));
  }

  /** Stops serving `name`: its path answers 404 from now on; its sessions and streams are ended. */
  async detach(name: string): Promise<void> {
    const handler = this.#handlers.get(name);
    if (handler === undefined) return;
    this.#handlers.delete(name);
    await handler.close();
  }

  /** Starts listening; resolves with the base URL (`http://127.0.0.1:3000/mcp`; a server is at `<url>/<name>`). */
  async listen(): Promise<string> {
    if (this.#app !== undefined || this.#closed) {
      throw new NmcpError(ErrorCode.INVALID_STATE, `${SCOPE}: this listener was already started`, {});
    }
    const app = await createFastify(this.#options, this.#resolved.scalars.maxMessageSize);
    this.#app = app;
    const endpoint = this.#endpoint();
    await app.register(async (scope: AnyFastify) => {
      await registerMcpRoutes(scope, endpoint, this.#options);
    });
    // Paths outside `<basePath>/<name>` (the base itself, deeper paths): the same JSON-RPC 404 as an unknown name.
    app.setNotFoundHandler((req, reply) => {
      this.#notFound(req as unknown as RequestLike, reply as unknown as ReplyLike);
    });
    await app.listen({ port: this.#port, host: this.#host });
    this.#url = listeningUrl(app, this.#options.https !== undefined, this.basePath);
    return this.#url;
  }

  /** The base URL (after listen()). */
  get url(): string {
    if (this.#url === undefined) throw new NmcpError(ErrorCode.INVALID_STATE, `${SCOPE}: not listening`, {});
    return this.#url;
  }

  /** Server `name`'s endpoint URL. */
  urlOf(name: string): string {
    return `${this.url}/${name}`;
  }

  /** The port bound (after listen()). */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Ends every session and stream of every server, then stops listening. The servers stay open. */
  async close(): Promise<void> {
    this.#closed = true;
    const handlers = [...this.#handlers.values()];
    this.#handlers.clear();
    await Promise.all(handlers.map((h) => h.close()));
    await this.#app?.close();
  }

  /** The router registerMcpRoutes mounts: each request goes to the handler its path names. */
  #endpoint(): McpHttpEndpoint {
    const pick = (req: RequestLike, reply: ReplyLike): McpHttpHandler | undefined => {
      const handler = this.#handlers.get(this.#nameOf(req.url));
      if (handler === undefined) this.#notFound(req, reply);
      return handler;
    };
    const { allowedHosts, allowedOrigins } = this.#resolved;
    return {
      options: this.#resolved.scalars,
      rebindingProblem: (req) => rebindingProblem(req, allowedHosts, allowedOrigins),
      post: async (req, reply, body, principal) => pick(req, reply)?.post(req, reply, body, principal) ?? reply,
      get: async (req, reply) => pick(req, reply)?.get(req, reply) ?? reply,
      delete: async (req, reply) => pick(req, reply)?.delete(req, reply) ?? reply,
      close: async () => {
        await Promise.all([...this.#handlers.values()].map((h) => h.close()));
      },
    };
  }

  #nameOf(url: string): string {
    const path = url.split('?', 1)[0] ?? '';
    return path.slice(this.basePath.length + 1);
  }

  #notFound(req: RequestLike, reply: ReplyLike): void {
    const servers = [...this.#handlers.keys()].sort();
    const path = req.url.split('?', 1)[0] ?? '';
    const known = servers.length === 0 ? 'none' : servers.map((s) => `${this.basePath}/${s}`).join(', ');
    reply
      .code(404)
      .header('content-type', 'application/json')
      .send(
        rpcErrorBody(null, NOT_FOUND_CODE, `Not Found: no MCP server at ${path}; this host serves ${known}`, {
          servers,
        }),
      );
  }
}
