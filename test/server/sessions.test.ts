import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { McpServer } from '../../src/server/index.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { connect } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

function makeServer() {
  const server = new McpServer({ name: 'multi', version: '1' });
  servers.push(server);
  server.registerResource('a', 'mem://a', {}, () => ({ contents: [] }));
  server.registerTool('whoami', {}, (_args, ctx) => ({
    content: [{ type: 'text', text: `${ctx.clientInfo?.name}@${ctx.protocolVersion}` }],
  }));
  return server;
}

describe('one McpServer, many sessions', () => {
  it('each connect() creates its own session', async () => {
    const server = makeServer();
    const a = await connect(server);
    const b = await connect(server);
    expect(a.session).not.toBe(b.session);
    expect(server.sessions.size).toBe(2);
    await a.client.transport.close();
    await a.client.settle();
    expect(server.sessions.size).toBe(1);
    expect(server.sessions.has(b.session)).toBe(true);
  });

  it('negotiated version, client info, log level and subscriptions never leak across sessions', async () => {
    const server = makeServer();
    const a = await connect(server);
    const b = await connect(server);
    await a.client.call('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'A', version: '1' },
    });
    await b.client.call('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'B', version: '1' },
    });
    await a.client.call('logging/setLevel', { level: 'emergency' });
    await a.client.call('resources/subscribe', { uri: 'mem://a' });

    expect((await a.client.call('tools/call', { name: 'whoami' })).content).toEqual([
      { type: 'text', text: 'A@2024-11-05' },
    ]);
    expect((await b.client.call('tools/call', { name: 'whoami' })).content).toEqual([
      { type: 'text', text: 'B@2025-11-25' },
    ]);
    expect([a.session.logLevel, b.session.logLevel]).toEqual(['emergency', undefined]);
    expect([a.session.subscriptions.size, b.session.subscriptions.size]).toEqual([1, 0]);

    server.log('info', 'hello');
    server.sendResourceUpdated('mem://a');
    await a.client.settle();
    expect(a.client.notifications('notifications/message')).toHaveLength(0);
    expect(b.client.notifications('notifications/message')).toHaveLength(1);
    expect(a.client.notifications('notifications/resources/updated')).toHaveLength(1);
    expect(b.client.notifications('notifications/resources/updated')).toHaveLength(0);
  });

  it('a legacy and a modern session coexist on one server', async () => {
    const server = makeServer();
    const legacy = await connect(server);
    const modern = await connect(server);
    await legacy.client.initialize('2025-03-26');
    const m = await modern.client.modern('tools/call', { name: 'whoami' });
    const l = await legacy.client.call('tools/call', { name: 'whoami' });
    expect(m.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'raw@2026-07-28' }] });
    expect(l).toEqual({ content: [{ type: 'text', text: 'raw@2025-03-26' }] });
    expect([legacy.session.era, modern.session.era]).toEqual(['legacy', 'modern']);
  });

  it('the session list sees closes; server.close() closes them all and refuses new connections', async () => {
    const server = makeServer();
    const a = await connect(server);
    let closed = 0;
    a.session.onclose = () => closed++;
    await connect(server);
    await server.close();
    expect(server.sessions.size).toBe(0);
    expect(closed).toBe(1);
    await expect(server.connect(MemoryTransport.pair()[0])).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
  });
});
