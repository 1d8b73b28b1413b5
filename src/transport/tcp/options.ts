import { resolveOptions } from '../../config/options.js';
import { ErrorCode, NmcpError } from '../../errors.js';
import {
  DEFAULT_STREAM_TRANSPORT_OPTIONS,
  STREAM_TRANSPORT_RULES,
  type StreamTransportOptions,
} from '../stream-transport.js';

/**
 * Options of one TCP (or Unix-socket, or TLS) connection, on either side. Names and defaults are the seed's
 * (erlmcp's TCP transport config, camelCased); the StreamTransport options (maxMessageSize, batching, readTimeoutMs, …)
 * apply as on stdio, except writeTimeoutMs, which is `sendTimeoutMs` here.
 */
export interface TcpConnectionOptions extends Omit<StreamTransportOptions, 'writeTimeoutMs' | 'framing'> {
  /**
   * Wire framing: 'length-prefixed' (default; a 4-byte big-endian length before each message, erlmcp's {packet, 4})
   * or 'ndjson' (one message per line, as on stdio). Both ends must agree.
   */
  framing: 'length-prefixed' | 'ndjson';
  /** TCP_NODELAY: send small messages at once instead of waiting to coalesce them (Nagle). Default true. */
  noDelay: boolean;
  /**
   * SO_KEEPALIVE: probe an idle connection so that a vanished peer is noticed. Default true. When false, the three
   * keepAlive* options and TCP_USER_TIMEOUT are not set.
   */
  keepAlive: boolean;
  /**
   * Idle time before the first keep-alive probe, ms (TCP_KEEPIDLE; the seed's keepalive_interval). Default 30,000.
   * Set in whole seconds (rounded up). Node sets this one itself; the next two need the native core.
   */
  keepAliveIntervalMs: number;
  /** Unanswered probes after which the connection is dropped (TCP_KEEPCNT). Default 3. Native core only. */
  keepAliveProbes: number;
  /**
   * Time over which the unanswered probes are spread, ms (the seed's keepalive_timeout): TCP_KEEPINTVL =
   * keepAliveTimeoutMs / keepAliveProbes (3 s by default), and TCP_USER_TIMEOUT = keepAliveIntervalMs +
   * keepAliveTimeoutMs (39 s by default), so that a peer that vanishes while we have unacknowledged data is dropped as
   * soon as an idle one would be (without it Linux retransmits for ~15 minutes). Default 9,000. Native core only.
   */
  keepAliveTimeoutMs: number;
  /** SO_SNDBUF, bytes. Default 131,072 (128 KiB). 0 = leave the OS default (and its autotuning). Native core only. */
  sendBufferSize: number;
  /** SO_RCVBUF, bytes. Default 131,072 (128 KiB). 0 = leave the OS default (and its autotuning). Native core only. */
  recvBufferSize: number;
  /**
   * How long our output may stay blocked because the peer does not read, ms, before the connection is closed with
   * NMCP_ERR_WRITE_TIMEOUT (the seed's send_timeout; StreamTransport's writeTimeoutMs). Default 30,000. 0 = never:
   * then a peer that stops reading is cut off only when maxPendingBytes is reached.
   */
  sendTimeoutMs: number;
  /** Close a connection that has carried no bytes either way for this long, ms (NMCP_ERR_IDLE_TIMEOUT). Default 0 = off. */
  idleTimeoutMs: number;
}

/** Options of McpTcpServer: the connection options plus the listener's. */
export interface TcpServerOptions extends TcpConnectionOptions {
  /** Listen backlog: connections the kernel queues before they are accepted. Default 4,096. */
  backlog: number;
  /**
   * Connections served at once. Default 10,000. One more is refused: it is sent one JSON-RPC error frame naming the
   * limit (code -32000, data.reason 'maxConnections') and closed, and counted in `stats.refused`.
   */
  maxConnections: number;
}

/** Options of TcpClientTransport: the connection options plus the dialler's. */
export interface TcpClientOptions extends TcpConnectionOptions {
  /**
   * How long connecting (TCP, plus the TLS handshake) may take, ms, before it fails with NMCP_ERR_CONNECT_TIMEOUT.
   * Default 5,000. 0 = no limit of ours (the OS gives up after its SYN retries, about two minutes on Linux).
   */
  connectTimeoutMs: number;
}

const { writeTimeoutMs: _writeTimeoutMs, framing: _framing, ...streamDefaults } = DEFAULT_STREAM_TRANSPORT_OPTIONS;
const { writeTimeoutMs: _writeRule, framing: _framingRule, ...streamRules } = STREAM_TRANSPORT_RULES;

export const DEFAULT_TCP_CONNECTION_OPTIONS: Readonly<TcpConnectionOptions> = Object.freeze({
  ...streamDefaults,
  framing: 'length-prefixed',
  noDelay: true,
  keepAlive: true,
  keepAliveIntervalMs: 30_000, // ms (the seed's keepalive_interval)
  keepAliveProbes: 3, // probes (the seed's keepalive_probes)
  keepAliveTimeoutMs: 9_000, // ms (the seed's keepalive_timeout)
  sendBufferSize: 131_072, // 128 KiB (the seed's sndbuf)
  recvBufferSize: 131_072, // 128 KiB (the seed's recbuf)
  sendTimeoutMs: 30_000, // ms (the seed's send_timeout)
  idleTimeoutMs: 0, // ms, off
});

