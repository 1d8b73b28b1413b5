/**
 * The operations endpoints on the Streamable HTTP transport's own fastify server (McpHttpServer.addRoutes) and on a
 * listener of their own: /metrics scraped under traffic, /health turning 503 when a check fails (the memory limit set
 * low), /ready and requests refused while shedding load, /live, /info with the sessions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { HealthChecks } from '../../src/metrics/health.js';
import { MemoryMonitor } from '../../src/metrics/memory-monitor.js';
import { NmcpMetrics } from '../../src/metrics/nmcp-metrics.js';
import { listenOperations, registerOperationsRoutes } from '../../src/metrics/routes.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/transport.js';
import { McpHttpServer } from '../../src/transport/http/server/http-server.js';
import { sample } from './helpers.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const MiB = 1024 * 1024;

async function setup(memoryOptions: { memoryWarningBytes?: number; memoryShedBytes?: number } = {}) {
  const server = new McpServer({ name: 'ops', version: '1' });
  server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
    content: [{ type: 'text', text: String((args as { text?: unknown }).text) }],
  }));
  closers.push(() => server.close());
  const metrics = new NmcpMetrics({ defaultMetrics: false });
  closers.push(() => metrics.close());
  const memory = new MemoryMonitor({ warn: () => {}, ...memoryOptions });
  closers.push(() => memory.stop());
  memory.guard(server);
  const health = new HealthChecks({ memory });
  closers.push(() => health.close());
  metrics.observe(server);
  const http = new McpHttpServer(server, { port: 0 });
  metrics.observeListener(http);
  http.addRoutes((app) => registerOperationsRoutes(app, { metrics, health, memory }));
  const url = await http.listen();
  closers.push(() => http.close());
  const base = url.replace(/\/mcp$/, '');
  const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
  return { server, metrics, memory, base, url, client };
}

describe('operations endpoints', () => {
  it('/metrics under traffic on the MCP server’s own port; /health, /ready, /live answer 200; /info lists the session', async () => {
    const { base, url, client } = await setup();
    await client.connect(new StreamableHttpClientTransport(url));
    closers.push(() => client.close());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `${i}` } })),
    );
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(
      sample(text, 'nmcp_messages_total', {
        transport: 'http',
        direction: 'in',
        kind: 'request',
        method: 'tools/call',
      }),
    ).toBe(20);
    expect(sample(text, 'nmcp_message_duration_seconds_count', { transport: 'http', method: 'tools/call' })).toBe(20);
    expect(sample(text, 'nmcp_sessions', { transport: 'http' })).toBe(1);
    expect(sample(text, 'nmcp_connections', { transport: 'http' })).toBe(1);
    await Promise.all(Array.from({ length: 5 }, () => client.callTool({ name: 'echo', arguments: { text: 'more' } })));
    const again = await (await fetch(`${base}/metrics`)).text();
    expect(
      sample(again, 'nmcp_messages_total', {
        transport: 'http',
        direction: 'in',
        kind: 'request',
        method: 'tools/call',
      }),
    ).toBe(25);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(Object.keys(report.checks).sort()).toEqual(['eventLoop', 'memory', 'process', 'registry', 'transports']);
    expect(report.checks.memory?.status).toBe('ok');
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect(await (await fetch(`${base}/live`)).json()).toEqual({ live: true });
    const info = (await (await fetch(`${base}/info`)).json()) as {
      sessions: Record<string, number>;
      top: { byMessageRate: { transport: string; messagesIn: number; client?: string }[] };
      memory: { rss: number };
    };
    expect(info.sessions).toEqual({ http: 1 });
    expect(info.top.byMessageRate[0]).toMatchObject({ transport: 'http', client: 'c 0' });
    expect(info.top.byMessageRate[0]?.messagesIn).toBeGreaterThanOrEqual(27);
    expect(info.memory.rss).toBeGreaterThan(0);
  });

  it('/health answers 503 naming the memory check when RSS is over memoryWarningBytes', async () => {
    const { base } = await setup({ memoryWarningBytes: 1 * MiB });
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    const report = (await res.json()) as { status: string; checks: { memory: { status: string; detail: string } } };
    expect(report.status).toBe('fail');
    expect(report.checks.memory.status).toBe('fail');
    expect(report.checks.memory.detail).toMatch(/over memoryWarningBytes/);
  });

  it('over memoryShedBytes: requests are refused with a clear error, /ready is 503; back under, all is served again', async () => {
    const { base, url, client, memory } = await setup();
    await client.connect(new StreamableHttpClientTransport(url));
    closers.push(() => client.close());
    memory.updateOptions({ memoryShedBytes: 1 * MiB });
    expect(memory.shedding).toBe(true);
    const refused = await client.callTool({ name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(-32000);
    expect((refused as McpError).message).toMatch(/^server overloaded: memory use is over memoryShedBytes/);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health`)).status).toBe(503);
    memory.updateOptions({ memoryShedBytes: 0 });
    expect(memory.shedding).toBe(false);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'back' } })).content).toEqual([
      { type: 'text', text: 'back' },
    ]);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });

  it('listenOperations serves the same endpoints on a port of their own', async () => {
    const metrics = new NmcpMetrics({ defaultMetrics: false });
    const memory = new MemoryMonitor({ warn: () => {} });
    const health = new HealthChecks({ memory, transports: () => ({ ok: false, detail: 'not listening yet' }) });
    const ops = await listenOperations({ metrics, health, memory, ready: () => false }, { port: 0 });
    closers.push(
      () => ops.close(),
      () => health.close(),
      () => metrics.close(),
    );
    expect((await fetch(`${ops.url}/metrics`)).status).toBe(200);
    const res = await fetch(`${ops.url}/health`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { checks: { transports: { detail: string } } }).checks.transports.detail).toBe(
      'not listening yet',
    );
    expect(await (await fetch(`${ops.url}/ready`)).json()).toEqual({ ready: false, reason: 'starting' });
  });
});
