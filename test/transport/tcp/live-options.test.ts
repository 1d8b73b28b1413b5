/**
 * Dynamic configuration of a live connection (issue 6): StreamTransport.updateOptions under load — batching, limits
 * and timeouts changed over and over while pipelined requests flow — loses and duplicates nothing, and a bad value
 * is refused naming the key, the old options kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../../src/errors.js';
import { McpServer } from '../../../src/server/mcp-server.js';
import { TcpClientTransport } from '../../../src/transport/tcp/client-transport.js';
import type { TcpTransport } from '../../../src/transport/tcp/connection.js';
import { McpTcpServer } from '../../../src/transport/tcp/server.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function setup() {
  const server = new McpServer({ name: 'live', version: '1' });
  server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
    content: [{ type: 'text', text: String((args as { text?: unknown }).text) }],
  }));
  const connections: TcpTransport[] = [];
  const tcp = new McpTcpServer(server, { onConnection: (t) => connections.push(t) });
  const { port } = (await tcp.listen({ port: 0 })) as { port: number };
  closers.push(() => tcp.close());
  const errors: Error[] = [];
  const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy', onError: (e) => errors.push(e) });
  await client.connect(new TcpClientTransport({ port }));
  closers.push(() => client.close());
  const serverSide = connections[0] as TcpTransport;
  return { client, serverSide, errors };
}

describe('StreamTransport.updateOptions', () => {
  it('changes batching, limits and timeouts under load with zero lost or duplicated responses', async () => {
    const { client, serverSide, errors } = await setup();
    let changes = 0;
    let stop = false;
    const changer = (async () => {
      for (let i = 0; !stop; i++) {
        serverSide.updateOptions({
          batchSize: 1 + ((i * 37) % 200),
          batchMessages: i % 5 !== 0,
          maxMessagesPerTurn: (i * 7) % 65,
          bufferSize: 1024 * (1 + (i % 64)),
          readTimeoutMs: 1000 + i,
          writeTimeoutMs: 2000 + i,
        });
        changes++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const total = 3000;
    const seen: string[] = [];
    for (let batch = 0; batch < total / 100; batch++) {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client.callTool({ name: 'echo', arguments: { text: `m${batch * 100 + i}` } }),
        ),
      );
      for (const r of results) seen.push((r.content[0] as { text: string }).text);
    }
    stop = true;
    await changer;
    expect(changes).toBeGreaterThan(10);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
    expect(errors).toEqual([]); // an unexpected (duplicated) response would be reported here
  });

  it('refuses a bad value naming the key and keeps the old options; framing cannot change live', async () => {
    const { client, serverSide } = await setup();
    const before = serverSide.options;
    const err = (() => {
      try {
        serverSide.updateOptions({ batchSize: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
    expect((err as NmcpError).message).toMatch(/batchSize/);
    expect(() => serverSide.updateOptions({ framing: 'ndjson' })).toThrow(/framing cannot change on a live connection/);
    expect(serverSide.options).toBe(before);
    serverSide.updateOptions({ batchSize: 7 });
    expect(serverSide.options.batchSize).toBe(7);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'after' } })).content).toEqual([
      { type: 'text', text: 'after' },
    ]);
  });
});

describe('McpTcpServer.updateOptions', () => {
  it('changes every open connection under load from three clients (none lost or duplicated); new ones get it too', async () => {
    const server = new McpServer({ name: 'live', version: '1' });
    server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
      content: [{ type: 'text', text: String((args as { text?: unknown }).text) }],
    }));
    const tcp = new McpTcpServer(server);
    const { port } = (await tcp.listen({ port: 0 })) as { port: number };
    closers.push(() => tcp.close());
    const errors: Error[] = [];
    const clients: McpClient[] = [];
    for (let k = 0; k < 3; k++) {
      const c = new McpClient(
        { name: `c${k}`, version: '0' },
        { negotiation: 'legacy', onError: (e) => errors.push(e) },
      );
      await c.connect(new TcpClientTransport({ port }));
      closers.push(() => c.close());
      clients.push(c);
    }
    let stop = false;
    let changes = 0;
    const changer = (async () => {
      for (let i = 0; !stop; i++) {
        tcp.updateOptions({
          batchSize: 1 + ((i * 37) % 200),
          batchMessages: i % 5 !== 0,
          maxMessagesPerTurn: (i * 7) % 65,
          readTimeoutMs: 1000 + i,
          sendTimeoutMs: 2000 + i,
          maxConnections: 100 + i,
        });
        changes++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const seen = await Promise.all(
      clients.map(async (client, k) => {
        const out: string[] = [];
        for (let batch = 0; batch < 10; batch++) {
          const results = await Promise.all(
            Array.from({ length: 100 }, (_, i) =>
              client.callTool({ name: 'echo', arguments: { text: `${k}:${batch * 100 + i}` } }),
            ),
          );
          for (const r of results) out.push((r.content[0] as { text: string }).text);
        }
        return out;
      }),
    );
    stop = true;
    await changer;
    expect(changes).toBeGreaterThan(10);
    seen.forEach((out, k) => {
      expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => `${k}:${i}`));
    });
    expect(errors).toEqual([]);
    tcp.updateOptions({ batchSize: 9, readTimeoutMs: 4321 });
    expect(tcp.options).toMatchObject({ batchSize: 9, readTimeoutMs: 4321 });
    for (const c of tcp.connections) expect(c.options).toMatchObject({ batchSize: 9, readTimeoutMs: 4321 });
    const late = new McpClient({ name: 'late', version: '0' }, { negotiation: 'legacy' });
    await late.connect(new TcpClientTransport({ port }));
    closers.push(() => late.close());
    expect(tcp.connections.size).toBe(4);
    for (const c of tcp.connections) expect(c.options).toMatchObject({ batchSize: 9, readTimeoutMs: 4321 });
  });

  it('checks everything before changing anything: a bad value or a fixed key names the key, the old options stay', async () => {
    const tcp = new McpTcpServer(new McpServer({ name: 'live', version: '1' }));
    await tcp.listen({ port: 0 });
    closers.push(() => tcp.close());
    const before = tcp.options;
    const attempt = (update: object) => {
      try {
        tcp.updateOptions(update);
      } catch (e) {
        return e as NmcpError;
      }
      throw new Error('accepted');
    };
    expect(attempt({ batchSize: 0 }).message).toMatch(/batchSize/);
    expect(attempt({ maxConnections: -1 }).details).toMatchObject({ key: expect.stringContaining('maxConnections') });
    expect(attempt({ framing: 'ndjson' }).message).toMatch(/framing.*cannot change on a live server/);
    expect(attempt({ backlog: 10 }).code).toBe(ErrorCode.INVALID_OPTION);
    expect(attempt({ batchSise: 3 }).message).toMatch(/batchSise/);
    expect(tcp.options).toBe(before);
  });
});
