import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SocketOptionBit } from '../../src/native/binding-types.js';
import { activeCore, core, loadNativeBinding, twinBinding } from '../../src/native/index.js';
import type { TcpTransport } from '../../src/transport/tcp/connection.js';
import { socketFd } from '../../src/transport/tcp/socket-options.js';
import { connectClient, listenTcp } from '../transport/tcp/helpers.js';

const native = activeCore().kind === 'native';
const linux = process.platform === 'linux';

/** The six options of a socket, read back with getsockopt (ms, count, bytes; -1 = unavailable). */
function readBack(fd: number): number[] {
  const out = new Int32Array(6);
  core.getSocketOptions(fd, out);
  return [...out];
}

describe('socket options (native setsockopt; the twin reports them as not applied)', () => {
  it('both ends of a TCP connection get the seed values, read back from the kernel', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const { client, transport } = await connectClient({ port });
    try {
      const [served] = [...tcp.connections] as [TcpTransport];
      for (const connection of [served, transport.connection as TcpTransport]) {
        const report = connection.socketOptionsReport;
        if (native && linux) {
          expect(report.applied).toEqual([
            'TCP_NODELAY',
            'SO_KEEPALIVE',
            'TCP_KEEPIDLE',
            'TCP_KEEPINTVL',
            'TCP_KEEPCNT',
            'TCP_USER_TIMEOUT',
            'SO_SNDBUF',
            'SO_RCVBUF',
          ]);
          expect(report.notApplied).toEqual([]);
          const [idle, intvl, cnt, userTimeout, sndbuf, rcvbuf] = readBack(socketFd(connection.socket) as number);
          // keepAliveIntervalMs 30 s before the first probe; 3 probes spread over keepAliveTimeoutMs 9 s;
          // TCP_USER_TIMEOUT = 30 s + 9 s. Linux reports twice the buffer sizes asked for (its bookkeeping).
          expect([idle, intvl, cnt, userTimeout]).toEqual([30_000, 3_000, 3, 39_000]);
          expect(sndbuf).toBe(2 * 131_072);
          expect(rcvbuf).toBe(2 * 131_072);
        } else if (!native) {
          // Node sets TCP_NODELAY and SO_KEEPALIVE with the first delay; the rest need setsockopt.
          expect(report.applied).toEqual(['TCP_NODELAY', 'SO_KEEPALIVE', 'TCP_KEEPIDLE']);
          expect(report.notApplied.map((n) => n.option)).toEqual([
            'TCP_KEEPINTVL',
            'TCP_KEEPCNT',
            'TCP_USER_TIMEOUT',
            'SO_SNDBUF',
            'SO_RCVBUF',
          ]);
          for (const n of report.notApplied) expect(n.reason).toMatch(/TypeScript twin cannot set socket options/);
        }
      }
    } finally {
      await client.close();
      await tcp.close();
    }
  });

  it('other values map as documented; a 0 buffer size is left to the OS and not reported', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const { client, transport } = await connectClient({
      port,
      keepAliveIntervalMs: 10_000,
      keepAliveTimeoutMs: 6_000,
      keepAliveProbes: 2,
      sendBufferSize: 0,
      recvBufferSize: 65_536,
      noDelay: false,
    });
    try {
      const report = transport.socketOptionsReport;
      const named = [...(report?.applied ?? []), ...(report?.notApplied ?? []).map((n) => n.option)];
      expect(named).not.toContain('SO_SNDBUF');
      expect(named).not.toContain('TCP_NODELAY');
      if (native && linux) {
        const values = readBack(socketFd(transport.connection?.socket as never) as number);
        expect(values.slice(0, 4)).toEqual([10_000, 3_000, 2, 16_000]);
        expect(values[5]).toBe(2 * 65_536);
      }
    } finally {
      await client.close();
      await tcp.close();
    }
  });

  it('keepAlive false sets no keep-alive option at all', async () => {
    const { tcp, address } = await listenTcp({ keepAlive: false });
    const { port } = address as { port: number };
    const { client } = await connectClient({ port, keepAlive: false });
    try {
      const [served] = [...tcp.connections] as [TcpTransport];
      const named = [
        ...served.socketOptionsReport.applied,
        ...served.socketOptionsReport.notApplied.map((n) => n.option),
      ];
      expect(named.filter((n) => n.includes('KEEP') || n === 'TCP_USER_TIMEOUT')).toEqual([]);
    } finally {
      await client.close();
      await tcp.close();
    }
  });

  it('never throws: a negative fd or a descriptor that is not a socket applies nothing', () => {
    const values = { keepAliveIdleMs: 1_000, keepAliveProbes: 3, sendBufferSize: 65_536 };
    for (const binding of [loadNativeBinding(), twinBinding]) {
      if (!binding) continue;
      expect(binding.setSocketOptions(-1, values)).toBe(0);
      const file = openSync(join(tmpdir(), `nmcp-sockopt-${process.pid}`), 'w');
      try {
        expect(binding.setSocketOptions(file, values)).toBe(0);
        const out = new Int32Array(6);
        binding.getSocketOptions(file, out);
        expect([...out]).toEqual([-1, -1, -1, -1, -1, -1]);
      } finally {
        closeSync(file);
      }
    }
    expect(SocketOptionBit).toEqual({
      KEEP_ALIVE_IDLE: 1,
      KEEP_ALIVE_INTERVAL: 2,
      KEEP_ALIVE_PROBES: 4,
      USER_TIMEOUT: 8,
      SEND_BUFFER_SIZE: 16,
      RECV_BUFFER_SIZE: 32,
    });
  });
});
