/** McpHost over Streamable HTTP: several servers on one port at /mcp/<name>, both eras, real sockets. */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { ErrorCode } from '../../src/errors.js';
import { McpHost } from '../../src/host/mcp-host.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/index.js';
import { httpClient, namedServer, text } from './helpers.js';

let host: McpHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe('McpHost.listenHttp', () => {
  it('serves each server at /mcp/<name> with its own tools, in both eras', async () => {
    host = new McpHost();
    host.addServer('a', namedServer('a'));
    host.addServer('b', () => namedServer('b'));
    const http = await host.listenHttp({ port: 0 });
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    for (const negotiation of ['legacy', 'auto'] as const) {
      const a = await httpClient(http.urlOf('a'), negotiation);
      const b = await httpClient(http.urlOf('b'), negotiation);
      try {
        expect(a.era).toBe(negotiation === 'legacy' ? 'legacy' : 'modern');
        expect((await a.listTools()).map((t) => t.name).sort()).toEqual(['a-tool', 'whoami']);
        expect((await b.listTools()).map((t) => t.name).sort()).toEqual(['b-tool', 'whoami']);
        expect(text(await a.callTool({ name: 'whoami', arguments: {} }))).toBe('a');
        expect(text(await b.callTool({ name: 'whoami', arguments: {} }))).toBe('b');
        expect(text(await b.callTool({ name: 'b-tool' }))).toBe('b-tool');
      } finally {
        await a.close();
        await b.close();
      }
    }
    // Every server's methods are routes of the shared registry, each under its own server id.
    const stats = host.stats();
    const routesOf = (name: string) => stats.servers[name]?.routes.map((r) => r.method);
    expect(routesOf('a')).toEqual(expect.arrayContaining(['initialize', 'tools/call', 'tools/list']));
    expect(routesOf('b')).toEqual(routesOf('a'));
    expect(stats.servers.a?.id).not.toBe(stats.servers.b?.id);
    expect(host.registry.routes().length).toBe((routesOf('a')?.length ?? 0) * 2);
  });

  it('answers 404 with a JSON-RPC error naming the known servers for an unknown name or path', async () => {
    host = new McpHost();
    host.addServer('a', namedServer('a'));
    host.addServer('b', namedServer('b'));
    const http = await host.listenHttp({ port: 0 });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    for (const path of ['/mcp/zzz', '/mcp', '/mcp/a/deeper', '/elsewhere']) {
      const res = await request(`${http.url.replace(/\/mcp$/, '')}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body,
      });
      expect(res.statusCode, path).toBe(404);
      const json = (await res.body.json()) as { error: { code: number; message: string; data: unknown } };
      expect(json.error.message).toContain('/mcp/a, /mcp/b');
      expect(json.error.data).toEqual({ servers: ['a', 'b'] });
    }
  });

  it('serves a server added after listen(), and refuses a bad name', async () => {
    host = new McpHost();
    const http = await host.listenHttp({ port: 0, basePath: '/x' });
    host.addServer('late_1', namedServer('late'));
    const client = await httpClient(http.urlOf('late_1'), 'auto');
    expect(text(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('late');
    await client.close();
    expect(() => host?.addServer('Bad/Name', namedServer('x'))).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    );
    expect(() => host?.addServer('late_1', namedServer('x'))).toThrow(/already hosted/);
    await expect(host.listenHttp({ port: 0, basePath: 'mcp/' })).rejects.toThrow(/basePath/);
  });

  it('removeServer answers the requests in flight on it (both eras) instead of leaving them hanging', async () => {
    host = new McpHost();
    const slow = new McpServer({ name: 'slow', version: '0' });
    slow.registerTool('hang', { inputSchema: { type: 'object' } }, (_args, ctx) => {
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    host.addServer('slow', slow);
    host.addServer('b', namedServer('b'));
    const http = await host.listenHttp({ port: 0 });
    const legacy = await httpClient(http.urlOf('slow'), 'legacy');
    const modern = await httpClient(http.urlOf('slow'), 'auto');
    const calls = [legacy, modern].map((c) =>
      c.callTool({ name: 'hang', arguments: {} }).then(() => 'answered', String),
    );
    await new Promise((r) => setTimeout(r, 100));
    await host.removeServer('slow');
    const outcomes = await Promise.all(calls);
    expect(outcomes[0]).toMatch(/session/i);
    expect(outcomes[1]).toMatch(/503|closed/);
    await legacy.close();
    await modern.close();
    const b = await httpClient(http.urlOf('b'), 'auto');
    expect(text(await b.callTool({ name: 'whoami', arguments: {} }))).toBe('b');
    await b.close();
  });

  it('serves h2c (HTTP/2 cleartext) the same way', async () => {
    host = new McpHost();
    host.addServer('a', namedServer('a'));
    const http = await host.listenHttp({ port: 0, http2: true });
    const client = new McpClient({ name: 'h2', version: '0' }, { negotiation: 'auto' });
    await client.connect(new StreamableHttpClientTransport(http.urlOf('a'), { httpVersion: '2' }));
    expect(text(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('a');
    await client.close();
  });
});
