/**
 * NmcpMetrics under real traffic: an McpServer over TCP, clients making calls, the registry scraped as Prometheus text;
 * the counters move by exactly what was sent (requests, replies, errors by code, durations, bytes, sessions and
 * connections), a closed connection's counters stay, an unknown method is labelled `other`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { NmcpMetrics } from '../../src/metrics/nmcp-metrics.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { McpTcpServer } from '../../src/transport/tcp/server.js';
import { sample, scrape } from './helpers.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function echoServer(): McpServer {
  const server = new McpServer({ name: 'metrics', version: '1' });
  server.registerTool('echo', { inputSchema: { type: 'object' } }, (args) => ({
    content: [{ type: 'text', text: String((args as { text?: unknown }).text) }],
  }));
  server.registerTool('fails', { inputSchema: { type: 'object' } }, () => {
    throw new McpError(-32042, 'deliberate');
  });
  return server;
}

async function setup(metrics = new NmcpMetrics({ defaultMetrics: false })) {
  const server = echoServer();
  closers.push(() => server.close());
  const tcp = new McpTcpServer(server);
  const { port } = (await tcp.listen({ port: 0 })) as { port: number };
  closers.push(() => tcp.close());
  closers.push(() => metrics.close());
  metrics.observe(server);
  metrics.observeListener(tcp);
  const connect = async () => {
    const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
    await client.connect(new TcpClientTransport({ port }));
    closers.push(() => client.close());
    return client;
  };
  return { metrics, server, tcp, connect };
}

describe('NmcpMetrics', () => {
  it('counts what a client sends and receives, by transport, direction, kind and method', async () => {
    const { metrics, connect } = await setup();
    const client = await connect();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `${i}` } })),
    );
    await expect(client.callTool({ name: 'fails', arguments: {} })).rejects.toThrow('deliberate');
    await expect(client.request('no/such-method', {})).rejects.toThrow(/Method not found/);
    const text = await scrape(metrics);
    const m = (labels: Record<string, string>) => sample(text, 'nmcp_messages_total', { transport: 'tcp', ...labels });
    expect(m({ direction: 'in', kind: 'request', method: 'tools/call' })).toBe(51);
    expect(m({ direction: 'out', kind: 'response', method: 'tools/call' })).toBe(50);
    expect(m({ direction: 'out', kind: 'error', method: 'tools/call' })).toBe(1);
    expect(m({ direction: 'in', kind: 'request', method: 'initialize' })).toBe(1);
    expect(m({ direction: 'in', kind: 'notification', method: 'notifications/initialized' })).toBe(1);
    // An invented method is not a label value of its own.
    expect(m({ direction: 'in', kind: 'request', method: 'other' })).toBe(1);
    expect(text).not.toContain('no/such-method');
    expect(sample(text, 'nmcp_errors_total', { transport: 'tcp', code: '-32042' })).toBe(1);
    expect(sample(text, 'nmcp_errors_total', { transport: 'tcp', code: '-32601' })).toBe(1);
    const count = sample(text, 'nmcp_message_duration_seconds_count', { transport: 'tcp', method: 'tools/call' });
    expect(count).toBe(51);
    expect(
      sample(text, 'nmcp_message_duration_seconds_bucket', { transport: 'tcp', method: 'tools/call', le: '+Inf' }),
    ).toBe(51);
    expect(sample(text, 'nmcp_sessions', { transport: 'tcp' })).toBe(1);
    expect(sample(text, 'nmcp_connections', { transport: 'tcp' })).toBe(1);
    expect(sample(text, 'nmcp_bytes_total', { transport: 'tcp', direction: 'in' })).toBeGreaterThan(50 * 60);
    expect(sample(text, 'nmcp_bytes_total', { transport: 'tcp', direction: 'out' })).toBeGreaterThan(50 * 60);
    expect(sample(text, 'nmcp_batch_size_count', { transport: 'tcp' })).toBeGreaterThan(0);
    // Every reply went out in some write: initialize, 50 results, 2 errors.
    expect(sample(text, 'nmcp_batch_size_sum', { transport: 'tcp' })).toBe(53);
    expect(sample(text, 'nmcp_core_info', { core: expect.stringMatching(/^(native|twin)$/) })).toBe(1);
  });

  it('keeps a closed connection’s counters; the gauges go down; a second scrape moves by the new traffic only', async () => {
    const { metrics, connect } = await setup();
    const a = await connect();
    await a.callTool({ name: 'echo', arguments: { text: 'x' } });
    const before = await scrape(metrics);
    const bytesIn = sample(before, 'nmcp_bytes_total', { transport: 'tcp', direction: 'in' }) as number;
    await a.close();
    const b = await connect();
    await Promise.all(Array.from({ length: 10 }, () => b.callTool({ name: 'echo', arguments: { text: 'y' } })));
    const after = await scrape(metrics);
    expect(
      sample(after, 'nmcp_messages_total', {
        transport: 'tcp',
        direction: 'in',
        kind: 'request',
        method: 'tools/call',
      }),
    ).toBe(11);
    expect(sample(after, 'nmcp_bytes_total', { transport: 'tcp', direction: 'in' })).toBeGreaterThan(bytesIn);
    expect(sample(after, 'nmcp_sessions', { transport: 'tcp' })).toBe(1);
    expect(sample(after, 'nmcp_connections', { transport: 'tcp' })).toBe(1);
  });

  it('with enableMetrics: false nothing is attached or counted', async () => {
    const metrics = new NmcpMetrics({ enableMetrics: false });
    const { server, connect } = await setup(metrics);
    const client = await connect();
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    for (const s of server.sessions) expect(s.rpc.observer).toBeUndefined();
    const text = await scrape(metrics);
    expect(text).not.toContain('nmcp_messages_total');
    expect(text).toContain('nmcp_core_info');
  });

  it('prom-client’s default process metrics are there, prefixed nmcp_', async () => {
    const metrics = new NmcpMetrics();
    closers.push(() => metrics.close());
    const text = await scrape(metrics);
    for (const name of [
      'nmcp_process_resident_memory_bytes',
      'nmcp_nodejs_eventloop_lag_seconds',
      'nmcp_nodejs_active_handles_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('refuses a bad option naming the key', () => {
    expect(() => new NmcpMetrics({ metricsIntervalMs: 5 })).toThrow(/metrics\.metricsIntervalMs/);
  });
});
