/**
 * Lifecycle of a connection, both eras on one server (docs/mcp-eras.md §2.3, §3.3, §4): the gate that runs before
 * every request, initialize / ping (legacy), server/discover and the per-request `_meta` envelope (modern).
 *
 * A connection starts `opening`. A claim-less `initialize` pins it legacy (version negotiated, batches allowed only for
 * 2025-03-26). A request whose `_meta` claims a protocol version is validated (-32602 for a bad envelope, -32022 for an
 * unsupported version) and pins it modern — except server/discover, which answers without pinning (`probe`), so that a
 * client may still fall back to initialize on the same pipe. Before either, only ping is served: other requests get
 * -32000 "Server not initialized" (the SDKs' HTTP code; they serve such requests on stdio — nmcp enforces the spec's
 * lifecycle). A second initialize is -32600. Once modern, every request must carry a valid envelope naming a supported
 * version (checked per request, as the spec intends), and a claim-less initialize is -32022.
 */

import { type JsonObject, McpError, type RequestId, RpcCode } from '../protocol/jsonrpc.js';
import {
  allowsBatches,
  isModernVersion,
  MODERN_VERSIONS,
  type ModernVersion,
  negotiateLegacyVersion,
} from '../protocol/versions.js';
import type { RequestGate, RequestHandler } from '../session/session.js';
import type { Call } from './core.js';
import { isLoggingLevel, type ServerSession, type SessionState } from './server-session.js';
import type { ClientCapabilities, Era, Implementation } from './types.js';
import { invalidParams, isObject, McpCode, META } from './wire.js';

/** JSON-RPC code of a request that arrives before initialize (the official SDKs' "Server not initialized"). */
export const NOT_INITIALIZED = -32000;

export const MODERN_REVISION = '2026-07-28';

export type CallHandler = (call: Call) => unknown;

/** The requests each era serves, by method. */
export interface MethodTables {
  readonly legacy: ReadonlyMap<string, CallHandler>;
  readonly modern: ReadonlyMap<string, CallHandler>;
}

function bind(session: ServerSession, state: SessionState, era: Era, table: ReadonlyMap<string, CallHandler>) {
  const bound = new Map<string, RequestHandler>();
  for (const [method, handler] of table) {
    bound.set(method, (params, rpc) => handler({ session, state, params, rpc, era }));
  }
  return bound;
}

export function unsupportedVersion(requested: unknown): McpError {
  const shown = typeof requested === 'string' ? requested : undefined;
  const data =
    shown === undefined ? { supported: [...MODERN_VERSIONS] } : { supported: [...MODERN_VERSIONS], requested };
  return new McpError(
    McpCode.UNSUPPORTED_PROTOCOL_VERSION,
    shown === undefined
      ? 'Unsupported protocol version: the request did not name a protocol version'
      : `Unsupported protocol version: ${shown}`,
    data,
  );
}

/** The first problem of a modern `_meta` envelope, as { key, problem }, or undefined when it is well-formed. */
export function envelopeIssue(meta: JsonObject): { key: string; problem: string } | undefined {
  if (!(META.PROTOCOL_VERSION in meta)) return { key: META.PROTOCOL_VERSION, problem: 'missing' };
  if (!(META.CLIENT_CAPABILITIES in meta)) return { key: META.CLIENT_CAPABILITIES, problem: 'missing' };
  if (typeof meta[META.PROTOCOL_VERSION] !== 'string') {
    return { key: META.PROTOCOL_VERSION, problem: 'expected a string' };
  }
  if (!isObject(meta[META.CLIENT_CAPABILITIES])) {
    return { key: META.CLIENT_CAPABILITIES, problem: 'expected an object' };
  }
  const info = meta[META.CLIENT_INFO];
  if (info !== undefined && !(isObject(info) && typeof info.name === 'string' && typeof info.version === 'string')) {
    return { key: META.CLIENT_INFO, problem: 'expected an Implementation ({ name, version })' };
  }
  const level = meta[META.LOG_LEVEL];
  if (level !== undefined && !isLoggingLevel(level))
    return { key: META.LOG_LEVEL, problem: 'expected a logging level' };
  return undefined;
}

