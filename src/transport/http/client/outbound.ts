import { isRequestId, type RequestId } from '../../../protocol/jsonrpc.js';

/** The `_meta` key whose presence claims the modern era for a message (docs/mcp-eras.md §3.1). */
const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';

/** Methods whose `Mcp-Name` header mirrors a field of params (docs/mcp-eras.md §3.11; SEP-2243). */
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  // The tasks extension (SEP-2663 §Routing Headers).
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** What the transport needs to know about one outgoing message. */
export interface Outbound {
  /** Ids of the requests in it (one for a request, several for a batch, none for a notification or response). */
  requestIds: RequestId[];
  /** The method of a single request or notification. */
  method: string | undefined;
  /** The modern-era headers of a message carrying the `_meta` protocolVersion claim. */
  modern: { version: string; name: string | undefined; arguments: unknown } | undefined;
  /** The request a `notifications/cancelled` cancels (its response stream is then closed). */
  cancels: RequestId | undefined;
}

const NOTHING: Outbound = Object.freeze({ requestIds: [], method: undefined, modern: undefined, cancels: undefined });

/**
 * Reads the facts the HTTP headers are derived from. This is the client side (one parse per message sent, next to an
 * HTTP round trip), not the server's hot path; a message that does not parse is still sent, as a notification would
 * be, and the server answers it.
 */
export function inspectOutbound(text: string): Outbound {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return NOTHING;
  }
  if (Array.isArray(msg)) {
    const requestIds: RequestId[] = [];
    for (const m of msg) {
      const id = requestIdOf(m);
      if (id !== undefined) requestIds.push(id);
    }
    return { requestIds, method: undefined, modern: undefined, cancels: undefined };
  }
  if (typeof msg !== 'object' || msg === null) return NOTHING;
  const m = msg as Record<string, unknown>;
  const method = typeof m.method === 'string' ? m.method : undefined;
  const id = requestIdOf(m);
  const params = isObject(m.params) ? m.params : undefined;
  const meta = params && isObject(params._meta) ? params._meta : undefined;
  const claim = meta?.[PROTOCOL_VERSION_META];
  let modern: Outbound['modern'];
  if (method !== undefined && typeof claim === 'string') {
    const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
    const value = field !== undefined ? params?.[field] : undefined;
    modern = {
      version: claim,
      name: typeof value === 'string' ? value : undefined,
      // tools/call: for the Mcp-Param-* headers of the tool's x-mcp-header declarations.
      arguments: method === 'tools/call' ? params?.arguments : undefined,
    };
  }
  const cancelled = method === 'notifications/cancelled' ? params?.requestId : undefined;
  return {
    requestIds: id === undefined ? [] : [id],
    method,
    modern,
    cancels: isRequestId(cancelled) ? cancelled : undefined,
  };
}

function requestIdOf(m: unknown): RequestId | undefined {
  if (!isObject(m) || typeof m.method !== 'string') return undefined;
  return isRequestId(m.id) ? m.id : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';

/**
 * An HTTP field value for an MCP header (`Mcp-Name`, `Mcp-Param-*`): a plain printable-ASCII value is sent as is;
 * anything else — non-ASCII, control characters, leading or trailing whitespace (which field parsing would strip), the
 * empty string, or a value that itself looks like the sentinel — is sent as `=?base64?{base64 of UTF-8}?=`, as the
 * spec and the official SDK do.
 */
export function encodeHeaderValue(value: string): string {
  return needsBase64(value)
    ? `${SENTINEL_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${SENTINEL_SUFFIX}`
    : value;
}

function needsBase64(s: string): boolean {
  if (s.length === 0 || s !== s.trim()) return true;
  if (s.startsWith(SENTINEL_PREFIX) && s.endsWith(SENTINEL_SUFFIX)) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 9 && (c < 0x20 || c > 0x7e)) return true;
  }
  return false;
}
