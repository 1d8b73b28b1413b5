import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../../src/errors.js';
import { activeCore } from '../../../src/native/index.js';
import { TcpClientTransport } from '../../../src/transport/tcp/client-transport.js';
import type { TcpTransport } from '../../../src/transport/tcp/connection.js';
import { McpTcpServer } from '../../../src/transport/tcp/server.js';
import { selfSignedCertificate } from '../../helpers/tls.js';
import { connectClient, listenTcp, tempDir, testServer, text, until } from './helpers.js';

describe('TCP transport: server and client', () => {
  for (const framing of ['length-prefixed', 'ndjson'] as const) {
    it(`serves McpClient over TCP with ${framing} framing`, async () => {
      const { tcp, address } = await listenTcp({ framing });
      const { port } = address as { port: number };
      const { client, transport } = await connectClient({ port, framing });
      try {
        expect(client.serverInfo?.name).toBe('tcp-test');
        const tools = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(['echo', 'wait']);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `m${i}` } })),
        );
        expect(results.map(text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
        expect(transport.kind).toBe('tcp');
        expect(tcp.stats).toEqual({ active: 1, accepted: 1, refused: 0 });
      } finally {
        await client.close();
        await tcp.close();
      }
    });
  }

  it('speaks the framing on the wire: a raw socket sees a 4-byte big-endian length, then the JSON', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const { connect } = await import('node:net');
    const socket = connect({ port, host: '127.0.0.1' });
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    socket.write(Buffer.concat([header, body]));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await until(
      () =>
        Buffer.concat(chunks).length >= 4 && Buffer.concat(chunks).length >= 4 + Buffer.concat(chunks).readUInt32BE(0),
    );
    const got = Buffer.concat(chunks);
    const n = got.readUInt32BE(0);
    expect(JSON.parse(got.subarray(4, 4 + n).toString())).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    socket.destroy();
    await tcp.close();
  });

  it.skipIf(process.platform === 'win32')('serves over a Unix domain socket', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'mcp.sock');
    const { tcp, address } = await listenTcp({}, { path });
    try {
      expect(address).toEqual({ path });
      const { client, transport } = await connectClient({ path });
      expect(transport.kind).toBe('unix');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'over unix' } }))).toBe('over unix');
      // A Unix socket takes no TCP options: neither applied nor reported missing.
      const names = [
        ...(transport.socketOptionsReport?.applied ?? []),
        ...(transport.socketOptionsReport?.notApplied ?? []).map((n) => n.option),
      ];
      expect(names.filter((n) => n.startsWith('TCP_'))).toEqual([]);
      await client.close();
    } finally {
      await tcp.close();
      tmp.remove();
    }
  });

  describe('TLS', () => {
    let key: Buffer;
    let cert: Buffer;
    beforeAll(() => {
      ({ key, cert } = selfSignedCertificate());
    });

    it('serves over TLS to a client that trusts the certificate', async () => {
      const { tcp, address } = await listenTcp({ tls: { key, cert } });
      const { port } = address as { port: number };
      try {
        const { client, transport } = await connectClient({ port, tls: { ca: cert } });
        expect(transport.kind).toBe('tls');
        expect(transport.connection?.socket.constructor.name).toBe('TLSSocket');
        expect(text(await client.callTool({ name: 'echo', arguments: { text: 'secret' } }))).toBe('secret');
        const [served] = [...tcp.connections] as [TcpTransport];
        expect(served.kind).toBe('tls');
        // Socket options reach the TCP socket under TLS too (the TLS socket's handle carries the descriptor).
        for (const report of [served.socketOptionsReport, transport.socketOptionsReport]) {
          expect(report?.applied).toContain('TCP_NODELAY');
          if (activeCore().kind === 'native' && process.platform === 'linux') {
            expect(report?.applied).toContain('TCP_KEEPINTVL');
          }
        }
        await client.close();
      } finally {
        await tcp.close();
      }
    });

    it('maxConnections over TLS: the refusal frame arrives after the handshake, and the client names the limit', async () => {
      const { tcp, address } = await listenTcp({ tls: { key, cert }, maxConnections: 1 });
      const { port } = address as { port: number };
      try {
        const first = await connectClient({ port, tls: { ca: cert } });
        const err = (await connectClient({ port, tls: { ca: cert } }).catch((e: unknown) => e)) as NmcpError;
        expect((err.cause as NmcpError).code).toBe(ErrorCode.CONNECTION_LIMIT);
        expect(tcp.stats.refused).toBe(1);
        await first.client.close();
      } finally {
        await tcp.close();
      }
    });

    it('a client that does not trust the certificate fails with NMCP_ERR_CONNECT_FAILED', async () => {
      const { tcp, address } = await listenTcp({ tls: { key, cert } });
      const { port } = address as { port: number };
      try {
        const err = await connectClient({ port, tls: {} }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NmcpError);
        expect((err as NmcpError).code).toBe(ErrorCode.CONNECT_FAILED);
        expect((err as NmcpError).message).toMatch(/TLS.*self[- ]signed/i);
      } finally {
        await tcp.close();
      }
    });
  });

  it('idleTimeoutMs closes a connection that carries nothing, with NMCP_ERR_IDLE_TIMEOUT', async () => {
    const reasons: (Error | undefined)[] = [];
    const { tcp, address } = await listenTcp({ idleTimeoutMs: 150, onDisconnect: (_c, r) => reasons.push(r) });
    const { port } = address as { port: number };
    const { client } = await connectClient({ port });
    let closedWith: Error | undefined | null = null;
    client.onclose = (r) => {
      closedWith = r;
    };
    await until(() => reasons.length === 1);
    expect((reasons[0] as NmcpError).code).toBe(ErrorCode.IDLE_TIMEOUT);
    await until(() => closedWith !== null);
    expect(client.connected).toBe(false);
    await tcp.close();
  });

  it('connecting to a port nobody listens on fails with NMCP_ERR_CONNECT_FAILED naming the address', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    await tcp.close();
    const err = await connectClient({ port }).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECT_FAILED);
    expect((err as NmcpError).message).toContain(`127.0.0.1:${port}`);
    expect((err as NmcpError).details.errno).toBe('ECONNREFUSED');
  });
});

