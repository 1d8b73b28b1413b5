import { describe, expect, it, vi } from 'vitest';
import type { McpClient } from '../../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../../src/errors.js';
import type { TcpTransport } from '../../../src/transport/tcp/connection.js';
import { McpClientPool } from '../../../src/transport/tcp/pool.js';
import { McpTcpServer } from '../../../src/transport/tcp/server.js';
import { listenTcp, testServer, text, until } from './helpers.js';

const FAST = { initialDelayMs: 10, maxDelayMs: 50 };

describe('McpClientPool', () => {
  it('opens connectionPoolSize connections and spreads concurrent calls over them (least in flight)', async () => {
    const { server, tcp, address, release } = await listenTcp();
    const { port } = address as { port: number };
    const pool = new McpClientPool({ transport: { port }, connectionPoolSize: 4, client: { negotiation: 'legacy' } });
    await pool.connect();
    try {
      expect(tcp.stats.active).toBe(4);
      expect(pool.stats).toMatchObject({ size: 4, connected: 4, inFlight: 0 });
      // 8 calls that stay open: least-in-flight puts exactly 2 on each connection.
      const calls = Array.from({ length: 8 }, () => pool.callTool({ name: 'wait', arguments: {} }));
      // Count on the server side: each connection's session runs 2 of the handlers.
      const perSession = () => [...server.sessions].map((x) => x.rpc.inFlightCount);
      await until(() => perSession().reduce((a, b) => a + b, 0) === 8);
      expect(perSession()).toEqual([2, 2, 2, 2]);
      expect(pool.stats.inFlight).toBe(8);
      release();
      expect((await Promise.all(calls)).map(text)).toEqual(Array(8).fill('released'));
      // Many quick calls all succeed.
      const many = await Promise.all(
        Array.from({ length: 100 }, (_, i) => pool.callTool({ name: 'echo', arguments: { text: String(i) } })),
      );
      expect(many.map(text)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
      expect((await pool.listTools()).map((t) => t.name).sort()).toEqual(['echo', 'wait']);
    } finally {
      await pool.close();
      await tcp.close();
    }
  });

  it('replaces a connection that was killed, and calls go on meanwhile', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const pool = new McpClientPool({
      transport: { port },
      connectionPoolSize: 3,
      client: { negotiation: 'legacy' },
      reconnect: { initialDelayMs: 300, maxDelayMs: 300 },
    });
    await pool.connect();
    // Jitter pinned near its top: the replacement comes ~300 ms after the death, a window to observe.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.99);
    try {
      const [victim] = [...tcp.connections] as [TcpTransport];
      victim.socket.destroy(); // the connection dies under the pool
      await until(() => pool.stats.connected === 2);
      // Calls go to the live ones while it is replaced.
      expect(text(await pool.callTool({ name: 'echo', arguments: { text: 'meanwhile' } }))).toBe('meanwhile');
      await until(() => pool.stats.connected === 3 && pool.stats.replaced === 1);
      expect(tcp.stats.accepted).toBe(4);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => pool.callTool({ name: 'echo', arguments: { text: `r${i}` } })),
      );
      expect(results.map(text)).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`));
    } finally {
      random.mockRestore();
      await pool.close();
      await tcp.close();
    }
  });

  it('pings a connection that has been idle for healthCheckIdleMs before reusing it, and only then', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const pool = new McpClientPool({
      transport: { port },
      connectionPoolSize: 1,
      healthCheckIdleMs: 60,
      client: { negotiation: 'legacy' },
    });
    await pool.connect();
    try {
      const [client] = pool.clients as [McpClient];
      const ping = vi.spyOn(client, 'ping');
      expect(text(await pool.callTool({ name: 'echo', arguments: { text: 'fresh' } }))).toBe('fresh');
      expect(ping).not.toHaveBeenCalled();
      await new Promise((r) => setTimeout(r, 100)); // idle past healthCheckIdleMs
      expect(text(await pool.callTool({ name: 'echo', arguments: { text: 'idle' } }))).toBe('idle');
      expect(ping).toHaveBeenCalledTimes(1);
      expect(ping.mock.calls[0]?.[0]).toEqual({ timeoutMs: 2_000 });
      expect(text(await pool.callTool({ name: 'echo', arguments: { text: 'busy' } }))).toBe('busy');
      expect(ping).toHaveBeenCalledTimes(1);
      expect(pool.stats.failedHealthChecks).toBe(0);
    } finally {
      await pool.close();
      await tcp.close();
    }
  });

  it('a health-check ping that times out replaces the connection (failedHealthChecks), and the call still succeeds', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const pool = new McpClientPool({
      transport: { port },
      connectionPoolSize: 2,
      healthCheckIdleMs: 30,
      healthCheckTimeoutMs: 80,
      client: { negotiation: 'legacy' },
      reconnect: FAST,
    });
    await pool.connect();
    try {
      // Both server sides stop reading: pings go unanswered.
      for (const c of tcp.connections) c.socket.pause();
      await new Promise((r) => setTimeout(r, 50));
      expect(text(await pool.callTool({ name: 'echo', arguments: { text: 'fresh' } }))).toBe('fresh');
      expect(pool.stats.failedHealthChecks).toBe(2); // both stalled connections were found out …
      expect(pool.stats.replaced).toBeGreaterThanOrEqual(1); // … and the call went over a replacement
    } finally {
      await pool.close();
      await tcp.close();
    }
  });

  it('connect() fails when no connection can be made; close() fails later calls', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    await tcp.close();
    const pool = new McpClientPool({ transport: { port }, connectionPoolSize: 2 });
    const err = (await pool.connect().catch((e: unknown) => e)) as NmcpError;
    expect(err.code).toBe(ErrorCode.CONNECT_FAILED);
    const call = (await pool.ping().catch((e: unknown) => e)) as NmcpError;
    expect(call.code).toBe(ErrorCode.CONNECTION_CLOSED);
  });

  it('validates its options', () => {
    const bad = [
      () => new McpClientPool({ transport: { port: 1 }, connectionPoolSize: 0 }),
      () => new McpClientPool({ transport: { port: 1, reconnect: true } as never }),
      () => new McpClientPool({ transport: { port: 1 }, reconnect: { tries: 1 } as never }),
      () => new McpClientPool({ transport: { port: 1 }, nope: 1 } as never),
      () => new McpClientPool({ transport: {} }),
    ];
    for (const make of bad) {
      expect(make).toThrow(NmcpError);
      try {
        make();
      } catch (e) {
        expect((e as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
      }
    }
    expect(new McpClientPool({ transport: { port: 1 } }).options.connectionPoolSize).toBe(20);
  });

  it('works against a second server started on the same port after the first went away', async () => {
    const first = await listenTcp();
    const { port } = first.address as { port: number };
    const pool = new McpClientPool({
      transport: { port },
      connectionPoolSize: 2,
      client: { negotiation: 'legacy' },
      reconnect: FAST,
    });
    await pool.connect();
    await first.tcp.close();
    await until(() => pool.stats.connected === 0);
    const { server } = testServer();
    const tcp2 = new McpTcpServer(server);
    await tcp2.listen({ port });
    try {
      expect(text(await pool.callTool({ name: 'echo', arguments: { text: 'back' } }))).toBe('back');
      await until(() => pool.stats.connected === 2);
    } finally {
      await pool.close();
      await tcp2.close();
    }
  });
});
