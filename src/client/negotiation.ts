/**
 * Protocol version negotiation of McpClient.connect(), both eras (docs/mcp-eras.md):
 *
 * - legacy: `initialize` with a handshake-era version, the server answers with the version it will speak (accepted if
 *   this client speaks it), then `notifications/initialized`;
 * - modern: no handshake; `server/discover` (carrying the `_meta` envelope) returns the server's supportedVersions,
 *   capabilities and instructions, and every later request carries the envelope;
 * - auto: as the official SDK v2's client does it — probe with `server/discover`, classify the answer (a discover
 *   result naming a version both support → modern; -32022 UnsupportedProtocolVersion naming a mutual modern version →
 *   probe once more with it; anything else — -32601, another error, an unrecognised result — → legacy). On stdio
 *   (StdioClientTransport) the probe runs on a disposable sibling process spawned from the same options, and the
 *   caller's transport starts only once the era is known: a server built on an SDK that exits on any request before
 *   `initialize` (the official Rust SDK does) then simply reads as legacy, and the real connection never sees the
 *   probe. On a stdio sibling a closed connection or a probe timeout also means legacy; on other transports the probe
 *   runs in place, and a timeout or a close is an error.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { type JsonObject, McpError } from '../protocol/jsonrpc.js';
import {
  isLegacyVersion,
  isModernVersion,
  LATEST_LEGACY_VERSION,
  LEGACY_VERSIONS,
  type LegacyVersion,
  MODERN_VERSIONS,
  type ModernVersion,
} from '../protocol/versions.js';
import { JsonRpcSession } from '../session/session.js';
import { StdioClientTransport } from '../transport/child-process.js';
import type { Transport } from '../transport/types.js';
import type { Implementation, NegotiationMode, ProtocolEra } from './types.js';

/** Reserved `_meta` keys of the modern era. */
export const META = {
  PROTOCOL_VERSION: 'io.modelcontextprotocol/protocolVersion',
  CLIENT_INFO: 'io.modelcontextprotocol/clientInfo',
  CLIENT_CAPABILITIES: 'io.modelcontextprotocol/clientCapabilities',
  LOG_LEVEL: 'io.modelcontextprotocol/logLevel',
  SERVER_INFO: 'io.modelcontextprotocol/serverInfo',
  SUBSCRIPTION_ID: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** -32022: the server does not support the requested protocol version (data: { supported, requested }). */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** Revisions are ISO dates: this one and every later one belong to the modern era. */
const FIRST_MODERN = '2026-07-28';

export type ResolvedNegotiation =
  | { kind: 'legacy'; version: LegacyVersion; pinned: boolean }
  | { kind: 'auto' }
  | { kind: 'modern'; version: ModernVersion };

export function resolveNegotiation(mode: NegotiationMode | undefined): ResolvedNegotiation {
  if (mode === undefined || mode === 'auto') return { kind: 'auto' };
  if (mode === 'legacy') return { kind: 'legacy', version: LATEST_LEGACY_VERSION, pinned: false };
  const pin = typeof mode === 'object' && mode !== null ? (mode as { pin?: unknown }).pin : undefined;
  if (isLegacyVersion(pin)) return { kind: 'legacy', version: pin, pinned: true };
  if (isModernVersion(pin)) return { kind: 'modern', version: pin };
  throw new NmcpError(
    ErrorCode.INVALID_OPTION,
    `McpClient negotiation must be 'auto', 'legacy' or { pin: version } with a version nmcp speaks, got ${JSON.stringify(mode)}`,
    { key: 'negotiation', value: mode },
  );
}

/** What negotiation learned about the server. */
export interface Negotiated {
  era: ProtocolEra;
  protocolVersion: LegacyVersion | ModernVersion;
  serverInfo: Implementation | undefined;
  serverCapabilities: JsonObject;
  instructions: string | undefined;
}

export interface Identity {
  clientInfo: Implementation;
  capabilities: JsonObject;
}

/** The modern era's per-request `_meta` envelope. */
export function envelope(version: ModernVersion, identity: Identity, logLevel?: string): JsonObject {
  const meta: JsonObject = {
    [META.PROTOCOL_VERSION]: version,
    [META.CLIENT_INFO]: identity.clientInfo,
    [META.CLIENT_CAPABILITIES]: identity.capabilities,
  };
  if (logLevel !== undefined) meta[META.LOG_LEVEL] = logLevel;
  return meta;
}

// ---- legacy

/** The `initialize` handshake on a started session; then `notifications/initialized`. */
export async function legacyHandshake(
  session: JsonRpcSession,
  version: LegacyVersion,
  pinned: boolean,
  identity: Identity,
  timeoutMs: number,
): Promise<Negotiated> {
  const result = await session.request(
    'initialize',
    { protocolVersion: version, capabilities: identity.capabilities, clientInfo: identity.clientInfo },
    { timeoutMs },
  );
  const answered = result.protocolVersion;
  if (!isLegacyVersion(answered) || (pinned && answered !== version)) {
    throw new NmcpError(
      ErrorCode.NEGOTIATION_FAILED,
      pinned
        ? `the server answered initialize with protocol version ${JSON.stringify(answered)}, not the pinned ${version}`
        : `the server answered initialize with protocol version ${JSON.stringify(answered)}, which this client does not speak (it speaks ${LEGACY_LIST})`,
      { requested: version, answered, supported: [...LEGACY_VERSIONS] },
    );
  }
  session.notify('notifications/initialized');
  return {
    era: 'legacy',
    protocolVersion: answered,
    serverInfo: asImplementation(result.serverInfo),
    serverCapabilities: asObject(result.capabilities),
    instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
  };
}

const LEGACY_LIST = LEGACY_VERSIONS.join(', ');

// ---- the server/discover probe

type ProbeOutcome =
  | { kind: 'result'; result: JsonObject }
  | { kind: 'error'; error: McpError }
  | { kind: 'closed'; cause: Error }
  | { kind: 'timeout' };

type Verdict =
  | { kind: 'modern'; version: ModernVersion; discover: JsonObject }
  | { kind: 'corrective'; version: ModernVersion; error: NmcpError }
  | { kind: 'legacy'; why: string }
  | { kind: 'error'; error: Error };

interface ProbeContext {
  offered: readonly ModernVersion[];
  requested: ModernVersion;
  fallback: boolean;
  /** The probe runs on a disposable stdio sibling: a close or a silence means a legacy server. */
  disposable: boolean;
  /** The transport is stdio (a silent server on a local pipe is a legacy server). */
  stdio: boolean;
}

function classify(outcome: ProbeOutcome, ctx: ProbeContext): Verdict {
  switch (outcome.kind) {
    case 'result': {
      const r = outcome.result;
      const versions = r.supportedVersions;
      if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string') || !isObject(r.capabilities)) {
        return { kind: 'legacy', why: 'server/discover returned something that is not a discover result' };
      }
      const mutual = ctx.offered.find((v) => versions.includes(v));
      if (mutual) return { kind: 'modern', version: mutual, discover: r };
      const error = unsupported(versions as string[], ctx.requested);
      return ctx.fallback ? { kind: 'legacy', why: error.message } : { kind: 'error', error };
    }
    case 'error': {
      const { code, data } = outcome.error;
      const supported = isObject(data) && Array.isArray(data.supported) ? (data.supported as unknown[]) : undefined;
      if (code === UNSUPPORTED_PROTOCOL_VERSION && supported?.every((v) => typeof v === 'string')) {
        const error = unsupported(supported as string[], ctx.requested);
        const mutual = ctx.offered.find((v) => supported.includes(v));
        if (mutual) return { kind: 'corrective', version: mutual, error };
        if (supported.some((v) => !isLegacyVersion(v) && String(v) >= FIRST_MODERN)) return { kind: 'error', error };
        return ctx.fallback ? { kind: 'legacy', why: error.message } : { kind: 'error', error };
      }
      return { kind: 'legacy', why: `server/discover was answered with error ${code}: ${outcome.error.message}` };
    }
    case 'closed':
      if (ctx.disposable) return { kind: 'legacy', why: 'the server closed the connection on server/discover' };
      return {
        kind: 'error',
        error: new NmcpError(
          ErrorCode.NEGOTIATION_FAILED,
          `the connection closed during the server/discover probe: ${outcome.cause.message}`,
          {},
          { cause: outcome.cause },
        ),
      };
    case 'timeout':
      if (ctx.stdio) return { kind: 'legacy', why: 'the server did not answer server/discover' };
      return {
        kind: 'error',
        error: new NmcpError(ErrorCode.NEGOTIATION_FAILED, 'the server/discover probe timed out', {}),
      };
  }
}

