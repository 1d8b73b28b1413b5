/** The Streamable HTTP server's public API (docs/http.md). */
export type { EventStore, StoredEvent } from './event-store.js';
export { MemoryEventStore } from './event-store.js';
export type { McpHttpPluginOptions } from './fastify-plugin.js';
export { mcpHttpPlugin } from './fastify-plugin.js';
export type {
  HttpAuthHook,
  HttpAuthRequest,
  HttpHandlerOptions,
  HttpScalarOptions,
  HttpServerOptions,
} from './http-options.js';
export { DEFAULT_HTTP_OPTIONS } from './http-options.js';
export { McpHttpServer, serveHttp } from './http-server.js';
export { httpCloseStream, httpPrincipal, McpHttpHandler } from './mcp-http-handler.js';
export type { ProtectedResourceMetadataOptions } from './resource-metadata.js';
export { HttpAuthError } from './security.js';
