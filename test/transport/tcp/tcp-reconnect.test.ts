import { describe, expect, it } from 'vitest';
import { McpClient } from '../../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../../src/errors.js';
import { TcpClientTransport } from '../../../src/transport/tcp/client-transport.js';
import { backoffDelay } from '../../../src/transport/tcp/reconnect.js';
import { McpTcpServer } from '../../../src/transport/tcp/server.js';
import { listenTcp, testServer, text, until } from './helpers.js';

const FAST = { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 50 };

describe('backoff', () => {
  it('is full jitter over a capped exponential', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 0 };
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(policy, n, () => 0.999_999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(200);
  });
});

describe('TcpClientTransport reconnect', () => {
  it('after a server restart: in-flight requests fail at once with a clear error, the handshake is redone, later calls work', async () => {
    const first = await listenTcp();
    const { port } = first.address as { port: number };
    const transport = new TcpClientTransport({ port, reconnect: FAST });
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    await client.connect(transport);
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'before' } }))).toBe('before');

    const inFlight = client.callTool({ name: 'wait', arguments: {} }).catch((e: unknown) => e);
    await until(() => first.server.sessions.size === 1 && [...first.tcp.connections][0]?.pendingBytes === 0);
    await new Promise((r) => setTimeout(r, 20)); // the wait request has reached the server
    await first.tcp.close(); // the server goes away
    await first.server.close();
    const err = (await inFlight) as NmcpError;
    expect(err).toBeInstanceOf(NmcpError);
    expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(err.message).toMatch(new RegExp(`connection to 127\\.0\\.0\\.1:${port} was lost.*reconnecting`));
    expect(err.details.reconnecting).toBe(true);
    expect(client.connected).toBe(false);
    expect(transport.reconnecting).toBe(true);

    // A call made while the server is down waits for the reconnect (within its timeout).
    const during = client.callTool({ name: 'echo', arguments: { text: 'during' } });
    await new Promise((r) => setTimeout(r, 100));

    // The server comes back on the same port (a new process, in effect: a new McpServer).
    const { server: second, release } = testServer();
    let initialized = 0;
    const tcp2 = new McpTcpServer(second, {
      onConnection: () => {
        initialized++;
      },
    });
    await tcp2.listen({ port });
    try {
      expect(text(await during)).toBe('during');
      await until(() => client.connected);
      expect(initialized).toBe(1);
      // The new server session was initialized by the client (it answers tools/call only after initialize).
      const [session] = [...second.sessions];
      expect(session?.clientInfo?.name).toBe('c');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');
      expect(transport.stats).toMatchObject({ connects: 2, losses: 1 });
      release();
    } finally {
      await client.close();
      await tcp2.close();
    }
  });

  it('gives up after maxAttempts: the client closes with an error that says so', async () => {
    const first = await listenTcp();
    const { port } = first.address as { port: number };
    const transport = new TcpClientTransport({
      port,
      reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 3 },
    });
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    let closedWith: Error | undefined;
    let closed = false;
    client.onclose = (r) => {
      closed = true;
      closedWith = r;
    };
    await client.connect(transport);
    await first.tcp.close();
    await until(() => closed);
    expect((closedWith as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(closedWith?.message).toMatch(/was lost and 3 reconnect attempts failed; the last: could not connect/);
    expect(transport.stats.failedAttempts).toBe(3);
    const err = (await client
      .callTool({ name: 'echo', arguments: { text: 'x' } })
      .catch((e: unknown) => e)) as NmcpError;
    expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
  });

  it('without reconnect (the default) a lost connection closes the client', async () => {
    const first = await listenTcp();
    const { port } = first.address as { port: number };
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    await client.connect(new TcpClientTransport({ port }));
    const inFlight = client.callTool({ name: 'wait', arguments: {} }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await first.tcp.close();
    const err = (await inFlight) as NmcpError;
    expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(err.message).toMatch(/was lost \(the server closed it\); not reconnecting \(reconnect is off\)/);
    await until(() => !client.connected);
  });

  it('the modern era reconnects too: server/discover is redone on the new connection', async () => {
    const first = await listenTcp();
    const { port } = first.address as { port: number };
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'auto' });
    await client.connect(new TcpClientTransport({ port, reconnect: FAST }));
    expect(client.era).toBe('modern');
    await first.tcp.close();
    await until(() => !client.connected);
    const { server: second } = testServer();
    const tcp2 = new McpTcpServer(second);
    await tcp2.listen({ port });
    try {
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'modern again' } }))).toBe('modern again');
      expect(client.era).toBe('modern');
    } finally {
      await client.close();
      await tcp2.close();
    }
  });
});