function unsupported(supported: readonly string[], requested: string): NmcpError {
  return new NmcpError(
    ErrorCode.NEGOTIATION_FAILED,
    `the server supports protocol versions ${supported.join(', ') || '(none)'}; this client offered ${requested} (it speaks ${[...MODERN_VERSIONS].join(', ')} and, through initialize, ${LEGACY_LIST})`,
    { supported: [...supported], requested },
  );
}

/** One probe exchange on a started session, with its own timer (so a server's -32001 is not read as our timeout). */
async function exchange(session: JsonRpcSession, params: JsonObject, timeoutMs: number): Promise<ProbeOutcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ProbeOutcome>((resolve) => {
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        abort.abort(new Error('probe timeout'));
        resolve({ kind: 'timeout' });
      }, timeoutMs);
    }
  });
  const answered = session.request('server/discover', params, { timeoutMs: 0, signal: abort.signal }).then(
    (result): ProbeOutcome => ({ kind: 'result', result }),
    (err: unknown): ProbeOutcome => {
      if (err instanceof McpError) return { kind: 'error', error: err };
      return { kind: 'closed', cause: err instanceof Error ? err : new Error(String(err)) };
    },
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export interface ProbeOptions {
  identity: Identity;
  /** Modern versions to offer, preferred first (a pin offers one). */
  offered: readonly ModernVersion[];
  /** Whether the legacy handshake may follow (auto) or not (a modern pin). */
  fallback: boolean;
  timeoutMs: number;
}

export type ProbeResult = { era: 'modern'; negotiated: Negotiated } | { era: 'legacy'; why: string };

/** Runs the probe on a started session (`disposable`: a stdio sibling that is thrown away afterwards). */
export async function probe(session: JsonRpcSession, options: ProbeOptions, disposable: boolean): Promise<ProbeResult> {
  let requested = options.offered[0] as ModernVersion;
  let corrected = false;
  for (;;) {
    const outcome = await exchange(session, { _meta: envelope(requested, options.identity) }, options.timeoutMs);
    const verdict = classify(outcome, {
      offered: options.offered,
      requested,
      fallback: options.fallback,
      disposable,
      stdio: disposable || session.transport.kind === 'stdio',
    });
    switch (verdict.kind) {
      case 'modern':
        return { era: 'modern', negotiated: fromDiscover(verdict.version, verdict.discover) };
      case 'corrective':
        // The spec's select-and-continue: probe once more with the mutual version; a second rejection is final.
        if (corrected) throw verdict.error;
        corrected = true;
        requested = verdict.version;
        continue;
      case 'legacy':
        if (!options.fallback) {
          throw new NmcpError(
            ErrorCode.NEGOTIATION_FAILED,
            `the server did not offer the pinned protocol version ${options.offered.join(', ')} (${verdict.why})`,
            { pinned: options.offered[0] },
          );
        }
        return { era: 'legacy', why: verdict.why };
      case 'error':
        throw verdict.error;
    }
  }
}

/**
 * The probe on a disposable sibling of a stdio server (same command, args, env, cwd; stderr discarded), reaped
 * before this resolves.
 */
export async function probeOnSibling(transport: StdioClientTransport, options: ProbeOptions): Promise<ProbeResult> {
  const { onStderr: _drop, ...spawnOptions } = transport.options;
  const sibling = new StdioClientTransport({
    ...spawnOptions,
    stderr: 'ignore',
    shutdownGraceMs: Math.min(spawnOptions.shutdownGraceMs ?? 2_000, 1_000),
  });
  const session = new JsonRpcSession(sibling, { outboundTimeoutMs: 0 });
  try {
    await session.start();
    return await probe(session, options, true);
  } finally {
    await session.close().catch(() => {});
  }
}

/** Whether the probe of `transport` runs on a sibling process. */
export function probesOnSibling(transport: Transport): transport is StdioClientTransport {
  return transport instanceof StdioClientTransport;
}

function fromDiscover(version: ModernVersion, r: JsonObject): Negotiated {
  const meta = isObject(r._meta) ? r._meta : {};
  return {
    era: 'modern',
    protocolVersion: version,
    serverInfo: asImplementation(meta[META.SERVER_INFO] ?? r.serverInfo),
    serverCapabilities: asObject(r.capabilities),
    instructions: typeof r.instructions === 'string' ? r.instructions : undefined,
  };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

function asImplementation(v: unknown): Implementation | undefined {
  return isObject(v) && typeof v.name === 'string' ? (v as Implementation) : undefined;
}
