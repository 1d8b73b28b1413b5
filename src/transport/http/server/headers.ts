/**
 * The HTTP header rules of Streamable HTTP (docs/mcp-eras.md §3.11, docs/http.md): Accept negotiation, the legacy
 * era's MCP-Protocol-Version rule, the modern era's MCP-Protocol-Version / Mcp-Method / Mcp-Name cross-check against
 * the body (-32020 HeaderMismatch, HTTP 400), and the HTTP status of a modern JSON-RPC error.
 */

import { type JsonObject, RpcCode } from '../../../protocol/jsonrpc.js';
import { isLegacyVersion, isModernVersion, SUPPORTED_VERSIONS } from '../../../protocol/versions.js';
import { isObject, McpCode, META } from '../../../server/wire.js';

export type HeaderValue = string | string[] | undefined;

/** One header value (the first when repeated), with the optional whitespace around it removed (RFC 9110 §5.5). */
export function header(value: HeaderValue): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined ? undefined : v.trim();
}

export interface Accepts {
  readonly json: boolean;
  readonly sse: boolean;
}

/** What an Accept header allows. No header means anything (RFC 9110 §12.5.1); `q=0` excludes a type. */
export function accepts(value: HeaderValue): Accepts {
  const v = Array.isArray(value) ? value.join(',') : value;
  if (v === undefined || v.trim() === '') return { json: true, sse: true };
  let json = false;
  let sse = false;
  for (const part of v.split(',')) {
    const [range = '', ...params] = part.split(';');
    const type = range.trim().toLowerCase();
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(p))) continue;
    if (type === '*/*') {
      json = true;
      sse = true;
    } else if (type === 'application/json' || type === 'application/*') json = true;
    else if (type === 'text/event-stream' || type === 'text/*') sse = true;
  }
  return { json, sse };
}

/** A problem with a header: the HTTP status and the JSON-RPC error to answer with. */
export interface HeaderProblem {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

/**
 * Legacy era: a present MCP-Protocol-Version must be a version nmcp speaks and, once the session negotiated one, that
 * one. Absent, the negotiated version is assumed (the spec's fallback for clients older than 2025-06-18).
 */
export function legacyVersionProblem(value: HeaderValue, negotiated: string | undefined): HeaderProblem | undefined {
  const v = header(value);
  if (v === undefined) return undefined;
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(v)) {
    return {
      status: 400,
      code: RpcCode.INVALID_REQUEST,
      message: `Bad Request: unsupported MCP-Protocol-Version "${v}" (supported: ${SUPPORTED_VERSIONS.join(', ')})`,
    };
  }
  if (negotiated !== undefined && v !== negotiated && isLegacyVersion(v)) {
    return {
      status: 400,
      code: RpcCode.INVALID_REQUEST,
      message: `Bad Request: MCP-Protocol-Version "${v}" does not match the session's negotiated version "${negotiated}"`,
    };
  }
  return undefined;
}

const mismatch = (message: string): HeaderProblem => ({ status: 400, code: McpCode.HEADER_MISMATCH, message });

/** The value `Mcp-Name` must mirror for `method`, or undefined when the method has none. */
function nameOf(method: string, params: JsonObject | undefined): string | undefined {
  if (params === undefined) return undefined;
  // tasks/*: SEP-2663 §Routing Headers, so that a load balancer can send every request of a task to its server.
  const key =
    method === 'tools/call' || method === 'prompts/get'
      ? 'name'
      : method === 'resources/read'
        ? 'uri'
        : method === 'tasks/get' || method === 'tasks/update' || method === 'tasks/cancel'
          ? 'taskId'
          : undefined;
  if (key === undefined) return undefined;
  const v = params[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Modern era (SEP-2243): a request must carry MCP-Protocol-Version equal to its `_meta` claim, Mcp-Method equal to
 * its method, and Mcp-Name equal to params.name (tools/call, prompts/get), params.uri (resources/read) or
 * params.taskId (tasks/get, tasks/update, tasks/cancel of the tasks extension). Header names
 * are case-insensitive (Node lowercases them), values are compared exactly after trimming.
 */
export function modernHeaderProblem(
  headers: Record<string, HeaderValue>,
  message: JsonObject,
): HeaderProblem | undefined {
  const method = typeof message.method === 'string' ? message.method : undefined;
  const params = isObject(message.params) ? message.params : undefined;
  const meta = params !== undefined && isObject(params._meta) ? params._meta : undefined;
  const claim = meta?.[META.PROTOCOL_VERSION];
  const version = header(headers['mcp-protocol-version']);
  if (version === undefined) {
    return mismatch('Header mismatch: the MCP-Protocol-Version header is required on a 2026-07-28 request');
  }
  if (typeof claim === 'string' && claim !== version) {
    return mismatch(
      `Header mismatch: MCP-Protocol-Version "${version}" differs from the body's _meta protocol version "${claim}"`,
    );
  }
  if (method === undefined || message.id === undefined) return undefined; // notifications: nothing more to check
  const methodHeader = header(headers['mcp-method']);
  if (methodHeader === undefined) return mismatch('Header mismatch: the Mcp-Method header is required');
  if (methodHeader !== method) {
    return mismatch(`Header mismatch: Mcp-Method "${methodHeader}" differs from the body's method "${method}"`);
  }
  const name = nameOf(method, params);
  const nameHeader = header(headers['mcp-name']);
  if (name !== undefined && nameHeader === undefined) {
    return mismatch(`Header mismatch: the Mcp-Name header is required for ${method}`);
  }
  if (nameHeader !== undefined && name !== undefined && nameHeader !== name) {
    return mismatch(`Header mismatch: Mcp-Name "${nameHeader}" differs from the body's "${name}"`);
  }
  return undefined;
}

/** Whether a body (a parsed single message) claims the modern era through its `_meta` protocol version. */
export function hasModernClaim(message: JsonObject): boolean {
  const params = message.params;
  return isObject(params) && isObject(params._meta) && META.PROTOCOL_VERSION in params._meta;
}

/** Whether an MCP-Protocol-Version header names a modern version. */
export function modernHeader(value: HeaderValue): boolean {
  return isModernVersion(header(value));
}

/**
 * The HTTP status of a modern-era JSON error response (the SDK's mapping): malformed or mismatched requests are 400,
 * an unknown method 404; other errors (a handler's) stay 200, as JSON-RPC errors in a successful HTTP exchange.
 */
export function modernErrorStatus(code: number, data: unknown): number {
  switch (code) {
    case RpcCode.PARSE_ERROR:
    case RpcCode.INVALID_REQUEST:
    case McpCode.HEADER_MISMATCH:
    case McpCode.MISSING_REQUIRED_CLIENT_CAPABILITY:
    case McpCode.UNSUPPORTED_PROTOCOL_VERSION:
      return 400;
    case RpcCode.METHOD_NOT_FOUND:
      return 404;
    case RpcCode.INVALID_PARAMS:
      // An envelope problem (the request is malformed for 2026-07-28) is 400; a handler's -32602 (unknown tool,
      // resource not found) stays a JSON-RPC error in a 200.
      return isObject(data) && 'envelope' in data ? 400 : 200;
    default:
      return 200;
  }
}