describe('TCP options are validated', () => {
  const { server } = testServer();
  const bad: [string, () => unknown, RegExp][] = [
    ['unknown key', () => new McpTcpServer(server, { nope: 1 } as never), /McpTcpServer\.nope is not a known option/],
    [
      'writeTimeoutMs is sendTimeoutMs here',
      () => new McpTcpServer(server, { writeTimeoutMs: 1 } as never),
      /called sendTimeoutMs/,
    ],
    [
      'bad framing',
      () => new McpTcpServer(server, { framing: 'xml' } as never),
      /McpTcpServer\.framing must be one of/,
    ],
    [
      'maxConnections 0',
      () => new McpTcpServer(server, { maxConnections: 0 }),
      /McpTcpServer\.maxConnections must be an integer from 1/,
    ],
    ['keepAliveProbes 1000', () => new McpTcpServer(server, { keepAliveProbes: 1000 }), /keepAliveProbes/],
    [
      'noDelay as a string',
      () => new McpTcpServer(server, { noDelay: 'yes' } as never),
      /McpTcpServer\.noDelay must be a boolean/,
    ],
    [
      'onDisconnect not a function',
      () => new McpTcpServer(server, { onDisconnect: 1 } as never),
      /onDisconnect must be a function/,
    ],
    ['not a server', () => new McpTcpServer({} as never), /McpTcpServer\.server must be an McpServer/],
    ['client port missing', () => new TcpClientTransport({}), /TcpClientTransport\.port must be an integer/],
    ['client port and path', () => new TcpClientTransport({ port: 1, path: '/x' }), /excludes host and port/],
    [
      'client sendTimeoutMs -1',
      () => new TcpClientTransport({ port: 1, sendTimeoutMs: -1 }),
      /sendTimeoutMs must be an integer/,
    ],
    [
      'client backlog (a server option)',
      () => new TcpClientTransport({ port: 1, backlog: 5 } as never),
      /TcpClientTransport\.backlog is not a known option/,
    ],
    [
      'reconnect as a number',
      () => new TcpClientTransport({ port: 1, reconnect: 5 as never }),
      /TcpClientTransport\.reconnect must be/,
    ],
    [
      'reconnect with an unknown key',
      () => new TcpClientTransport({ port: 1, reconnect: { tries: 3 } as never }),
      /reconnect\.tries is not a known option/,
    ],
    [
      'reconnect maxDelayMs < initialDelayMs',
      () => new TcpClientTransport({ port: 1, reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }),
      /maxDelayMs \(100\) must be at least initialDelayMs/,
    ],
  ];
  for (const [name, make, message] of bad) {
    it(name, () => {
      let thrown: unknown;
      try {
        make();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(NmcpError);
      expect((thrown as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
      expect((thrown as NmcpError).message).toMatch(message);
    });
  }

  it('defaults are the seed values', () => {
    const tcp = new McpTcpServer(server);
    expect(tcp.options).toMatchObject({
      framing: 'length-prefixed',
      noDelay: true,
      keepAlive: true,
      keepAliveIntervalMs: 30_000,
      keepAliveProbes: 3,
      keepAliveTimeoutMs: 9_000,
      sendBufferSize: 131_072,
      recvBufferSize: 131_072,
      backlog: 4_096,
      maxConnections: 10_000,
      sendTimeoutMs: 30_000,
      idleTimeoutMs: 0,
    });
    const client = new TcpClientTransport({ port: 1 });
    expect(client.options.connectTimeoutMs).toBe(5_000);
    expect(client.reconnectPolicy).toBeUndefined();
    expect(new TcpClientTransport({ port: 1, reconnect: true }).reconnectPolicy).toEqual({
      initialDelayMs: 100,
      maxDelayMs: 30_000,
      maxAttempts: 10,
    });
  });
});
