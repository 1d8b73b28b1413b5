import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type NmcpError } from '../../../src/errors.js';
import { TcpClientTransport } from '../../../src/transport/tcp/client-transport.js';
import type { TcpTransport } from '../../../src/transport/tcp/connection.js';
import { McpTcpServer } from '../../../src/transport/tcp/server.js';
import { connectClient, listenTcp, testServer, text, until } from './helpers.js';

/** Reads length-prefixed frames off a raw socket. */
function frames(socket: Socket): { list: unknown[] } {
  const out = { list: [] as unknown[] };
  let buf = Buffer.alloc(0);
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const n = buf.readUInt32BE(0);
      out.list.push(JSON.parse(buf.subarray(4, 4 + n).toString()));
      buf = buf.subarray(4 + n);
    }
  });
  return out;
}

function lp(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

describe('TCP limits', () => {
  it('maxConnections: one more connection gets an error frame naming the limit, is closed, and is counted', async () => {
    const refused: string[] = [];
    const { tcp, address } = await listenTcp({ maxConnections: 2, onRefused: (r) => refused.push(r) });
    const { port } = address as { port: number };
    const a = await connectClient({ port });
    const b = await connectClient({ port });
    try {
      // A raw socket sees the frame itself.
      const raw = connect({ port, host: '127.0.0.1' });
      const got = frames(raw);
      await once(raw, 'close');
      expect(got.list).toEqual([
        {
          jsonrpc: '2.0',
          id: null,
          error: {
            code: -32000,
            message: 'connection refused: the server is at maxConnections (2)',
            data: { reason: 'maxConnections', maxConnections: 2 },
          },
        },
      ]);
      // McpClient fails to connect, with NMCP_ERR_CONNECTION_LIMIT as the cause.
      const err = (await connectClient({ port }).catch((e: unknown) => e)) as NmcpError;
      expect(err.code).toBe(ErrorCode.CONNECTION_CLOSED);
      expect((err.cause as NmcpError).code).toBe(ErrorCode.CONNECTION_LIMIT);
      expect(err.message).toContain('maxConnections (2)');
      expect(tcp.stats).toEqual({ active: 2, accepted: 2, refused: 2 });
      expect(refused).toHaveLength(2);
      // Existing connections are untouched; a freed slot is usable again.
      expect(text(await a.client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
      await b.client.close();
      await until(() => tcp.stats.active === 1);
      const c = await connectClient({ port });
      expect(text(await c.client.callTool({ name: 'echo', arguments: { text: 'c' } }))).toBe('c');
      await c.client.close();
    } finally {
      await a.client.close();
      await tcp.close();
    }
  });

  it('maxConnections with ndjson framing: the refusal is one JSON line', async () => {
    const { tcp, address } = await listenTcp({ maxConnections: 1, framing: 'ndjson' });
    const { port } = address as { port: number };
    const a = await connectClient({ port, framing: 'ndjson' });
    try {
      const raw = connect({ port, host: '127.0.0.1' });
      let received = '';
      raw.on('data', (c: Buffer) => {
        received += c.toString();
      });
      await once(raw, 'close');
      expect(received.endsWith('\n')).toBe(true);
      expect(received.split('\n')).toHaveLength(2);
      expect(JSON.parse(received)).toMatchObject({ id: null, error: { code: -32000, data: { maxConnections: 1 } } });
      expect(tcp.stats.refused).toBe(1);
    } finally {
      await a.client.close();
      await tcp.close();
    }
  });

  it('listen() on a port in use rejects with EADDRINUSE, and the same server can then listen elsewhere', async () => {
    const { tcp, address } = await listenTcp();
    const { port } = address as { port: number };
    const other = new McpTcpServer(testServer().server);
    try {
      const err = (await other.listen({ port }).catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(err.code).toBe('EADDRINUSE');
      const again = (await other.listen({ port: 0 })) as { port: number };
      expect(again.port).not.toBe(port);
    } finally {
      await other.close();
      await tcp.close();
    }
  });

  it('listen() twice is NMCP_ERR_INVALID_STATE', async () => {
    const { tcp } = await listenTcp();
    try {
      const err = (await tcp.listen({ port: 0 }).catch((e: unknown) => e)) as NmcpError;
      expect(err.code).toBe(ErrorCode.INVALID_STATE);
    } finally {
      await tcp.close();
    }
  });

  it('connectTimeoutMs: a server that accepts the TCP connection but never finishes the TLS handshake', async () => {
    const silent = createServer(() => {}); // accepts, never answers the ClientHello
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    try {
      const err = (await connectClient({ port, tls: {}, connectTimeoutMs: 200 }).catch((e: unknown) => e)) as NmcpError;
      expect(err.code).toBe(ErrorCode.CONNECT_TIMEOUT);
      expect(err.message).toBe(`connecting to 127.0.0.1:${port} took longer than 200 ms (connectTimeoutMs)`);
    } finally {
      silent.close();
    }
  });

  it('connectTimeoutMs: a listening socket that never accepts (its backlog full), plain TCP', async () => {
    // A listener with backlog 0 that never calls accept(): once its queue is full the kernel drops further SYNs,
    // so a connect() neither succeeds nor fails.
    const py = spawn('python3', [
      '-c',
      'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)',
    ]);
    try {
      const [line] = (await once(py.stdout, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      // Fill the accept queue.
      const fillers = Array.from({ length: 4 }, () => connect({ port, host: '127.0.0.1' }).on('error', () => {}));
      await new Promise((r) => setTimeout(r, 100));
      const err = (await connectClient({ port, connectTimeoutMs: 300 }).catch((e: unknown) => e)) as NmcpError;
      expect(err.code).toBe(ErrorCode.CONNECT_TIMEOUT);
      for (const f of fillers) f.destroy();
    } finally {
      py.kill();
    }
  });

  it('backpressure: a peer that stops reading pauses our reading, keeps pending bytes bounded, and is cut off after sendTimeoutMs', async () => {
    const maxPendingBytes = 1024 * 1024;
    const reasons: (Error | undefined)[] = [];
    const { tcp, address } = await listenTcp({
      sendTimeoutMs: 400,
      maxPendingBytes,
      maxMessageSize: 256 * 1024, // the effective bound is max(maxPendingBytes, maxMessageSize + 4)
      sendBufferSize: 32 * 1024,
      recvBufferSize: 32 * 1024,
      onDisconnect: (_c, r) => reasons.push(r),
    });
    const { port } = address as { port: number };
    const raw = connect({ port, host: '127.0.0.1' });
    raw.on('error', () => {}); // the server resets us at the end
    await once(raw, 'connect');
    const got = frames(raw);
    raw.write(
      lp({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    );
    await until(() => got.list.length === 1);
    raw.write(lp({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    raw.pause(); // from now on we do not read: the server's replies pile up
    const [connection] = [...tcp.connections] as [TcpTransport];
    const big = 'x'.repeat(32 * 1024);
    let sent = 0;
    let maxPending = 0;
    let sawPaused = false;
    const sample = setInterval(() => {
      maxPending = Math.max(maxPending, connection.pendingBytes);
      sawPaused ||= connection.socket.isPaused();
    }, 2);
    // Write requests (each answered with ~32 KiB) until the server stops taking them or 64 MiB went out.
    for (let id = 1; sent < 64 * 1024 * 1024 && reasons.length === 0; id++) {
      const frame = lp({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: big } },
      });
      sent += frame.length;
      if (!raw.write(frame)) {
        const drained = await Promise.race([
          once(raw, 'drain').then(
            () => true,
            () => false, // reset by the server: it cut us off
          ),
          new Promise((r) => setTimeout(() => r(false), 1_000)),
        ]);
        if (!drained) break; // the server stopped reading: flow control
      }
    }
    await until(() => reasons.length === 1, 5_000);
    clearInterval(sample);
    expect(sawPaused).toBe(true);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(maxPendingBytes);
    // What the server read is bounded too: far less than the client tried to send.
    // (measured: ~3.8 MB sent, ~360 KB read, at most ~64 KB pending)
    expect(connection.socket.bytesRead).toBeLessThan(sent / 2);
    const reason = reasons[0] as NmcpError;
    expect(reason.code).toBe(ErrorCode.WRITE_TIMEOUT);
    expect(reason.message).toMatch(/did not read our output for 400 ms/);
    expect(tcp.stats.active).toBe(0);
    raw.destroy();
    await tcp.close();
  });

  it('backpressure on the client side: a server that stops reading makes send() refuse at maxPendingBytes, then sendTimeoutMs closes', async () => {
    const sockets: Socket[] = [];
    const deaf = createServer((socket) => {
      socket.pause(); // accepts, never reads
      socket.on('error', () => {});
      sockets.push(socket);
    });
    deaf.listen(0, '127.0.0.1');
    await once(deaf, 'listening');
    const { port } = deaf.address() as { port: number };
    const maxPendingBytes = 256 * 1024;
    const transport = new TcpClientTransport({
      port,
      sendTimeoutMs: 300,
      maxPendingBytes,
      maxMessageSize: 64 * 1024, // the effective bound is max(maxPendingBytes, maxMessageSize + 4)
      sendBufferSize: 16 * 1024,
      recvBufferSize: 16 * 1024,
    });
    const closed: (Error | undefined)[] = [];
    await transport.start({ message: () => {}, frameError: () => {}, closed: (r) => closed.push(r) });
    const message = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { data: 'z'.repeat(8 * 1024) },
    });
    let accepted = 0;
    let maxPending = 0;
    // Keep offering messages for a while: once the kernel buffers are full, the queue fills to the bound and stops.
    for (let round = 0; round < 200 && closed.length === 0; round++) {
      for (let i = 0; i < 16; i++) if (transport.send(message)) accepted++;
      maxPending = Math.max(maxPending, transport.connection?.pendingBytes ?? 0);
      await new Promise((r) => setTimeout(r, 1));
    }
    await until(() => closed.length === 1, 5_000);
    expect(maxPending).toBeLessThanOrEqual(maxPendingBytes);
    expect(accepted * message.length).toBeLessThan(200 * 16 * message.length); // some were refused: the queue is bounded
    const reason = closed[0] as NmcpError;
    expect(reason.code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect((reason.cause as NmcpError).code).toBe(ErrorCode.WRITE_TIMEOUT);
    expect(transport.send(message)).toBe(false);
    for (const s of sockets) s.destroy();
    deaf.close();
  });
});
