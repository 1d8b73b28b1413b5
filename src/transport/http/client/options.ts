import type { ConnectionOptions } from 'node:tls';
import { MiB } from '../../../config/defaults.js';
import { type NumberRule, resolveOptions } from '../../../config/options.js';
import { ErrorCode, NmcpError } from '../../../errors.js';
import type { HttpClientAuth } from './auth.js';

/**
 * Options of StreamableHttpClientTransport (docs/http-client.md). Names and defaults of the pool options are the
 * seed's (../shared/seed/erlmcp-performance-tuning-guide.md), camelCased; the reconnect options mirror the official
 * SDK's reconnection defaults.
 */
export interface StreamableHttpClientOptions {
  /** Connections per origin in the undici pool (keep-alive). 0 = no limit. Default 100. */
  maxConnections: number;
  /**
   * Requests in flight per connection (undici `pipelining`). Honoured over HTTP/2, where requests are multiplexed
   * streams. Over HTTP/1.1 each connection carries one request at a time, whatever this says: undici never writes a
   * POST behind an unfinished response, and a POST queued behind a response that turned into an SSE stream waits for
   * that stream to end — a deadlock when the stream is waiting for our answer to a server→client request.
   * 1 … 1000. Default 10.
   */
  maxPipelineSize: number;
  /** '1.1', or '2' for HTTP/2 (ALPN over TLS; prior knowledge, h2c, on http: URLs). Default '1.1'. */
  httpVersion: '1.1' | '2';
  /** TCP (and TLS) connect timeout, ms. 0 = none. Default 5,000. */
  connectTimeoutMs: number;
  /**
   * Per request: time to the response headers, and time to read a JSON response body, ms. An SSE response stream is
   * exempt once it started (it lives as long as the server keeps it). 0 = none. Default 30,000.
   */
  timeoutMs: number;
  /** How long an idle keep-alive connection is kept (undici keepAliveTimeout / keepAliveMaxTimeout), ms. Default 300,000. */
  idleTimeoutMs: number;
  /** Largest JSON response body or SSE event accepted, bytes. Default 16 MiB (as the framing layer). */
  maxMessageSize: number;
  /** Reconnect attempts of a dropped SSE stream (GET + Last-Event-ID) before giving up. 0 = never. Default 3. */
  reconnectAttempts: number;
  /** First reconnect delay when the server sent no `retry:` field, ms; grows ×1.5 per attempt. Default 1,000. */
  reconnectDelayMs: number;
  /** Cap of the reconnect delay (also of a server's `retry:` value), ms. Default 30,000. */
  reconnectMaxDelayMs: number;
}

export interface StreamableHttpClientTransportOptions extends Partial<StreamableHttpClientOptions> {
  /** Headers sent on every request (Authorization, …). The MCP headers the transport owns cannot be set here. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Authorization hooks (MCP's OAuth 2.1 bearer tokens; see HttpClientAuth): the Authorization header of every request,
   * and a retry after your OAuth library renewed the token on a 401 / 403 insufficient_scope. Overrides an
   * `authorization` in `headers`. Default: none (`headers` only).
   */
  auth?: HttpClientAuth;
  /**
   * TLS options for an https: URL (`ca` for a private CA or a self-signed server, client `cert` / `key`, `servername`,
   * `rejectUnauthorized`, …), as node:tls takes them. ALPN is the transport's (`httpVersion`).
   */
  tls?: Readonly<ConnectionOptions>;
}

export const DEFAULT_HTTP_CLIENT_OPTIONS: Readonly<StreamableHttpClientOptions> = Object.freeze({
  maxConnections: 100, // the seed's pool size
  maxPipelineSize: 10, // the seed's pipelining factor
  httpVersion: '1.1',
  connectTimeoutMs: 5_000, // ms
  timeoutMs: 30_000, // ms
  idleTimeoutMs: 300_000, // ms
  maxMessageSize: 16 * MiB,
  reconnectAttempts: 3,
  reconnectDelayMs: 1_000, // ms
  reconnectMaxDelayMs: 30_000, // ms
});

const HOUR_MS = 3_600_000;

