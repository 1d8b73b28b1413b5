/**
 * Options of the Streamable HTTP server (docs/http.md): camelCase, every default written down here (zero values mean
 * "off" / "none" where noted), scalars validated by resolveOptions so that a bad key fails at start naming the key.
 */

import type { SecureServerOptions } from 'node:http2';
import { resolveOptions } from '../../../config/options.js';
import { ErrorCode, NmcpError } from '../../../errors.js';
import type { EventStore } from './event-store.js';
import {
  type ProtectedResourceMetadataOptions,
  type ResolvedResourceMetadata,
  resolveProtectedResourceMetadata,
} from './resource-metadata.js';

const MiB = 1024 * 1024;

/** What an `auth` hook gets: the request's bearer token (undefined when none was sent) and its headers. */
export interface HttpAuthRequest {
  readonly token: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Verifies a request before any MCP handling. Returns the principal (any value; handlers get it through
 * `httpPrincipal(ctx.session)`), or throws to answer 401 (`HttpAuthError` chooses the status, 401 or 403, and the
 * `WWW-Authenticate` error code).
 */
export type HttpAuthHook = (request: HttpAuthRequest) => unknown;

/** Scalar options: numbers, strings and booleans, validated by resolveOptions. */
// A type alias (not an interface) so that it fits resolveOptions' Record<string, scalar> constraint.
export type HttpScalarOptions = {
  /** The MCP endpoint. Default '/mcp'. */
  path: string;
  /** Largest request body, bytes; a larger body is answered 413 with a JSON-RPC error. Default 16 MiB (as stdio). */
  maxMessageSize: number;
  /** Most legacy sessions at once; an initialize beyond it is answered 503. Default 10,000. */
  maxSessions: number;
  /** A legacy session with no request and no open stream for this long is ended (later requests get 404). Default 1,800,000 ms (30 min); 0 = never. */
  sessionIdleTimeoutMs: number;
  /** An SSE stream idle for this long gets a `: keep-alive` comment. Default 15,000 ms; 0 = none. */
  sseKeepAliveMs: number;
  /** The `retry:` hint of a POST stream's priming event: how long a client waits before resuming. Default 1000 ms; 0 = none. */
  sseRetryMs: number;
  /** Bytes written to a session's SSE streams but not yet taken by the client; beyond it the stream is closed. Default 8 MiB. */
  maxPendingBytes: number;
  /** SSE events kept per session for `Last-Event-ID` resumption (the in-memory store). Default 100; 0 = no resumability. */
  eventStoreMaxEvents: number;
  /** Bytes of SSE events kept per session (the in-memory store). Default 1 MiB. */
  eventStoreMaxBytes: number;
  /** Compress JSON responses (gzip, br, deflate as the client accepts); SSE is never compressed. Default true. */
  enableCompression: boolean;
  /** Responses smaller than this are not compressed, bytes. Default 1024. */
  compressionThresholdBytes: number;
  /** Serve the legacy era (initialize + Mcp-Session-Id). false = 2026-07-28 only: GET and DELETE answer 405. Default true. */
  legacy: boolean;
  /**
   * `resource_metadata` URL put in WWW-Authenticate on a 401 (RFC 9728). Default '' (none; with
   * `protectedResourceMetadata`, the URL of the document served, built from the request).
   */
  resourceMetadataUrl: string;
};

/** Options of mcpHttpPlugin and serveHttp. */
export interface HttpHandlerOptions extends Partial<HttpScalarOptions> {
  /**
   * Host header values accepted (hostnames, with or without port; '*' accepts any). Default: when the connection
   * arrived on a loopback address, `localhost`, `127.0.0.1` and `[::1]` (any port); otherwise any Host.
   */
  allowedHosts?: readonly string[];
  /**
   * Origin header values accepted (full origins like 'https://app.example.com'; '*' accepts any). A request without
   * Origin is accepted (not a browser). Default: on loopback, `http(s)://localhost|127.0.0.1|[::1]` with any port;
   * otherwise only the same origin as the Host header.
   */
  allowedOrigins?: readonly string[];
  /** Runs before any MCP handling (see HttpAuthHook). Default: none. */
  auth?: HttpAuthHook;
  /**
   * Serve OAuth 2.0 Protected Resource Metadata (RFC 9728, the MCP authorization spec's MUST for a server that checks
   * tokens): GET/HEAD `/.well-known/oauth-protected-resource<path>` and `/.well-known/oauth-protected-resource` answer
   * `{ resource, authorization_servers, bearer_methods_supported: ["header"], scopes_supported?, resource_name?,
   * resource_documentation? }` as application/json, without the auth hook (Host/Origin checks still apply). `resource`
   * defaults to the endpoint's URL derived from the request (protocol and Host). Unless `resourceMetadataUrl` is set,
   * a 401's `resource_metadata` then names the served document (absolute, from the request). Under a fastify `prefix`
   * (mcpHttpPlugin) both routes are under the prefix too. Default: none (not served).
   */
  protectedResourceMetadata?: ProtectedResourceMetadataOptions;
  /** Where SSE events are kept for resumption. Default: a bounded in-memory store (eventStoreMaxEvents/Bytes). */
  eventStore?: EventStore;
  /** Problems that cannot be answered to a client (a slow SSE consumer cut off, an event store failure). Default: the fastify logger. */
  onError?: (error: Error) => void;
}

export const DEFAULT_HTTP_OPTIONS: Readonly<HttpScalarOptions> = Object.freeze({
  path: '/mcp',
  maxMessageSize: 16 * MiB, // bytes
  maxSessions: 10_000,
  sessionIdleTimeoutMs: 1_800_000, // ms, 0 = never
  sseKeepAliveMs: 15_000, // ms, 0 = none
  sseRetryMs: 1000, // ms, 0 = none
  maxPendingBytes: 8 * MiB, // bytes per session
  eventStoreMaxEvents: 100, // events per session, 0 = no resumability
  eventStoreMaxBytes: 1 * MiB, // bytes per session
  enableCompression: true,
  compressionThresholdBytes: 1024, // bytes
  legacy: true,
  resourceMetadataUrl: '',
});

export const HTTP_RULES = {
  maxMessageSize: { min: 1, max: 256 * MiB, what: 'bytes, up to 256 MiB' },
  maxSessions: { min: 1, max: 10_000_000, what: 'sessions' },
  sessionIdleTimeoutMs: { min: 0, max: 604_800_000, what: 'milliseconds, 0 = never' },
  sseKeepAliveMs: { min: 0, max: 3_600_000, what: 'milliseconds, 0 = none' },
  sseRetryMs: { min: 0, max: 3_600_000, what: 'milliseconds, 0 = none' },
  maxPendingBytes: { min: 1024, max: 8 * 1024 * MiB, what: 'bytes' },
  eventStoreMaxEvents: { min: 0, max: 1_000_000, what: 'events per session, 0 = none' },
  eventStoreMaxBytes: { min: 0, max: 1024 * MiB, what: 'bytes per session' },
  compressionThresholdBytes: { min: 0, max: 256 * MiB, what: 'bytes' },
} as const;

/** Standalone server options (serveHttp / McpHttpServer) on top of the handler's. */
export interface HttpServerOptions extends HttpHandlerOptions {
  /** TCP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Address to bind. Default '127.0.0.1' (loopback only: say '0.0.0.0' or '::' to serve the network). */
  host?: string;
  /** Serve HTTP/2: cleartext h2c without `https`, TLS h2 (with HTTP/1.1 fallback, ALPN) with it. Default false. */
  http2?: boolean;
  /** TLS options (key, cert, …): serve HTTPS. With http2, `allowHTTP1` defaults to true. Default: none (cleartext). */
  https?: SecureServerOptions;
  /** fastify's logger option. Default false. */
  logger?: boolean;
  /** Milliseconds an idle HTTP/1.1 keep-alive connection stays open. Default 72,000 (fastify's). */
  keepAliveTimeoutMs?: number;
}

export interface ResolvedHttpOptions {
  readonly scalars: Readonly<HttpScalarOptions>;
  readonly allowedHosts: readonly string[] | undefined;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly auth: HttpAuthHook | undefined;
  readonly protectedResourceMetadata: ResolvedResourceMetadata | undefined;
  readonly eventStore: EventStore | undefined;
  readonly onError: ((error: Error) => void) | undefined;
}

const OBJECT_KEYS = [
  'allowedHosts',
  'allowedOrigins',
  'auth',
  'protectedResourceMetadata',
  'eventStore',
  'onError',
] as const;

function optionError(scope: string, key: string, message: string): NmcpError {
  return new NmcpError(ErrorCode.INVALID_OPTION, `${scope}.${key} ${message}`, { key: `${scope}.${key}` });
}

function stringList(scope: string, key: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw optionError(scope, key, 'must be an array of non-empty strings');
  }
  return Object.freeze(value.map((v) => v.toLowerCase()));
}

