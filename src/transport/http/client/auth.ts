/**
 * Authorization of the Streamable HTTP client (MCP 2025-06-18+ "Authorization": OAuth 2.1 bearer tokens).
 *
 * The transport does not run an OAuth flow itself — that needs a browser redirect, client registration and token
 * storage, which belong to the application and its OAuth library. It gives that library the two hooks it needs: a
 * header for every request (so a refreshed token is used from the next request on), and a call when the server
 * answers 401 (or 403 `insufficient_scope`) with the challenge parsed — including the RFC 9728 `resource_metadata` URL
 * a client discovers the authorization server from — after which the request is retried once.
 */

/** What a 401/403 challenge said (RFC 6750 §3, RFC 9728 §5.1). */
export interface AuthChallenge {
  /** 401 (no or invalid token) or 403 (insufficient scope). */
  readonly status: 401 | 403;
  /** The raw WWW-Authenticate header, if any. */
  readonly wwwAuthenticate: string | undefined;
  /** `resource_metadata`: where the server's Protected Resource Metadata document is (RFC 9728). */
  readonly resourceMetadataUrl: string | undefined;
  /** `error`: `invalid_token`, `insufficient_scope`, … (absent when the request carried no token). */
  readonly error: string | undefined;
  /** `error_description`. */
  readonly errorDescription: string | undefined;
  /** `scope`: the scopes the request needs (space-separated), when the server names them. */
  readonly scope: string | undefined;
}

/** StreamableHttpClientTransportOptions.auth. */
export interface HttpClientAuth {
  /**
   * The `Authorization` header value for the next request (e.g. `Bearer <token>`), or undefined to send none. Called
   * before every HTTP request (POST, the GET stream and its resumptions, the closing DELETE): keep the token cached
   * and return it quickly. A throw (or rejection) fails the requests of that POST with a JSON-RPC error naming it; the
   * transport stays open.
   */
  header(): string | undefined | Promise<string | undefined>;
  /**
   * The server answered 401, or 403 with `error="insufficient_scope"`: obtain or refresh a token (run your OAuth flow;
   * the challenge carries the `resource_metadata` URL and the scope asked for). Return true to retry the request once
   * with a fresh header(); false (or no hook) fails it with the server's answer. A throw counts as false.
   */
  unauthorized?(challenge: AuthChallenge): boolean | Promise<boolean>;
}

/** A 401, or a 403 whose challenge says insufficient_scope: the statuses a new token may fix. */
export function authChallenge(status: number, wwwAuthenticate: string | undefined): AuthChallenge | undefined {
  if (status !== 401 && status !== 403) return undefined;
  const params = challengeParams(wwwAuthenticate ?? '');
  const error = params.get('error');
  if (status === 403 && error !== 'insufficient_scope') return undefined;
  return {
    status,
    wwwAuthenticate,
    resourceMetadataUrl: params.get('resource_metadata'),
    error,
    errorDescription: params.get('error_description'),
    scope: params.get('scope'),
  };
}

/** The auth-params of the Bearer challenge (RFC 9110 §11.2): `name=token` or `name="quoted \"string\""`. */
export function challengeParams(header: string): Map<string, string> {
  const out = new Map<string, string>();
  const bearer = /(?:^|,)\s*Bearer\b/i.exec(header);
  if (bearer === null) return out;
  const re = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))\s*(?:,|$)/y;
  re.lastIndex = bearer.index + bearer[0].length;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    const name = (m[1] as string).toLowerCase();
    // A new scheme starts ("…, Basic realm=x"): its parameters are not the Bearer challenge's.
    if (!out.has(name)) out.set(name, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string));
  }
  return out;
}

/** The header value, checked: a string without CR, LF or NUL (or undefined). */
export function checkedHeader(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
    throw new TypeError('auth.header() must return a string without CR, LF or NUL, or undefined');
  }
  return value;
}
