/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728), which the MCP authorization spec (2025-06-18, 2025-11-25) requires
 * of a server that checks bearer tokens: the document that names the authorization server(s), served at
 * `/.well-known/oauth-protected-resource<endpoint path>` (RFC 9728 §3.1) and at `/.well-known/oauth-protected-resource`,
 * and pointed to by the 401's `WWW-Authenticate: Bearer resource_metadata="…"`.
 */

import { ErrorCode, NmcpError } from '../../../errors.js';

/** The RFC 9728 well-known prefix; a resource's path is appended to it (`/.well-known/oauth-protected-resource/mcp`). */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The `protectedResourceMetadata` option: RFC 9728 fields in camelCase (sent snake_case). */
export interface ProtectedResourceMetadataOptions {
  /** `authorization_servers`: issuer URLs of the authorization servers (https; http only on localhost). Required, at least one. */
  authorizationServers: readonly string[];
  /**
   * `resource`: the MCP server's canonical URI (an absolute http(s) URL, no fragment). Default: the URL the MCP
   * endpoint is served at, derived per request from its protocol and Host (`http://127.0.0.1:3000/mcp`); behind a
   * proxy set it, or fastify's `trustProxy`.
   */
  resource?: string;
  /** `scopes_supported`: the scopes a token for this server may carry. Default: not sent. */
  scopesSupported?: readonly string[];
  /** `resource_name`: a human-readable name for the server. Default: not sent. */
  resourceName?: string;
  /** `resource_documentation`: a URL of human-readable documentation. Default: not sent. */
  resourceDocumentation?: string;
}

export interface ResolvedResourceMetadata {
  readonly authorizationServers: readonly string[];
  readonly resource: string | undefined;
  readonly scopesSupported: readonly string[] | undefined;
  readonly resourceName: string | undefined;
  readonly resourceDocumentation: string | undefined;
}

const KEYS = ['authorizationServers', 'resource', 'scopesSupported', 'resourceName', 'resourceDocumentation'];
const LOCAL_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

function httpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Validates the option (undefined = not served); errors name `<scope>.protectedResourceMetadata.<key>`. */
export function resolveProtectedResourceMetadata(scope: string, value: unknown): ResolvedResourceMetadata | undefined {
  if (value === undefined) return undefined;
  const base = `${scope}.protectedResourceMetadata`;
  const invalid = (key: string, message: string) => {
    const name = key === '' ? base : `${base}.${key}`;
    return new NmcpError(ErrorCode.INVALID_OPTION, `${name} ${message}`, { key: name });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('', 'must be an object ({ authorizationServers, resource?, scopesSupported?, … })');
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KEYS.includes(key)) throw invalid(key, `is not a known option (known: ${KEYS.join(', ')})`);
  }
  const servers = input.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw invalid('authorizationServers', 'must be a non-empty array of authorization server issuer URLs');
  }
  for (const s of servers) {
    const url = httpUrl(s);
    if (
      url === undefined ||
      url.search !== '' ||
      url.hash !== '' ||
      (url.protocol === 'http:' && !LOCAL_NAMES.has(url.hostname))
    ) {
      throw invalid(
        'authorizationServers',
        `must hold https issuer URLs without query or fragment (http only on localhost), got ${JSON.stringify(s)}`,
      );
    }
  }
  const { resource, scopesSupported, resourceName, resourceDocumentation } = input;
  if (resource !== undefined) {
    const url = httpUrl(resource);
    if (url === undefined || url.hash !== '') {
      throw invalid('resource', `must be an absolute http(s) URL without fragment, got ${JSON.stringify(resource)}`);
    }
  }
  if (
    scopesSupported !== undefined &&
    (!Array.isArray(scopesSupported) ||
      !scopesSupported.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))
  ) {
    throw invalid('scopesSupported', 'must be an array of scope tokens (non-empty, no spaces or quotes)');
  }
  if (resourceName !== undefined && (typeof resourceName !== 'string' || resourceName === '')) {
    throw invalid('resourceName', 'must be a non-empty string');
  }
  if (resourceDocumentation !== undefined && httpUrl(resourceDocumentation) === undefined) {
    throw invalid(
      'resourceDocumentation',
      `must be an absolute http(s) URL, got ${JSON.stringify(resourceDocumentation)}`,
    );
  }
  return Object.freeze({
    authorizationServers: Object.freeze([...(servers as string[])]),
    resource: resource as string | undefined,
    scopesSupported: scopesSupported === undefined ? undefined : Object.freeze([...(scopesSupported as string[])]),
    resourceName: resourceName as string | undefined,
    resourceDocumentation: resourceDocumentation as string | undefined,
  });
}

/** The RFC 9728 §2 document (snake_case); `resource` is the configured one, else `derivedResource`. */
export function protectedResourceDocument(
  metadata: ResolvedResourceMetadata,
  derivedResource: string,
): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    resource: metadata.resource ?? derivedResource,
    authorization_servers: metadata.authorizationServers,
    bearer_methods_supported: ['header'],
  };
  if (metadata.scopesSupported !== undefined) doc.scopes_supported = metadata.scopesSupported;
  if (metadata.resourceName !== undefined) doc.resource_name = metadata.resourceName;
  if (metadata.resourceDocumentation !== undefined) doc.resource_documentation = metadata.resourceDocumentation;
  return doc;
}
