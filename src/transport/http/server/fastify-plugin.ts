/**
 * mcpHttpPlugin: the Streamable HTTP endpoint as a fastify plugin, for a user's own app.
 *
 *   app.register(mcpHttpPlugin, { server: mcpServer, path: '/mcp' });
 *
 * Everything it sets up stays inside its encapsulated context (fastify's plugin scoping): its body parser (raw bytes
 * up to maxMessageSize, for the envelope scan), its compression, its error handler (JSON-RPC error bodies) and its
 * Host / Origin / auth hook apply to the MCP routes only, never to the user's other routes. With
 * `protectedResourceMetadata` it also serves the RFC 9728 document (resource-metadata.ts) under its prefix:
 * `<prefix>/.well-known/oauth-protected-resource<path>` and `<prefix>/.well-known/oauth-protected-resource`.
 */

import { constants as zlibConstants } from 'node:zlib';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RawServerBase } from 'fastify';
import { ErrorCode, NmcpError } from '../../../errors.js';
import { RpcCode } from '../../../protocol/jsonrpc.js';
import type { McpServer } from '../../../server/mcp-server.js';
import type { ReplyLike } from './exchange.js';
import { type HttpHandlerOptions, resolveHttpOptions } from './http-options.js';
import { McpHttpHandler, type RequestLike, rpcErrorBody } from './mcp-http-handler.js';
import {
  PROTECTED_RESOURCE_WELL_KNOWN,
  protectedResourceDocument,
  resolveProtectedResourceMetadata,
} from './resource-metadata.js';
import { authenticate } from './security.js';

/** Route config of the metadata routes: readable without a token (the auth hook skips them). */
const PUBLIC_ROUTE = { nmcpPublic: true };

export interface McpHttpPluginOptions extends HttpHandlerOptions {
  /** The McpServer to serve (one McpServer serves every session). */
  server: McpServer;
}

/** fastify's own register() options, which reach the plugin's options object too. */
const FASTIFY_REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers'];

// biome-ignore lint/suspicious/noExplicitAny: fastify's instance type differs by server kind (HTTP/1, HTTP/2, TLS); the routes use none of it
export type AnyFastify = FastifyInstance<RawServerBase, any, any, any, any>;

/**
 * What registerMcpRoutes mounts: an McpHttpHandler, or McpHost's router, which picks one handler per request by the
 * path's last segment (its `options.path` is then a pattern such as '/mcp/:server').
 */
export type McpHttpEndpoint = Pick<
  McpHttpHandler,
  'options' | 'rebindingProblem' | 'post' | 'get' | 'delete' | 'close'
>;

