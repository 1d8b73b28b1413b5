/**
 * McpGateway over Unix-socket and Streamable HTTP upstreams (in-process servers): tools, prompts, resources (one URI
 * in both) and resource templates.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { McpGateway } from '../../src/gateway/mcp-gateway.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { ResourceTemplate } from '../../src/server/resources.js';
import { McpHttpServer } from '../../src/transport/http/server/http-server.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { McpTcpServer } from '../../src/transport/tcp/server.js';
import { text, until } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

function upstreamServer(name: string): McpServer {
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool('whoami', { inputSchema: { type: 'object' } }, () => ({
    content: [{ type: 'text', text: name }],
  }));
  server.registerResource('shared', 'mem://shared', { mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri, text: `shared from ${name}` }],
  }));
  server.registerResource('item', new ResourceTemplate(`mem://${name}/{id}`), { mimeType: 'text/plain' }, (uri, v) => ({
    contents: [{ uri, text: `${name} item ${String(v.id)}` }],
  }));
  // Logs before answering: over HTTP its answer becomes an SSE stream (the log line, then the response).
  server.registerTool('chatty', { inputSchema: { type: 'object' } }, (_args, ctx) => {
    ctx.log('info', 'about to answer');
    return { content: [{ type: 'text', text: `${name} after a log line` }] };
  });
  server.registerPrompt(
    'greet',
    { argsSchema: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] } },
    (args) => ({ messages: [{ role: 'user', content: { type: 'text', text: `${name} greets ${args.who}` } }] }),
  );
  return server;
}

describe('McpGateway upstream transports', () => {
  it('reaches a Unix-socket upstream and a Streamable HTTP one; a shared URI goes to the first', async () => {
    const unixServer = upstreamServer('over-unix');
    const httpServer = upstreamServer('over-http');
    const path = join(mkdtempSync(join(tmpdir(), 'nmcp-gw-')), 'u.sock');
    const tcp = new McpTcpServer(unixServer);
    await tcp.listen({ path });
    const http = new McpHttpServer(httpServer, { port: 0 });
    const url = await http.listen();
    const errors: Error[] = [];
    const gateway = new McpGateway({
      upstreams: [
        { name: 'h', http: { url } },
        { name: 'u', unix: { path } },
      ],
      onError: (e) => errors.push(e),
    });
    try {
      await gateway.start();
      expect(gateway.stats().upstreams.h?.state).toBe('connected');
      expect(gateway.stats().upstreams.u?.state).toBe('connected');
      const [a, b] = MemoryTransport.pair();
      await gateway.server.connect(b);
      const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
      await client.connect(a);
      expect((await client.listTools()).map((t) => t.name).sort()).toEqual([
        'h__chatty',
        'h__whoami',
        'u__chatty',
        'u__whoami',
      ]);
      expect(text(await client.callTool({ name: 'h__whoami' }))).toBe('over-http');
      expect(text(await client.callTool({ name: 'u__whoami' }))).toBe('over-unix');
      const resources = await client.listResources();
      expect(resources).toEqual([expect.objectContaining({ uri: 'mem://shared', name: 'h__shared' })]);
      const read = await client.readResource({ uri: 'mem://shared' });
      expect(read.contents[0]).toMatchObject({ text: 'shared from over-http' });
      expect(errors.map((e) => e.message)).toContain(
        'resource mem://shared is served by upstreams h and u: h (first in config order) serves it',
      );
      const templates = await client.listResourceTemplates();
      expect(templates.map((t) => [t.name, t.uriTemplate]).sort()).toEqual([
        ['h__item', 'mem://over-http/{id}'],
        ['u__item', 'mem://over-unix/{id}'],
      ]);
      const item = await client.readResource({ uri: 'mem://over-unix/42' });
      expect(item.contents[0]).toMatchObject({ uri: 'mem://over-unix/42', text: 'over-unix item 42' });
      expect(gateway.stats().upstreams.u?.resourceTemplates).toBe(1);
      const prompts = await client.listPrompts();
      expect(prompts.find((p) => p.name === 'u__greet')?.arguments).toEqual([{ name: 'who', required: true }]);
      const got = await client.getPrompt({ name: 'u__greet', arguments: { who: 'you' } });
      expect(got.messages[0]?.content).toMatchObject({ text: 'over-unix greets you' });
      await client.close();
    } finally {
      await gateway.close();
      await tcp.close();
      await http.close();
    }
  });

  it('forwards calls to a Streamable HTTP upstream as bytes (JSON and SSE answers); a lost session fails the call clearly, then recovers', async () => {
    const http = new McpHttpServer(upstreamServer('over-http'), { port: 0 });
    const url = await http.listen();
    const port = Number(new URL(url).port);
    const gateway = new McpGateway({
      upstreams: [{ name: 'h', http: { url } }],
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      onError: () => {},
    });
    const tcp = new McpTcpServer(gateway.server, { onConnection: (t) => gateway.attach(t) });
    let second: McpHttpServer | undefined;
    try {
      await gateway.start();
      const { port: gwPort } = (await tcp.listen({ port: 0 })) as { port: number };
      const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
      await client.connect(new TcpClientTransport({ port: gwPort }));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.callTool({ name: i % 2 ? 'h__chatty' : 'h__whoami' }).then(text)),
      );
      expect(results).toEqual(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? 'over-http after a log line' : 'over-http')),
      );
      const got = await client.getPrompt({ name: 'h__greet', arguments: { who: 'you' } });
      expect(got.messages[0]?.content).toMatchObject({ text: 'over-http greets you' });
      expect(gateway.stats().forwarder).toMatchObject({ forwarded: 21, answered: 21, failed: 0, pending: 0 });
      expect(gateway.stats().upstreams.h).toMatchObject({ calls: 21, failures: 0, breaker: 'closed' });
      // A new server on the same port knows nothing of the session: the POST gets 404, the call a clear error, and
      // the upstream connects again with a new session.
      await http.close();
      second = new McpHttpServer(upstreamServer('over-http-2'), { port });
      await second.listen();
      const lost = await client.callTool({ name: 'h__whoami' }).catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(McpError);
      expect((lost as McpError).code).toBe(-32603);
      expect((lost as McpError).message).toMatch(/^upstream h is unavailable: /);
      await until(
        () => gateway.stats().upstreams.h?.state === 'connected' && gateway.stats().upstreams.h?.connects === 2,
      );
      expect(text(await client.callTool({ name: 'h__whoami' }))).toBe('over-http-2');
      expect(gateway.stats().forwarder.pending).toBe(0);
      await client.close();
    } finally {
      await tcp.close();
      await gateway.close();
      await http.close();
      await second?.close();
    }
  });
});
