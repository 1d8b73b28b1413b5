/**
 * McpGateway's options: the upstreams and the failure policy, checked at construction (NmcpError INVALID_OPTION
 * naming the key). DEFAULT_GATEWAY_OPTIONS holds every default.
 */
import { ErrorCode, NmcpError } from '../errors.js';
import type { BreakerOptions, Clock } from './breaker.js';

/** Spawn the upstream server as a child process and speak NDJSON over its stdin/stdout. */
export interface StdioUpstream {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}
/** Dial the upstream over TCP (length-prefixed frames, as `nmcp serve --tcp`). */
export interface TcpUpstream {
  host?: string;
  port: number;
}
/** Dial the upstream over a Unix socket (length-prefixed frames, as `nmcp serve --unix`). */
export interface UnixUpstream {
  path: string;
}
/** The upstream's Streamable HTTP endpoint. */
export interface HttpUpstream {
  url: string;
  headers?: Record<string, string>;
  /**
   * 'legacy' (the default): initialize a legacy-era session, whose calls the data plane forwards as bytes. 'auto':
   * probe `server/discover` first and speak the 2026-07-28 era when the server has it (needed for a server that
   * speaks only that era); such a connection is served by the control plane.
   */
  negotiation?: 'legacy' | 'auto';
}

/** One upstream MCP server: a name (`[a-z0-9_-]+`, unique) and exactly one transport. */
export interface UpstreamConfig {
  name: string;
  stdio?: StdioUpstream;
  tcp?: TcpUpstream;
  unix?: UnixUpstream;
  http?: HttpUpstream;
}

export interface ReconnectPolicy {
  /** The first delay before dialling / respawning again, ms (100). */
  initialDelayMs: number;
  /** The cap of the exponential backoff, ms (10,000). Each delay is uniformly random below it (full jitter). */
  maxDelayMs: number;
}

export interface McpGatewayOptions {
  upstreams: UpstreamConfig[];
  /** Between the upstream's name and the tool / prompt / resource name ('__'). */
  separator?: string;
  /** Timeout of each forwarded call, ms (30,000). */
  requestTimeoutMs?: number;
  breaker?: Partial<BreakerOptions>;
  reconnect?: Partial<ReconnectPolicy>;
  /** The downstream server's serverInfo ({ name: 'nmcp-gateway', version: '1.0.0' }). */
  info?: { name: string; version: string };
  /**
   * Problems that are not a call's answer: an upstream that failed to connect or closed, a refresh that failed, a
   * resource URI served by two upstreams (the first in config order wins). Default: ignored.
   */
  onError?: (error: Error) => void;
  /** The time source of the breakers, ms (Date.now). */
  clock?: Clock;
}

export interface ResolvedGatewayOptions {
  upstreams: UpstreamConfig[];
  separator: string;
  requestTimeoutMs: number;
  breaker: BreakerOptions;
  reconnect: ReconnectPolicy;
  info: { name: string; version: string };
  onError: (error: Error) => void;
  clock: Clock;
}

export const DEFAULT_GATEWAY_OPTIONS = Object.freeze({
  separator: '__',
  requestTimeoutMs: 30_000,
  breaker: Object.freeze({ failureThreshold: 5, openDurationMs: 30_000 }),
  reconnect: Object.freeze({ initialDelayMs: 100, maxDelayMs: 10_000 }),
  info: Object.freeze({ name: 'nmcp-gateway', version: '1.0.0' }),
});

export const UPSTREAM_NAME_PATTERN = /^[a-z0-9_-]+$/;
const TRANSPORTS = ['stdio', 'tcp', 'unix', 'http'] as const;

function invalid(key: string, value: unknown, message: string): NmcpError {
  return new NmcpError(ErrorCode.INVALID_OPTION, `McpGateway: ${key} ${message}`, { key, value });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positive(key: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(key, value, `must be a number ≥ ${min}`);
  }
  return value;
}

