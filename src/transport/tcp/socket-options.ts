import type { Socket } from 'node:net';
import { type CoreBinding, SocketOptionBit, type SocketOptionValues } from '../../native/binding-types.js';
import { activeCore, core } from '../../native/index.js';
import type { TcpConnectionOptions } from './options.js';

/** A socket option, by its OS name. */
export type SocketOptionName =
  | 'TCP_NODELAY'
  | 'SO_KEEPALIVE'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'TCP_USER_TIMEOUT'
  | 'SO_SNDBUF'
  | 'SO_RCVBUF';

/** Which of the requested socket options are in force on a connection, and why the others are not. */
export interface SocketOptionsReport {
  /** The options set on the socket (by Node, or by the native core). */
  readonly applied: readonly SocketOptionName[];
  /** The options asked for but not set, each with why. Options not asked for (a 0 buffer size) are in neither list. */
  readonly notApplied: readonly { readonly option: SocketOptionName; readonly reason: string }[];
}

/** The native options in bit order (SocketOptionBit). */
const NATIVE: readonly [SocketOptionName, number][] = [
  ['TCP_KEEPIDLE', SocketOptionBit.KEEP_ALIVE_IDLE],
  ['TCP_KEEPINTVL', SocketOptionBit.KEEP_ALIVE_INTERVAL],
  ['TCP_KEEPCNT', SocketOptionBit.KEEP_ALIVE_PROBES],
  ['TCP_USER_TIMEOUT', SocketOptionBit.USER_TIMEOUT],
  ['SO_SNDBUF', SocketOptionBit.SEND_BUFFER_SIZE],
  ['SO_RCVBUF', SocketOptionBit.RECV_BUFFER_SIZE],
];

/** The socket's descriptor, where Node has one (undefined on Windows, where it reports -1, or before connect). */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** The values the native core is asked to set, derived from the connection options (see TcpConnectionOptions). */
export function nativeValues(o: Readonly<TcpConnectionOptions>, isTcp: boolean): SocketOptionValues {
  const v: SocketOptionValues = {};
  if (isTcp && o.keepAlive) {
    v.keepAliveIdleMs = o.keepAliveIntervalMs;
    v.keepAliveIntervalMs = Math.max(1_000, Math.ceil(o.keepAliveTimeoutMs / o.keepAliveProbes));
    v.keepAliveProbes = o.keepAliveProbes;
    v.userTimeoutMs = o.keepAliveIntervalMs + o.keepAliveTimeoutMs;
  }
  if (o.sendBufferSize > 0) v.sendBufferSize = o.sendBufferSize;
  if (o.recvBufferSize > 0) v.recvBufferSize = o.recvBufferSize;
  return v;
}

const KEY_OF: Record<string, keyof SocketOptionValues> = {
  TCP_KEEPIDLE: 'keepAliveIdleMs',
  TCP_KEEPINTVL: 'keepAliveIntervalMs',
  TCP_KEEPCNT: 'keepAliveProbes',
  TCP_USER_TIMEOUT: 'userTimeoutMs',
  SO_SNDBUF: 'sendBufferSize',
  SO_RCVBUF: 'recvBufferSize',
};

/**
 * Applies the connection's socket options to a connected socket and reports which are in force. Node sets
 * TCP_NODELAY and SO_KEEPALIVE (with the first probe delay); the rest need setsockopt, which only the native core can
 * call. Unix sockets take only the buffer sizes. Logs nothing: the report is there to be read.
 */
export function applySocketOptions(
  socket: Socket,
  o: Readonly<TcpConnectionOptions>,
  isTcp: boolean,
  binding: CoreBinding = core,
): SocketOptionsReport {
  const applied: SocketOptionName[] = [];
  const notApplied: { option: SocketOptionName; reason: string }[] = [];
  if (isTcp) {
    socket.setNoDelay(o.noDelay);
    if (o.noDelay) applied.push('TCP_NODELAY');
    socket.setKeepAlive(o.keepAlive, o.keepAlive ? o.keepAliveIntervalMs : 0);
    if (o.keepAlive) applied.push('SO_KEEPALIVE');
  }
  const values = nativeValues(o, isTcp);
  const fd = socketFd(socket);
  const mask = fd === undefined ? 0 : binding.setSocketOptions(fd, values);
  const why =
    binding === core && activeCore().kind === 'ts'
      ? `the TypeScript twin cannot set socket options (${activeCore().reason})`
      : fd === undefined
        ? 'Node gives no file descriptor for this socket on this platform'
        : 'this OS does not have the option or refused the value';
  for (const [name, bit] of NATIVE) {
    const key = KEY_OF[name] as keyof SocketOptionValues;
    if (values[key] === undefined) continue;
    if (mask & bit) applied.push(name);
    // Node itself set the first probe delay (setKeepAlive above), in whole seconds, like the native core would.
    else if (name === 'TCP_KEEPIDLE') applied.push(name);
    else notApplied.push({ option: name, reason: why });
  }
  return { applied, notApplied };
}