export const DEFAULT_TCP_SERVER_OPTIONS: Readonly<TcpServerOptions> = Object.freeze({
  ...DEFAULT_TCP_CONNECTION_OPTIONS,
  backlog: 4_096, // connections (the seed's backlog)
  maxConnections: 10_000, // connections (the seed's max_connections)
});

export const DEFAULT_TCP_CLIENT_OPTIONS: Readonly<TcpClientOptions> = Object.freeze({
  ...DEFAULT_TCP_CONNECTION_OPTIONS,
  connectTimeoutMs: 5_000, // ms (the seed's connect_timeout)
});

const HOUR_MS = 3_600_000;

const CONNECTION_RULES = {
  ...streamRules,
  framing: ['length-prefixed', 'ndjson'],
  keepAliveIntervalMs: { min: 1_000, max: 32_767_000, what: 'milliseconds, set in whole seconds' },
  keepAliveProbes: { min: 1, max: 127, what: 'probes' },
  keepAliveTimeoutMs: { min: 1_000, max: 32_767_000, what: 'milliseconds' },
  sendBufferSize: { min: 0, max: 1 << 30, what: 'bytes, 0 = the OS default' },
  recvBufferSize: { min: 0, max: 1 << 30, what: 'bytes, 0 = the OS default' },
  sendTimeoutMs: { min: 0, max: HOUR_MS, what: 'milliseconds, 0 = off' },
  idleTimeoutMs: { min: 0, max: 24 * HOUR_MS, what: 'milliseconds, 0 = off' },
} as const;

const SERVER_RULES = {
  ...CONNECTION_RULES,
  backlog: { min: 1, max: 65_535, what: 'connections' },
  maxConnections: { min: 1, max: 10_000_000, what: 'connections' },
} as const;

const CLIENT_RULES = {
  ...CONNECTION_RULES,
  connectTimeoutMs: { min: 0, max: HOUR_MS, what: 'milliseconds, 0 = no limit of ours' },
} as const;

export function resolveTcpServerOptions(scope: string, input: Partial<TcpServerOptions>): Readonly<TcpServerOptions> {
  return resolveOptions(scope, DEFAULT_TCP_SERVER_OPTIONS, SERVER_RULES, input);
}

export function resolveTcpClientOptions(scope: string, input: Partial<TcpClientOptions>): Readonly<TcpClientOptions> {
  return resolveOptions(scope, DEFAULT_TCP_CLIENT_OPTIONS, CLIENT_RULES, input);
}

/** The StreamTransport options of a connection (sendTimeoutMs is its writeTimeoutMs). */
export function streamOptionsOf(o: Readonly<TcpConnectionOptions>): StreamTransportOptions {
  return {
    framing: o.framing,
    maxMessageSize: o.maxMessageSize,
    bufferSize: o.bufferSize,
    readTimeoutMs: o.readTimeoutMs,
    writeTimeoutMs: o.sendTimeoutMs,
    enableFlowControl: o.enableFlowControl,
    batchMessages: o.batchMessages,
    batchSize: o.batchSize,
    maxPendingBytes: o.maxPendingBytes,
    maxMessagesPerTurn: o.maxMessagesPerTurn,
  };
}

/**
 * Splits `input` into the keys `objectKeys` names (objects and functions, checked by the caller) and the primitive
 * options that resolveOptions checks. An unknown key is refused here, naming every known key (resolveOptions alone
 * would not list the object keys).
 */
export function splitOptions<O extends object>(
  scope: string,
  input: O | undefined,
  primitiveDefaults: object,
  objectKeys: readonly string[],
): { objects: Record<string, unknown>; primitives: Record<string, unknown> } {
  const objects: Record<string, unknown> = {};
  const primitives: Record<string, unknown> = {};
  if (input === undefined) return { objects, primitives };
  if (typeof input !== 'object' || input === null) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${scope} options must be an object, got ${typeof input}`, { scope });
  }
  for (const [key, value] of Object.entries(input)) {
    if (objectKeys.includes(key)) objects[key] = value;
    else if (Object.hasOwn(primitiveDefaults, key)) primitives[key] = value;
    else {
      const known = [...objectKeys, ...Object.keys(primitiveDefaults)].join(', ');
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `${scope}.${key} is not a known option (known: ${known})${key === 'writeTimeoutMs' ? '; over TCP it is called sendTimeoutMs' : ''}`,
        { key: `${scope}.${key}` },
      );
    }
  }
  return { objects, primitives };
}

/** NMCP_ERR_INVALID_OPTION for an object/function option with the wrong shape. */
export function invalidOption(scope: string, key: string, value: unknown, what: string): NmcpError {
  const shown = typeof value === 'function' ? 'a function' : JSON.stringify(value);
  return new NmcpError(ErrorCode.INVALID_OPTION, `${scope}.${key} ${what}, got ${shown}`, {
    key: `${scope}.${key}`,
    value,
  });
}