/** Mounts the endpoint on `app` (an encapsulated context) for `handler`. */
export async function registerMcpRoutes(
  app: AnyFastify,
  handler: McpHttpEndpoint,
  opts: HttpHandlerOptions,
): Promise<void> {
  const o = handler.options;
  const principals = new WeakMap<object, unknown>();
  // Already validated with the handler's options (resolveHttpOptions): this does not throw here.
  const metadata = resolveProtectedResourceMetadata('registerMcpRoutes', opts.protectedResourceMetadata);
  const prefix = app.prefix;
  const originOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;
  const pathnameOf = (req: FastifyRequest) => {
    const q = req.url.indexOf('?');
    return q === -1 ? req.url : req.url.slice(0, q);
  };
  // The 401's resource_metadata: the explicit URL, else the document this context serves for the requested endpoint.
  const metadataUrlOf = (req: FastifyRequest): string => {
    if (o.resourceMetadataUrl !== '' || metadata === undefined) return o.resourceMetadataUrl;
    const path = pathnameOf(req).slice(prefix.length);
    return `${originOf(req)}${prefix}${PROTECTED_RESOURCE_WELL_KNOWN}${path === '/' ? '' : path}`;
  };

  app.removeAllContentTypeParsers();
  // Bytes, not a parsed object: the envelope scan classifies them, the session parses once.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxMessageSize }, (_req, body, done) => {
    done(null, body);
  });
  if (o.enableCompression) {
    // Loaded here, not at the top: importing nmcp (stdio, TCP) must not pay for the HTTP stack.
    const { default: fastifyCompress } = await import('@fastify/compress');
    await app.register(fastifyCompress, {
      global: true,
      threshold: o.compressionThresholdBytes,
      encodings: ['gzip', 'deflate', 'br'],
      // Brotli's default quality (11) costs far more CPU than it saves on JSON-RPC bodies.
      brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
    });
  }
  app.setErrorHandler((err: Error & { statusCode?: number }, _req: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode ?? 500;
    const [code, message] =
      status === 413
        ? [RpcCode.INVALID_REQUEST, `Request body exceeds maxMessageSize (${o.maxMessageSize} bytes)`]
        : status === 415
          ? [-32000, 'Unsupported Media Type: Content-Type must be application/json']
          : status < 500
            ? [RpcCode.INVALID_REQUEST, `Bad Request: ${err.message}`]
            : [RpcCode.INTERNAL_ERROR, `Internal error: ${err.message}`];
    if (status >= 500) app.log.error(err);
    void reply
      .code(status)
      .header('content-type', 'application/json')
      .send(rpcErrorBody(null, code, message));
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const forbidden = handler.rebindingProblem(req as unknown as RequestLike);
    if (forbidden !== undefined) {
      return reply
        .code(403)
        .header('content-type', 'application/json')
        .send(rpcErrorBody(null, -32000, forbidden));
    }
    if (
      opts.auth !== undefined &&
      (req.routeOptions.config as { nmcpPublic?: boolean } | undefined)?.nmcpPublic !== true
    ) {
      const outcome = await authenticate(
        opts.auth,
        { method: req.method, url: req.url, headers: req.headers },
        metadataUrlOf(req),
      );
      if (!outcome.ok) {
        return reply
          .code(outcome.status)
          .header('www-authenticate', outcome.wwwAuthenticate)
          .header('content-type', 'application/json')
          .send(
            rpcErrorBody(null, -32000, `${outcome.status === 401 ? 'Unauthorized' : 'Forbidden'}: ${outcome.message}`),
          );
      }
      principals.set(req, outcome.principal);
    }
    return undefined;
  });

  if (metadata !== undefined) {
    // RFC 9728 §3.1: the resource's path after the well-known prefix; the bare prefix too (clients may try the root).
    // The resource is the configured one, else the endpoint's URL from the request (the path after the well-known
    // prefix, or `path` for the bare one).
    const serveMetadata = (req: FastifyRequest, reply: FastifyReply) => {
      const rest = pathnameOf(req).slice(prefix.length + PROTECTED_RESOURCE_WELL_KNOWN.length);
      const resource = `${originOf(req)}${prefix}${rest === '' ? o.path : rest}`;
      return reply
        .code(200)
        .header('content-type', 'application/json')
        .send(JSON.stringify(protectedResourceDocument(metadata, resource)));
    };
    const specific = PROTECTED_RESOURCE_WELL_KNOWN + (o.path === '/' ? '' : o.path);
    app.get(specific, { config: PUBLIC_ROUTE }, serveMetadata);
    // The bare well-known URL names one resource: not for a pattern path (McpHost's '/mcp/:server') unless configured,
    // and not when another endpoint of the same app already serves it (two plugins without prefixes).
    const patterned = /[:*]/.test(o.path) && metadata.resource === undefined;
    if (
      specific !== PROTECTED_RESOURCE_WELL_KNOWN &&
      !patterned &&
      !app.hasRoute({ method: 'GET', url: prefix + PROTECTED_RESOURCE_WELL_KNOWN })
    ) {
      app.get(PROTECTED_RESOURCE_WELL_KNOWN, { config: PUBLIC_ROUTE }, serveMetadata);
    }
  }

  app.post(o.path, (req: FastifyRequest, reply: FastifyReply) =>
    handler.post(
      req as unknown as RequestLike,
      reply as unknown as ReplyLike,
      req.body as Buffer | undefined,
      principals.get(req),
    ),
  );
  app.get(o.path, (req: FastifyRequest, reply: FastifyReply) =>
    handler.get(req as unknown as RequestLike, reply as unknown as ReplyLike),
  );
  app.delete(o.path, (req: FastifyRequest, reply: FastifyReply) =>
    handler.delete(req as unknown as RequestLike, reply as unknown as ReplyLike),
  );
  app.addHook('onClose', async () => {
    await handler.close();
  });
}

/** The fastify plugin (encapsulated: register it with the options above). */
export const mcpHttpPlugin: FastifyPluginAsync<McpHttpPluginOptions, RawServerBase> = async (app, options) => {
  const { server, ...rest } = options;
  if (server === undefined || typeof (server as { connect?: unknown }).connect !== 'function') {
    throw new NmcpError(ErrorCode.INVALID_OPTION, 'mcpHttpPlugin.server must be an McpServer', {
      key: 'mcpHttpPlugin.server',
    });
  }
  const resolved = resolveHttpOptions('mcpHttpPlugin', rest, FASTIFY_REGISTER_KEYS);
  const handler = new McpHttpHandler(server, resolved, (err) => app.log.warn({ err }, err.message));
  await registerMcpRoutes(app as AnyFastify, handler, rest);
};