/** Validates a modern request's envelope (-32602, -32022) and records what it declares on the session. */
function acceptEnvelope(meta: JsonObject, state: SessionState): ModernVersion {
  const issue = envelopeIssue(meta);
  if (issue) {
    throw invalidParams(
      `Invalid _meta envelope for protocol revision ${MODERN_REVISION}: ${issue.key}: ${issue.problem}`,
      {
        envelope: issue,
      },
    );
  }
  const version = meta[META.PROTOCOL_VERSION];
  if (!isModernVersion(version)) throw unsupportedVersion(version);
  state.protocolVersion = version;
  state.clientCapabilities = meta[META.CLIENT_CAPABILITIES] as ClientCapabilities;
  const info = meta[META.CLIENT_INFO];
  if (info !== undefined) state.clientInfo = info as unknown as Implementation;
  return version;
}

function validModernClaim(meta: JsonObject): boolean {
  return envelopeIssue(meta) === undefined && isModernVersion(meta[META.PROTOCOL_VERSION]);
}

/**
 * The session gate: decides, before dispatch, whether the request may run in the connection's phase, and which era's
 * handler serves it. Returning undefined lets the session look in its own requestHandlers (custom methods), then
 * answer -32601.
 */
export function createGate(
  session: ServerSession,
  state: SessionState,
  tables: MethodTables,
  initialize: CallHandler,
  ping: CallHandler,
): RequestGate {
  const legacy = bind(session, state, 'legacy', tables.legacy);
  const modern = bind(session, state, 'modern', tables.modern);
  const initializeHandler: RequestHandler = (params, rpc) => initialize({ session, state, params, rpc, era: 'legacy' });
  const pingHandler: RequestHandler = (params, rpc) => ping({ session, state, params, rpc, era: 'legacy' });

  return (method: string, params, _id: RequestId) => {
    const phase = state.phase;
    if (phase === 'legacy') {
      if (method === 'initialize') {
        throw new McpError(RpcCode.INVALID_REQUEST, 'Invalid Request: Server already initialized');
      }
      return legacy.get(method);
    }
    const meta = params._meta;
    if (phase === 'modern') {
      const handler = modern.get(method);
      if (handler === undefined) {
        if (method === 'initialize' && !(isObject(meta) && META.PROTOCOL_VERSION in meta)) {
          throw unsupportedVersion(params.protocolVersion);
        }
        return undefined;
      }
      if (!isObject(meta)) {
        throw invalidParams(
          `Request is missing the required _meta envelope for protocol revision ${MODERN_REVISION} (${META.PROTOCOL_VERSION}, ${META.CLIENT_CAPABILITIES})`,
        );
      }
      acceptEnvelope(meta, state);
      return handler;
    }
    // opening / probe: nothing pinned yet.
    const claim = isObject(meta) && META.PROTOCOL_VERSION in meta;
    if (!claim || (method === 'initialize' && !validModernClaim(meta))) {
      if (method === 'initialize') return initializeHandler;
      if (method === 'ping') return pingHandler;
      throw new McpError(NOT_INITIALIZED, `Bad Request: Server not initialized (send initialize first; got ${method})`);
    }
    acceptEnvelope(meta, state);
    if (method === 'server/discover') {
      state.phase = 'probe';
    } else {
      state.phase = 'modern';
      session.rpc.batchesAllowed = false;
    }
    return modern.get(method);
  };
}

/** The initialize handler (legacy handshake): negotiates the version, records the client, pins the era. */
export function initializeHandler(result: (version: string) => JsonObject): CallHandler {
  return ({ session, state, params }) => {
    const requested = params.protocolVersion;
    if (typeof requested !== 'string') {
      throw invalidParams('Invalid params: initialize requires "protocolVersion" (a string)');
    }
    if (params.capabilities !== undefined && !isObject(params.capabilities)) {
      throw invalidParams('Invalid params: initialize "capabilities" must be an object');
    }
    const clientInfo = params.clientInfo;
    if (clientInfo !== undefined && !isObject(clientInfo)) {
      throw invalidParams('Invalid params: initialize "clientInfo" must be an object');
    }
    const version = negotiateLegacyVersion(requested);
    state.phase = 'legacy';
    state.protocolVersion = version;
    state.clientCapabilities = (params.capabilities as ClientCapabilities | undefined) ?? {};
    state.clientInfo = clientInfo as unknown as Implementation | undefined;
    session.rpc.batchesAllowed = allowsBatches(version);
    return result(version);
  };
}
