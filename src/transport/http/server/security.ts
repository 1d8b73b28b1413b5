/**
 * What runs before any MCP handling: DNS-rebinding protection (Host and Origin against allow-lists, the spec's MUST
 * for local servers) and the bearer-token auth hook.
 */

import type { HttpAuthHook } from './http-options.js';

const LOCAL_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The hostname of a Host header value, lowercased, without the port (`[::1]` keeps its brackets). */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * Whether the Host header is acceptable. `allowed` entries are hostnames (any port) or host:port (that port only).
 * Without a list, a loopback connection accepts only local names — a DNS-rebinding attacker's page reaches
 * 127.0.0.1 under its own name — and any other connection accepts any Host.
 */
export function hostAllowed(
  host: string | undefined,
  allowed: readonly string[] | undefined,
  loopback: boolean,
): boolean {
  if (allowed === undefined) {
    if (!loopback) return true;
    return host !== undefined && LOCAL_NAMES.has(hostnameOf(host));
  }
  if (allowed.includes('*')) return true;
  if (host === undefined) return false;
  const h = host.trim().toLowerCase();
  return allowed.includes(h) || allowed.includes(hostnameOf(h));
}

/**
 * Whether the Origin header is acceptable. No Origin: not a browser (or a same-origin GET), accepted. Without a list,
 * a loopback connection accepts http(s) origins on local names, any other connection the Host's own origin.
 */
export function originAllowed(
  origin: string | undefined,
  allowed: readonly string[] | undefined,
  loopback: boolean,
  host: string | undefined,
): boolean {
  if (origin === undefined) return true;
  const o = origin.trim().toLowerCase();
  if (allowed !== undefined) return allowed.includes('*') || allowed.includes(o);
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (loopback) return LOCAL_NAMES.has(url.hostname);
  return host !== undefined && url.host === host.trim().toLowerCase();
}

/** Thrown by an auth hook to choose the answer: 401 (default) or 403, and the RFC 6750 error code. */
export class HttpAuthError extends Error {
  readonly status: 401 | 403;
  readonly errorCode: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  /** Scope a 403 insufficient_scope answer names. */
  readonly scope: string | undefined;

  constructor(
    message: string,
    options: { status?: 401 | 403; errorCode?: HttpAuthError['errorCode']; scope?: string } = {},
  ) {
    super(message);
    this.name = 'HttpAuthError';
    this.status = options.status ?? 401;
    this.errorCode = options.errorCode ?? (this.status === 403 ? 'insufficient_scope' : 'invalid_token');
    this.scope = options.scope;
  }
}

export type AuthOutcome =
  | { readonly ok: true; readonly principal: unknown }
  | { readonly ok: false; readonly status: 401 | 403; readonly wwwAuthenticate: string; readonly message: string };

const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

/** Runs the hook: a principal, or the 401/403 answer (RFC 6750 §3, with RFC 9728's resource_metadata). */
export async function authenticate(
  hook: HttpAuthHook,
  request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  resourceMetadataUrl: string,
): Promise<AuthOutcome> {
  const header = request.headers.authorization;
  const token = bearerToken(typeof header === 'string' ? header : undefined);
  let params = 'Bearer realm="mcp"';
  if (resourceMetadataUrl !== '') params += `, resource_metadata=${quote(resourceMetadataUrl)}`;
  try {
    const principal = await hook({ token, method: request.method, url: request.url, headers: request.headers });
    return { ok: true, principal };
  } catch (err) {
    const e = err instanceof HttpAuthError ? err : undefined;
    const status = e?.status ?? 401;
    const message = err instanceof Error ? err.message : String(err);
    // No token at all: a plain challenge (RFC 6750 §3.1: no error code when the request had no credentials).
    if (token !== undefined || e !== undefined) {
      params += `, error=${quote(e?.errorCode ?? 'invalid_token')}, error_description=${quote(message)}`;
      if (e?.scope !== undefined) params += `, scope=${quote(e.scope)}`;
    }
    return { ok: false, status, wwwAuthenticate: params, message };
  }
}
