import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '../../src/server/index.js';
import { connect } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

function makeServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
  const server = new McpServer({ name: 'test', version: '1.0.0', title: 'Test', instructions: 'Be nice' }, options);
  servers.push(server);
  return server;
}

describe('legacy lifecycle', () => {
  it('initialize echoes a supported version and reports serverInfo and instructions', async () => {
    const server = makeServer();
    const { client, session } = await connect(server);
    const r = await client.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: { roots: { listChanged: true } },
      clientInfo: { name: 'raw', version: '0.1' },
    });
    expect(r).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        protocolVersion: '2025-06-18',
        capabilities: { logging: {} },
        serverInfo: { name: 'test', version: '1.0.0', title: 'Test' },
        instructions: 'Be nice',
      },
    });
    expect(session.era).toBe('legacy');
    expect(session.protocolVersion).toBe('2025-06-18');
    expect(session.clientInfo).toEqual({ name: 'raw', version: '0.1' });
    expect(session.clientCapabilities).toEqual({ roots: { listChanged: true } });
  });

  it.each([
    ['2024-11-05', '2024-11-05'],
    ['2025-03-26', '2025-03-26'],
    ['2025-11-25', '2025-11-25'],
    ['2026-07-28', '2025-11-25'],
    ['1999-01-01', '2025-11-25'],
  ])('requested %s → negotiated %s', async (requested, negotiated) => {
    const { client } = await connect(makeServer());
    const result = await client.call('initialize', { protocolVersion: requested, capabilities: {} });
    expect(result.protocolVersion).toBe(negotiated);
  });

  it('capabilities reflect what is registered', async () => {
    const server = makeServer();
    server.registerTool('t', {}, () => ({ content: [] }));
    server.registerResource('r', 'file:///r', {}, () => ({ contents: [] }));
    server.registerPrompt('p', {}, () => ({ messages: [] }));
    const { client } = await connect(server);
    const result = await client.initialize();
    expect(result.capabilities).toEqual({
      logging: {},
      completions: {},
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      tools: { listChanged: true },
    });
  });

  it('declared capabilities are merged with the derived ones', async () => {
    const server = makeServer({ capabilities: { tools: { listChanged: false }, experimental: { x: {} } } });
    const { client } = await connect(server);
    const result = await client.initialize();
    expect(result.capabilities).toEqual({ experimental: { x: {} }, logging: {}, tools: { listChanged: false } });
  });

  it('notifications/initialized marks the session and calls oninitialized', async () => {
    const server = makeServer();
    const { client, session } = await connect(server);
    let called = 0;
    session.oninitialized = () => called++;
    await client.initialize();
    await client.settle();
    expect(session.initialized).toBe(true);
    expect(called).toBe(1);
  });

  it('ping answers {} before and after initialize', async () => {
    const { client } = await connect(makeServer());
    expect(await client.request('ping')).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    await client.initialize();
    expect((await client.request('ping', undefined, 'p')).result).toEqual({});
  });

  it('a request before initialize is rejected with -32000 and the session goes on', async () => {
    const server = makeServer();
    server.registerTool('t', {}, () => ({ content: [] }));
    const { client } = await connect(server);
    const r = await client.request('tools/list');
    expect(r.error).toMatchObject({ code: -32000 });
    expect((r.error as { message: string }).message).toContain('Server not initialized');
    await client.initialize();
    expect(((await client.call('tools/list')).tools as unknown[]).length).toBe(1);
  });

  it('a second initialize is rejected with -32600', async () => {
    const { client, session } = await connect(makeServer());
    await client.initialize('2025-06-18');
    const r = await client.request('initialize', { protocolVersion: '2025-11-25', capabilities: {} });
    expect(r.error).toEqual({ code: -32600, message: 'Invalid Request: Server already initialized' });
    expect(session.protocolVersion).toBe('2025-06-18');
  });

  it('initialize without a protocolVersion is -32602', async () => {
    const { client } = await connect(makeServer());
    const r = await client.request('initialize', { capabilities: {} });
    expect(r.error).toMatchObject({ code: -32602 });
    expect(await client.initialize()).toMatchObject({ protocolVersion: '2025-11-25' });
  });

  it('modern-only methods are -32601 on a legacy session; an enveloped request is served as legacy', async () => {
    const server = makeServer();
    server.registerTool('t', {}, () => ({ content: [{ type: 'text', text: 'ok' }] }));
    const { client } = await connect(server);
    await client.initialize();
    expect((await client.modern('server/discover')).error).toEqual({
      code: -32601,
      message: 'Method not found: server/discover',
    });
    expect((await client.modern('subscriptions/listen', { notifications: {} })).error).toMatchObject({ code: -32601 });
    const r = await client.modern('tools/call', { name: 't' });
    expect(r.result).toEqual({ content: [{ type: 'text', text: 'ok' }] });
  });
});