const RULES: { readonly [K in keyof StreamableHttpClientOptions]: NumberRule | readonly string[] } = {
  maxConnections: { min: 0, max: 1_000_000, what: 'connections, 0 = no limit' },
  maxPipelineSize: { min: 1, max: 1_000, what: 'requests per connection' },
  httpVersion: ['1.1', '2'],
  connectTimeoutMs: { min: 0, max: HOUR_MS, what: 'milliseconds, 0 = none' },
  timeoutMs: { min: 0, max: 24 * HOUR_MS, what: 'milliseconds, 0 = none' },
  idleTimeoutMs: { min: 1, max: 24 * HOUR_MS, what: 'milliseconds' },
  maxMessageSize: { min: 1, max: 256 * MiB, what: 'bytes, up to 256 MiB' },
  reconnectAttempts: { min: 0, max: 1_000, what: 'attempts' },
  reconnectDelayMs: { min: 0, max: HOUR_MS, what: 'milliseconds' },
  reconnectMaxDelayMs: { min: 0, max: HOUR_MS, what: 'milliseconds' },
};

/**
 * Header names the transport derives from its own state or from each message; a custom value would contradict the
 * body (a server answers such a mismatch with 400 / -32020) or break the framing.
 */
const RESERVED_HEADERS = new Set([
  'accept',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'host',
  'last-event-id',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
]);

export interface ResolvedHttpClientOptions extends StreamableHttpClientOptions {
  url: URL;
  headers: Readonly<Record<string, string>>;
  tls: Readonly<ConnectionOptions> | undefined;
  auth: HttpClientAuth | undefined;
}

const SCOPE = 'StreamableHttpClientTransport';

/** Validates the URL and the options (unknown keys, wrong types, out of range: NMCP_ERR_INVALID_OPTION). */
export function resolveHttpClientOptions(
  url: string | URL,
  options: StreamableHttpClientTransportOptions | undefined,
): ResolvedHttpClientOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('url', url, 'must be an absolute http: or https: URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid('url', String(url), 'must be an http: or https: URL');
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${SCOPE} options must be an object, got ${typeof options}`, {
      scope: SCOPE,
    });
  }
  const { headers, tls, auth, ...rest } = options ?? {};
  const resolved = resolveOptions(SCOPE, DEFAULT_HTTP_CLIENT_OPTIONS, RULES, rest);
  if (tls !== undefined && (typeof tls !== 'object' || tls === null || Array.isArray(tls))) {
    throw invalid('tls', tls, 'must be node:tls connection options ({ ca, cert, key, servername, … })');
  }
  if (tls !== undefined && parsed.protocol !== 'https:') {
    throw invalid('tls', Object.keys(tls), 'applies to https: URLs only');
  }
  if (auth !== undefined) {
    if (typeof auth !== 'object' || auth === null || typeof auth.header !== 'function') {
      throw invalid(
        'auth',
        auth,
        'must be an object with header(): string | undefined (and optionally unauthorized())',
      );
    }
    if (auth.unauthorized !== undefined && typeof auth.unauthorized !== 'function') {
      throw invalid('auth.unauthorized', auth.unauthorized, 'must be a function');
    }
  }
  return { ...resolved, url: parsed, headers: resolveHeaders(headers), tls, auth };
}

function resolveHeaders(headers: unknown): Readonly<Record<string, string>> {
  if (headers === undefined) return Object.freeze({});
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw invalid('headers', headers, 'must be an object of header name → string value');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(lower))
      throw invalid(`headers.${name}`, name, 'is not a valid header name');
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('mcp-param-')) {
      throw invalid(`headers.${name}`, value, 'is set by the transport itself and cannot be overridden');
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw invalid(`headers.${name}`, value, 'must be a string without CR, LF or NUL');
    }
    out[lower] = value;
  }
  return Object.freeze(out);
}

function invalid(key: string, value: unknown, what: string): NmcpError {
  return new NmcpError(ErrorCode.INVALID_OPTION, `${SCOPE}.${key} ${what}, got ${JSON.stringify(value)}`, {
    key: `${SCOPE}.${key}`,
    value,
  });
}
