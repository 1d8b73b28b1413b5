/** McpHost over TCP / Unix / stdio, removeServer under traffic, and the registry following the connections. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { McpClient } from '../../src/client/mcp-client.js';
import { McpHost } from '../../src/host/mcp-host.js';
import { RouteRegistry } from '../../src/registry/route-registry.js';
import { httpClient, namedServer, tcpClient, text, until } from './helpers.js';

let host: McpHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const port = (address: unknown) => (address as { port: number }).port;

describe('McpHost.listenTcp', () => {
  it('binds one listener per server (TCP port, Unix socket, framing of its own)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-host-'));
    try {
      host = new McpHost();
      host.addServer('a', namedServer('a'));
      host.addServer('b', namedServer('b'));
      const ta = await host.listenTcp({ port: 0, server: 'a' });
      const tb = await host.listenTcp({ path: join(dir, 'b.sock'), server: 'b', framing: 'ndjson' });
      expect(tb.framing).toBe('ndjson');
      const a = await tcpClient({ port: port(ta.address) });
      const b = await tcpClient({ path: join(dir, 'b.sock'), framing: 'ndjson' }, 'auto');
      expect(text(await a.callTool({ name: 'whoami', arguments: {} }))).toBe('a');
      expect(text(await b.callTool({ name: 'whoami', arguments: {} }))).toBe('b');
      expect(host.tcpAddresses.map((t) => t.server)).toEqual(['a', 'b']);
      await a.close();
      await b.close();
      await expect(host.listenTcp({ port: 0, server: 'nope' })).rejects.toThrow(
        /no server named "nope" \(hosted: a, b\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('registry bindings follow the connections: bound while open, unregistered on close', async () => {
    const registry = new RouteRegistry();
    registry.registerServer(1); // a shared registry: the host skips ids already taken
    host = new McpHost({ registry });
    const idA = host.addServer('a', namedServer('a'));
    expect(idA).not.toBe(1);
    const tcp = await host.listenTcp({ port: 0, server: 'a' });
    const http = await host.listenHttp({ port: 0 });
    const open = () => host?.stats().servers.a?.connections.open ?? -1;
    expect(host.stats().servers.a?.connections).toEqual({ open: 0, total: 0, transports: [] });

    const c1 = await tcpClient({ port: port(tcp.address) });
    const c2 = await httpClient(http.urlOf('a'), 'legacy');
    expect(open()).toBe(2);
    const transports = host.stats().servers.a?.connections.transports ?? [];
    for (const t of transports) expect(registry.route(t, 'tools/call')).toEqual({ handler: expect.any(Number) });
    // The handler index is the method's index in the server's method list.
    const methods = host.server('a')?.methods ?? [];
    expect(registry.route(transports[0] as number, 'tools/call')).toEqual({ handler: methods.indexOf('tools/call') });

    await c1.close();
    await c2.close();
    await until(() => open() === 0);
    expect(host.stats().servers.a?.connections.total).toBe(2);
    // Closed connections are gone from the registry: their ids are unknown there now.
    for (const t of transports) expect(() => registry.registerTransport(t)).not.toThrow();

    // Modern HTTP: one session per request, each a registry transport for its lifetime.
    const m = await httpClient(http.urlOf('a'), 'auto');
    await m.callTool({ name: 'whoami', arguments: {} });
    await m.close();
    await until(() => open() === 0);
    expect(host.stats().servers.a?.connections.total).toBeGreaterThanOrEqual(3);
  });

  it('serves a server over stdio streams', async () => {
    host = new McpHost();
    host.addServer('a', namedServer('a'));
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const session = await host.serveStdio('a', { stdin, stdout });
    expect(host.stats().servers.a?.connections.open).toBe(1);
    const lines: string[] = [];
    stdout.setEncoding('utf8').on('data', (s: string) => lines.push(...s.split('\n').filter(Boolean)));
    stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '0' } } })}\n`,
    );
    await until(() => lines.length > 0);
    expect(JSON.parse(lines[0] as string).result.serverInfo.name).toBe('server-a');
    stdin.end();
    expect(await session.closed).toBeUndefined();
    await until(() => host?.stats().servers.a?.connections.open === 0);
  });
});

describe('McpHost.removeServer', () => {
  it('under traffic: the removed server’s clients see their connection end, the other server loses no response', async () => {
    host = new McpHost();
    host.addServer('a', namedServer('a'));
    host.addServer('b', () => namedServer('b'));
    const http = await host.listenHttp({ port: 0 });
    const tcpA = await host.listenTcp({ port: 0, server: 'a' });
    const tcpB = await host.listenTcp({ port: 0, server: 'b' });
    const clientsA: McpClient[] = [
      await tcpClient({ port: port(tcpA.address) }),
      await httpClient(http.urlOf('a'), 'legacy'),
    ];
    const clientsB: McpClient[] = [
      await tcpClient({ port: port(tcpB.address) }),
      await httpClient(http.urlOf('b'), 'legacy'),
      await httpClient(http.urlOf('b'), 'auto'),
    ];
    let running = true;
    let answered = 0;
    const failures: unknown[] = [];
    const loops = clientsB.map(async (client) => {
      while (running) {
        try {
          const r = await client.callTool({ name: 'whoami', arguments: {} });
          if (text(r) !== 'b') failures.push(text(r));
          answered++;
        } catch (err) {
          failures.push(err);
        }
      }
    });
    // Traffic on `a` too, which the removal cuts.
    const aTraffic = clientsA.map(async (client) => {
      const errors: unknown[] = [];
      for (let i = 0; i < 100_000 && errors.length === 0; i++) {
        await client.callTool({ name: 'whoami', arguments: {} }).catch((err: unknown) => errors.push(err));
      }
      return errors;
    });
    await until(() => answered >= 30);
    await host.removeServer('a');
    const before = answered;
    await until(() => answered >= before + 30);
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    // Every `a` client got an error (a closed connection, or an expired HTTP session), none hung.
    const aErrors = (await Promise.all(aTraffic)).flat() as Error[];
    expect(aErrors.length).toBe(2);
    expect(aErrors.map((e) => e.message).join('\n')).toMatch(/removed from the host|Session not found|closed/);
    expect(host.names).toEqual(['b']);
    expect(host.stats().servers.a).toBeUndefined();
    expect(host.registry.routes().every((r) => r.server === host?.stats().servers.b?.id)).toBe(true);
    // Its HTTP path now answers 404, and its TCP port is closed.
    await expect(httpClient(http.urlOf('a'))).rejects.toThrow();
    await expect(tcpClient({ port: port(tcpA.address), connectTimeoutMs: 1000 })).rejects.toThrow();
    for (const c of [...clientsA, ...clientsB]) await c.close();
    await until(() => host?.stats().servers.b?.connections.open === 0);
  });
});
