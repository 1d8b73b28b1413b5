import type { Socket } from 'node:net';
import { ErrorCode, NmcpError } from '../../errors.js';
import { StreamTransport } from '../stream-transport.js';
import { streamOptionsOf, type TcpConnectionOptions } from './options.js';
import type { SocketOptionsReport } from './socket-options.js';

/** How long a closing connection may take to flush its last bytes before the socket is destroyed, ms. */
const CLOSE_GRACE_MS = 1_000;

/**
 * One connected socket (TCP, Unix or TLS) as a Transport: a StreamTransport over the socket in both directions, plus
 * what a socket adds — closing the socket with the transport (and the transport with the socket), idleTimeoutMs, and
 * the socket-options report. McpTcpServer makes one per accepted connection; TcpClientTransport one per dial.
 */
export class TcpTransport extends StreamTransport {
  readonly socket: Socket;
  /** Which socket options are in force (see applySocketOptions). */
  readonly socketOptionsReport: SocketOptionsReport;
  /** 'host:port' of the peer, or the socket path for a Unix socket. */
  readonly remote: string;
  /** Called once when the connection has closed, with the reason when it closed because of a failure. */
  onclose: ((reason?: Error) => void) | undefined;
  #ended = false;

  constructor(
    socket: Socket,
    options: Readonly<TcpConnectionOptions>,
    kind: 'tcp' | 'tls' | 'unix',
    report: SocketOptionsReport,
    remote: string,
  ) {
    super(socket, socket, streamOptionsOf(options), kind);
    this.socket = socket;
    this.socketOptionsReport = report;
    this.remote = remote;
    socket.on('close', this.#onSocketClose);
    if (options.idleTimeoutMs > 0) {
      const ms = options.idleTimeoutMs;
      socket.setTimeout(ms, () => {
        void this.close(
          new NmcpError(
            ErrorCode.IDLE_TIMEOUT,
            `the connection carried no bytes for ${ms} ms (idleTimeoutMs); closing it`,
            { idleTimeoutMs: ms, remote },
          ),
        );
      });
    }
  }

  override async close(reason?: Error): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await super.close(reason);
    try {
      this.onclose?.(reason);
    } catch {
      // An observer's failure must not keep the socket open.
    }
    const socket = this.socket;
    socket.setTimeout(0);
    if (socket.destroyed) return;
    // A peer that stopped reading will not take our last bytes: cut it off. Otherwise let queued bytes (a final
    // response, the refusal frame) leave, and destroy the socket if the peer does not finish within the grace time.
    if (reason instanceof NmcpError && reason.code === ErrorCode.WRITE_TIMEOUT) {
      socket.destroy();
      return;
    }
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  #onSocketClose = (hadError: boolean): void => {
    // 'end' and 'error' reach StreamTransport first; this covers a socket destroyed without either.
    if (!this.#ended) {
      void this.close(
        hadError ? new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the socket closed after an error', {}) : undefined,
      );
    }
  };
}
