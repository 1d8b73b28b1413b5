import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ErrorCode, NmcpError } from '../../errors.js';
import { TcpTransport } from './connection.js';
import type { TcpClientOptions } from './options.js';
import { applySocketOptions } from './socket-options.js';

/** Where a client connects: a TCP host and port, or a Unix socket path. */
export type TcpDialTarget = { host: string; port: number } | { path: string };

export function describeTarget(target: TcpDialTarget): string {
  return 'path' in target ? target.path : `${target.host}:${target.port}`;
}

/**
 * Connects to `target` (then the TLS handshake when `tls` is set) within connectTimeoutMs and returns the connection,
 * socket options applied. Fails with NMCP_ERR_CONNECT_TIMEOUT or NMCP_ERR_CONNECT_FAILED (cause: the OS/TLS error).
 */
export async function dial(
  target: TcpDialTarget,
  options: Readonly<TcpClientOptions>,
  tls: ConnectionOptions | undefined,
): Promise<TcpTransport> {
  const where = describeTarget(target);
  const isUnix = 'path' in target;
  const raw = isUnix ? netConnect({ path: target.path }) : netConnect({ host: target.host, port: target.port });
  let socket: Socket = raw;
  const ms = options.connectTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      if (ms > 0) {
        timer = setTimeout(
          () =>
            reject(
              new NmcpError(
                ErrorCode.CONNECT_TIMEOUT,
                `connecting to ${where} took longer than ${ms} ms (connectTimeoutMs)`,
                { target: where, connectTimeoutMs: ms },
              ),
            ),
          ms,
        );
      }
      raw.once('error', fail);
      raw.once('connect', () => {
        raw.off('error', fail);
        if (!tls) {
          resolve();
          return;
        }
        // Socket options go on the TCP socket before the handshake; the TLS socket wraps it.
        const secure = tlsConnect({
          // SNI takes a host name, never an IP address (RFC 6066).
          ...(isUnix || isIP(target.host) ? {} : { servername: target.host }),
          ...tls,
          socket: raw,
        });
        socket = secure;
        secure.once('error', fail);
        secure.once('secureConnect', () => {
          secure.off('error', fail);
          resolve();
        });
      });
    });
  } catch (err) {
    raw.destroy();
    socket.destroy();
    if (err instanceof NmcpError) throw err;
    const cause = err as NodeJS.ErrnoException;
    throw new NmcpError(
      ErrorCode.CONNECT_FAILED,
      `could not connect to ${where}${tls ? ' (TLS)' : ''}: ${cause.message}`,
      { target: where, errno: cause.code },
      { cause },
    );
  } finally {
    if (timer) clearTimeout(timer);
  }
  const report = applySocketOptions(raw, options, !isUnix);
  return new TcpTransport(socket, options, tls ? 'tls' : isUnix ? 'unix' : 'tcp', report, where);
}