function checkKeys(key: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw invalid(`${key}.${k}`, value[k], `is not a known key (${allowed.join(', ')})`);
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

function checkUpstream(i: number, entry: unknown, seen: Set<string>): UpstreamConfig {
  const key = `upstreams[${i}]`;
  if (!isObject(entry)) throw invalid(key, entry, 'must be an object { name, stdio | tcp | unix | http }');
  checkKeys(key, entry, ['name', ...TRANSPORTS]);
  const { name } = entry;
  if (typeof name !== 'string' || !UPSTREAM_NAME_PATTERN.test(name)) {
    throw invalid(`${key}.name`, name, 'must be a non-empty string of a-z, 0-9, "-" and "_"');
  }
  if (seen.has(name)) throw invalid(`${key}.name`, name, 'is used by another upstream: names must be unique');
  seen.add(name);
  const given = TRANSPORTS.filter((t) => entry[t] !== undefined);
  if (given.length !== 1) {
    throw invalid(key, entry, `must have exactly one of ${TRANSPORTS.join(', ')} (it has ${given.length})`);
  }
  const kind = given[0] as (typeof TRANSPORTS)[number];
  const t = entry[kind];
  const tkey = `${key}.${kind}`;
  if (!isObject(t)) throw invalid(tkey, t, 'must be an object');
  switch (kind) {
    case 'stdio': {
      checkKeys(tkey, t, ['command', 'args', 'env', 'cwd']);
      if (typeof t.command !== 'string' || t.command === '')
        throw invalid(`${tkey}.command`, t.command, 'must be a command');
      if (t.args !== undefined && !(Array.isArray(t.args) && t.args.every((a) => typeof a === 'string'))) {
        throw invalid(`${tkey}.args`, t.args, 'must be an array of strings');
      }
      if (t.env !== undefined && !isStringRecord(t.env))
        throw invalid(`${tkey}.env`, t.env, 'must map names to strings');
      if (t.cwd !== undefined && typeof t.cwd !== 'string') throw invalid(`${tkey}.cwd`, t.cwd, 'must be a directory');
      return { name, stdio: t as unknown as StdioUpstream };
    }
    case 'tcp': {
      checkKeys(tkey, t, ['host', 'port']);
      if (typeof t.port !== 'number' || !Number.isInteger(t.port) || t.port < 1 || t.port > 65_535) {
        throw invalid(`${tkey}.port`, t.port, 'must be an integer from 1 to 65535');
      }
      if (t.host !== undefined && (typeof t.host !== 'string' || t.host === '')) {
        throw invalid(`${tkey}.host`, t.host, 'must be a host name or address');
      }
      return { name, tcp: t as unknown as TcpUpstream };
    }
    case 'unix': {
      checkKeys(tkey, t, ['path']);
      if (typeof t.path !== 'string' || t.path === '') throw invalid(`${tkey}.path`, t.path, 'must be a socket path');
      return { name, unix: t as unknown as UnixUpstream };
    }
    case 'http': {
      checkKeys(tkey, t, ['url', 'headers', 'negotiation']);
      if (typeof t.url !== 'string' || !URL.canParse(t.url)) throw invalid(`${tkey}.url`, t.url, 'must be a URL');
      if (t.negotiation !== undefined && t.negotiation !== 'legacy' && t.negotiation !== 'auto') {
        throw invalid(`${tkey}.negotiation`, t.negotiation, 'must be "legacy" or "auto"');
      }
      if (t.headers !== undefined && !isStringRecord(t.headers)) {
        throw invalid(`${tkey}.headers`, t.headers, 'must map header names to strings');
      }
      return { name, http: t as unknown as HttpUpstream };
    }
  }
}

export function resolveGatewayOptions(options: McpGatewayOptions): ResolvedGatewayOptions {
  if (!isObject(options)) throw invalid('options', options, 'must be an object');
  checkKeys('options', options, [
    'upstreams',
    'separator',
    'requestTimeoutMs',
    'breaker',
    'reconnect',
    'info',
    'onError',
    'clock',
  ]);
  const { upstreams, separator, breaker = {}, reconnect = {}, info, onError, clock } = options;
  if (!Array.isArray(upstreams) || upstreams.length === 0) {
    throw invalid('upstreams', upstreams, 'must be a non-empty array of { name, stdio | tcp | unix | http }');
  }
  const seen = new Set<string>();
  const checked = upstreams.map((u, i) => checkUpstream(i, u, seen));
  if (separator !== undefined && (typeof separator !== 'string' || separator === '')) {
    throw invalid('separator', separator, 'must be a non-empty string');
  }
  if (!isObject(breaker)) throw invalid('breaker', breaker, 'must be an object');
  checkKeys('breaker', breaker, ['failureThreshold', 'openDurationMs']);
  if (!isObject(reconnect)) throw invalid('reconnect', reconnect, 'must be an object');
  checkKeys('reconnect', reconnect, ['initialDelayMs', 'maxDelayMs']);
  if (info !== undefined && (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string')) {
    throw invalid('info', info, 'must be { name: string, version: string }');
  }
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError', onError, 'must be a function');
  if (clock !== undefined && typeof clock !== 'function') throw invalid('clock', clock, 'must be a function');
  const d = DEFAULT_GATEWAY_OPTIONS;
  const initialDelayMs = positive('reconnect.initialDelayMs', reconnect.initialDelayMs, d.reconnect.initialDelayMs);
  const maxDelayMs = positive('reconnect.maxDelayMs', reconnect.maxDelayMs, d.reconnect.maxDelayMs);
  if (maxDelayMs < initialDelayMs) {
    throw invalid('reconnect.maxDelayMs', maxDelayMs, `must be ≥ reconnect.initialDelayMs (${initialDelayMs})`);
  }
  return {
    upstreams: checked,
    separator: separator ?? d.separator,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, d.requestTimeoutMs),
    breaker: {
      failureThreshold: positive('breaker.failureThreshold', breaker.failureThreshold, d.breaker.failureThreshold),
      openDurationMs: positive('breaker.openDurationMs', breaker.openDurationMs, d.breaker.openDurationMs, 0),
    },
    reconnect: { initialDelayMs, maxDelayMs },
    info: info ? { name: info.name, version: info.version } : { ...d.info },
    onError: onError ?? (() => {}),
    clock: clock ?? Date.now,
  };
}

/** The delay before reconnect attempt `attempt` (0-based): uniform in [0, min(max, initial · 2^attempt)). */
export function backoffDelay(policy: ReconnectPolicy, attempt: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.random() * cap;
}
