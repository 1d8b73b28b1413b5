/**
 * McpGateway with its data plane: downstream clients over TCP (McpTcpServer with `gateway.attach`), a stdio and a TCP
 * upstream (the everything example). Calls are forwarded as bytes — the forwarder's counters say so — and answer as
 * the control plane would; a modern-era client, and a call asking for progress, go through the control plane; an
 * upstream that dies fails only its pending calls.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { McpGateway } from '../../src/gateway/mcp-gateway.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { McpTcpServer } from '../../src/transport/tcp/server.js';
import { cli, serveTcp, stop, type TcpUpstreamProcess, text, until } from './helpers.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let upstreamB: TcpUpstreamProcess;
let gateway: McpGateway;
let tcp: McpTcpServer;
let port: number;
const clients: McpClient[] = [];

async function downstream(negotiation: 'legacy' | 'auto' = 'legacy'): Promise<McpClient> {
  const client = new McpClient({ name: 'downstream', version: '0' }, { negotiation });
  await client.connect(new TcpClientTransport({ port }));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  upstreamB = await serveTcp();
  gateway = new McpGateway({
    upstreams: [
      { name: 'a', stdio: { command: process.execPath, args: [cli, 'serve', '--stdio', '--example', 'everything'] } },
      { name: 'b', tcp: { port: upstreamB.port } },
    ],
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    onError: () => {},
  });
  await gateway.start();
  tcp = new McpTcpServer(gateway.server, { onConnection: (t) => gateway.attach(t) });
  ({ port } = (await tcp.listen({ port: 0 })) as { port: number });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await tcp?.close();
  await gateway?.close();
  if (upstreamB) await stop(upstreamB.child);
});

describe('McpGateway data plane', () => {
  it('forwards legacy-era calls as bytes to the right upstream', async () => {
    const c = await downstream();
    const before = gateway.stats().forwarder.forwarded;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        c.callTool({ name: i % 2 ? 'b__echo' : 'a__echo', arguments: { text: `m${i}` } }).then(text),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    const stats = gateway.stats().forwarder;
    expect(stats.forwarded - before).toBe(40);
    expect(stats.pending).toBe(0);
    // tools/list is the control plane's (namespaced, merged).
    const names = (await c.listTools()).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['a__echo', 'b__echo']));
  });

  it('a modern-era client and a call asking for progress take the control plane, with the same answers', async () => {
    const modern = await downstream('auto');
    expect(modern.era).toBe('modern');
    const before = gateway.stats().forwarder.forwarded;
    expect(text(await modern.callTool({ name: 'b__echo', arguments: { text: 'new era' } }))).toBe('new era');
    const legacy = await downstream();
    const progress: number[] = [];
    const r = await legacy.callTool(
      { name: 'a__echo', arguments: { text: 'with progress' } },
      { onProgress: (p) => progress.push(p.progress) },
    );
    expect(text(r)).toBe('with progress');
    expect(gateway.stats().forwarder.forwarded).toBe(before);
  });

  it('the route table changes live (cache on/off, cap, TTL) under forwarded load: none lost, none duplicated', async () => {
    const c = await downstream();
    const before = gateway.stats();
    let stop = false;
    let changes = 0;
    const changer = (async () => {
      for (let i = 0; !stop; i++) {
        gateway.updateRouteConfig({ enableRouteCache: i % 3 !== 0, maxCacheEntries: 1 + (i % 4), cacheTtlMs: 1 + i });
        changes++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const seen: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          c.callTool({ name: i % 2 ? 'b__echo' : 'a__echo', arguments: { text: `r${batch * 40 + i}` } }).then(text),
        ),
      );
      seen.push(...results);
    }
    stop = true;
    await changer;
    expect(changes).toBeGreaterThan(5);
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => `r${i}`));
    const after = gateway.stats();
    expect(after.forwarder.forwarded - before.forwarder.forwarded).toBe(400);
    expect(after.forwarder.answered - before.forwarder.answered).toBe(400);
    expect(after.routes.lookups).toBeGreaterThan(before.routes.lookups);
  });

  it('a forwarded call past requestTimeoutMs gets -32001; timeouts open the breaker, which then refuses at once', async () => {
    const g = new McpGateway({
      upstreams: [{ name: 'c', tcp: { port: upstreamB.port } }],
      requestTimeoutMs: 300,
      breaker: { failureThreshold: 2, openDurationMs: 60_000 },
      onError: () => {},
    });
    const server = new McpTcpServer(g.server, { onConnection: (t) => g.attach(t) });
    try {
      await g.start();
      const address = (await server.listen({ port: 0 })) as { port: number };
      const client = new McpClient({ name: 'downstream', version: '0' }, { negotiation: 'legacy' });
      await client.connect(new TcpClientTransport({ port: address.port }));
      // An answer, even an isError one, closes the count of failures.
      expect(text(await client.callTool({ name: 'c__echo', arguments: { text: 'ok' } }))).toBe('ok');
      const started = Date.now();
      const errors = await Promise.all(
        [0, 1].map((i) =>
          client.callTool({ name: 'c__slow', arguments: { ms: 2_000 + i } }, { timeoutMs: 10_000 }).catch((e) => e),
        ),
      );
      expect(Date.now() - started).toBeLessThan(1_900); // answered by the gateway's timeout, not the tool
      for (const e of errors) {
        expect(e).toBeInstanceOf(McpError);
        expect((e as McpError).code).toBe(-32001);
        expect((e as McpError).message).toBe('upstream c did not answer within 300 ms');
      }
      const stats = g.stats();
      expect(stats.forwarder).toMatchObject({ forwarded: 3, answered: 1, timedOut: 2, failed: 2, pending: 0 });
      expect(stats.upstreams.c).toMatchObject({ breaker: 'open', calls: 3, failures: 2 });
      // Open: the data plane leaves the call to the control plane, which refuses it at once.
      const refused = await client.callTool({ name: 'c__echo', arguments: { text: 'x' } }).catch((e) => e);
      expect((refused as McpError).message).toMatch(/^upstream c: circuit open, retry after \d+ ms$/);
      expect(g.stats().forwarder.forwarded).toBe(3);
      // The slow tool's late answers (the upstream was told to cancel) are dropped, not delivered twice.
      await new Promise((r) => setTimeout(r, 2_200));
      expect(g.stats().forwarder).toMatchObject({ answered: 1, pending: 0 });
      await client.close();
    } finally {
      await server.close();
      await g.close();
    }
  });

  it('an upstream that dies fails only its pending calls; the other upstream keeps forwarding', async () => {
    const c = await downstream();
    const pending = c.callTool({ name: 'b__slow', arguments: { ms: 10_000 } });
    await until(() => gateway.stats().forwarder.pending === 1);
    const failed = expect(pending).rejects.toThrow(/upstream b is unavailable/);
    await stop(upstreamB.child);
    await failed;
    expect(text(await c.callTool({ name: 'a__echo', arguments: { text: 'still here' } }))).toBe('still here');
    expect(gateway.stats().forwarder.failed).toBeGreaterThanOrEqual(1);
  });
});