describe('JSON-RPC errors through the server (the session stays usable)', () => {
  it('-32700 for unparsable input', async () => {
    const { client } = await connect(makeServer());
    client.send('{"jsonrpc":"2.0","id":1,');
    const r = await client.waitFor((m) => m.id === null);
    expect((r.error as { code: number }).code).toBe(-32700);
    expect((await client.request('ping', undefined, 2)).result).toEqual({});
  });

  it('-32600 for an invalid request', async () => {
    const { client } = await connect(makeServer());
    client.send({ jsonrpc: '1.0', id: 7, method: 'ping' });
    expect((await client.response(7)).error).toMatchObject({ code: -32600 });
    client.send({ jsonrpc: '2.0', id: 8, method: 42 });
    expect((await client.response(8)).error).toMatchObject({ code: -32600 });
    expect((await client.request('ping', undefined, 9)).result).toEqual({});
  });

  it('-32601 for an unknown method', async () => {
    const { client } = await connect(makeServer());
    await client.initialize();
    expect((await client.request('nope/nothing')).error).toEqual({
      code: -32601,
      message: 'Method not found: nope/nothing',
    });
    expect((await client.request('ping')).result).toEqual({});
  });

  it('-32602 for bad params', async () => {
    const server = makeServer();
    server.registerResource('r', 'file:///r', {}, () => ({ contents: [] }));
    const { client } = await connect(server);
    await client.initialize();
    client.send({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: [1, 2] });
    expect((await client.response('a')).error).toMatchObject({ code: -32602 });
    expect((await client.request('resources/read', {})).error).toMatchObject({ code: -32602 });
    expect((await client.request('logging/setLevel', { level: 'loud' })).error).toMatchObject({ code: -32602 });
    expect((await client.request('tools/list', { cursor: 'bm9wZQ==' })).error).toMatchObject({ code: -32602 });
    expect((await client.request('ping')).result).toEqual({});
  });

  it('-32603 for a non-McpError thrown by a non-tool handler', async () => {
    const server = makeServer();
    server.registerResource('boom', 'file:///boom', {}, () => {
      throw new Error('disk on fire');
    });
    server.registerPrompt('async-boom', {}, async () => {
      throw new TypeError('bad');
    });
    const { client } = await connect(server);
    await client.initialize();
    expect((await client.request('resources/read', { uri: 'file:///boom' })).error).toEqual({
      code: -32603,
      message: 'Internal error: disk on fire',
    });
    expect((await client.request('prompts/get', { name: 'async-boom' })).error).toEqual({
      code: -32603,
      message: 'Internal error: bad',
    });
    expect((await client.request('ping')).result).toEqual({});
  });

  it('batches are refused unless 2025-03-26 was negotiated', async () => {
    const server = makeServer();
    server.registerTool('t', {}, () => ({ content: [] }));
    const legacy = (await connect(server)).client;
    await legacy.initialize('2025-06-18');
    legacy.send([{ jsonrpc: '2.0', id: 10, method: 'ping' }]);
    const refused = await legacy.waitFor((m) => m.id === null);
    expect(refused.error).toMatchObject({ code: -32600 });

    const batching = (await connect(server)).client;
    await batching.initialize('2025-03-26');
    batching.send([
      { jsonrpc: '2.0', id: 10, method: 'ping' },
      { jsonrpc: '2.0', id: 11, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]);
    const batch = (await batching.waitFor((m) => Array.isArray(m))) as unknown as { id: number }[];
    expect(batch.map((r) => r.id).sort()).toEqual([10, 11]);
  });
});