/** Validates handler options; `extraKeys` are keys the caller consumes itself (serveHttp's port, host, …). */
export function resolveHttpOptions(
  scope: string,
  input: HttpHandlerOptions | undefined,
  extraKeys: readonly string[] = [],
): ResolvedHttpOptions {
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${scope} options must be an object`, { scope });
  }
  const scalars: Record<string, unknown> = { ...input };
  for (const key of [...OBJECT_KEYS, ...extraKeys]) delete scalars[key];
  const resolved = resolveOptions(scope, DEFAULT_HTTP_OPTIONS, HTTP_RULES, scalars as Partial<HttpScalarOptions>);
  if (!resolved.path.startsWith('/')) throw optionError(scope, 'path', `must start with "/", got "${resolved.path}"`);
  const { auth, eventStore, onError } = input ?? {};
  if (auth !== undefined && typeof auth !== 'function') throw optionError(scope, 'auth', 'must be a function');
  if (onError !== undefined && typeof onError !== 'function') throw optionError(scope, 'onError', 'must be a function');
  if (
    eventStore !== undefined &&
    (typeof eventStore !== 'object' ||
      eventStore === null ||
      typeof eventStore.append !== 'function' ||
      typeof eventStore.replay !== 'function' ||
      typeof eventStore.deleteSession !== 'function')
  ) {
    throw optionError(scope, 'eventStore', 'must implement EventStore (append, replay, deleteSession)');
  }
  return {
    scalars: resolved,
    allowedHosts: stringList(scope, 'allowedHosts', input?.allowedHosts),
    allowedOrigins: stringList(scope, 'allowedOrigins', input?.allowedOrigins),
    auth,
    protectedResourceMetadata: resolveProtectedResourceMetadata(scope, input?.protectedResourceMetadata),
    eventStore,
    onError,
  };
}
