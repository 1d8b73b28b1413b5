import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/protocol/jsonrpc.js';
import { McpServer, META, ResourceTemplate } from '../../src/server/index.js';
import { connect, env } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

const INFO = { name: 'modern', version: '2.0.0' };
const SI = { [META.SERVER_INFO]: INFO };

function makeServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
  const server = new McpServer({ ...INFO, instructions: 'hello' }, options);
  servers.push(server);
  server.registerTool('echo', {}, (args) => ({ content: [{ type: 'text', text: String(args.text) }] }));
  server.registerResource('readme', 'file:///readme.txt', {}, (uri) => ({
    contents: [{ uri, mimeType: 'text/plain', text: 'README' }],
  }));
  server.registerPrompt('p', {}, () => ({ messages: [] }));
  return server;
}

describe('modern era: discover, envelope, results', () => {
  it('server/discover answers without pinning; the result is stamped and cacheable', async () => {
    const { client, session } = await connect(makeServer());
    const r = await client.modern('server/discover');
    expect(r).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: SI,
        supportedVersions: ['2026-07-28'],
        capabilities: {
          logging: {},
          completions: {},
          prompts: { listChanged: true },
          resources: { subscribe: true, listChanged: true },
          tools: { listChanged: true },
        },
        instructions: 'hello',
      },
    });
    expect(session.phase).toBe('probe');
    // the client may still fall back to initialize on the same connection
    expect((await client.call('initialize', { protocolVersion: '2025-11-25', capabilities: {} })).protocolVersion).toBe(
      '2025-11-25',
    );
    expect(session.era).toBe('legacy');
  });

  it('an enveloped request pins the session modern; results carry resultType and serverInfo', async () => {
    const { client, session } = await connect(makeServer());
    const call = await client.modern('tools/call', { name: 'echo', arguments: { text: 'hi' } });
    expect(call.result).toEqual({ resultType: 'complete', _meta: SI, content: [{ type: 'text', text: 'hi' }] });
    expect(session.era).toBe('modern');
    expect(session.protocolVersion).toBe('2026-07-28');
    expect(session.clientInfo).toEqual({ name: 'raw', version: '0' });
    const list = await client.modern('tools/list');
    expect(list.result).toEqual({
      tools: [{ name: 'echo', inputSchema: { type: 'object', properties: {} } }],
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: SI,
    });
    const read = await client.modern('resources/read', { uri: 'file:///readme.txt' });
    expect(read.result).toEqual({
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: SI,
      contents: [{ uri: 'file:///readme.txt', mimeType: 'text/plain', text: 'README' }],
    });
    const prompt = await client.modern('prompts/get', { name: 'p' });
    expect(prompt.result).toEqual({ resultType: 'complete', _meta: SI, messages: [] });
    const completion = await client.modern('completion/complete', {
      ref: { type: 'ref/prompt', name: 'p' },
      argument: { name: 'x', value: '' },
    });
    expect(completion.result).toEqual({ resultType: 'complete', _meta: SI, completion: { values: [] } });
  });

  it('cache hints are configurable per method', async () => {
    const server = makeServer({ cacheHints: { 'tools/list': { ttlMs: 60_000, cacheScope: 'public' } } });
    const { client } = await connect(server);
    const list = (await client.modern('tools/list')).result as JsonObject;
    expect([list.ttlMs, list.cacheScope]).toEqual([60_000, 'public']);
    const prompts = (await client.modern('prompts/list')).result as JsonObject;
    expect([prompts.ttlMs, prompts.cacheScope]).toEqual([0, 'private']);
  });

  it('a handler-provided _meta is kept and serverInfo added', async () => {
    const server = makeServer();
    server.registerTool('meta', {}, () => ({ content: [], _meta: { mine: true } }));
    const { client } = await connect(server);
    const r = await client.modern('tools/call', { name: 'meta' });
    expect(r.result).toEqual({ content: [], _meta: { mine: true, ...SI }, resultType: 'complete' });
  });

  it('unknown resource is -32602 with data.uri in the modern era', async () => {
    const { client } = await connect(makeServer());
    expect((await client.modern('resources/read', { uri: 'file:///missing.txt' })).error).toEqual({
      code: -32602,
      message: 'Resource not found: file:///missing.txt',
      data: { uri: 'file:///missing.txt' },
    });
  });

  it('envelope errors: unsupported version -32022, missing capabilities / bad claim -32602 (not pinned)', async () => {
    const { client, session } = await connect(makeServer());
    expect(
      (await client.request('tools/list', { _meta: env({ [META.PROTOCOL_VERSION]: '2099-01-01' }) })).error,
    ).toEqual({
      code: -32022,
      message: 'Unsupported protocol version: 2099-01-01',
      data: { supported: ['2026-07-28'], requested: '2099-01-01' },
    });
    expect(
      (await client.request('tools/list', { _meta: env({ [META.PROTOCOL_VERSION]: '2025-11-25' }) })).error,
    ).toMatchObject({ code: -32022, data: { requested: '2025-11-25' } });
    const noCaps = await client.request('tools/list', { _meta: { [META.PROTOCOL_VERSION]: '2026-07-28' } });
    expect(noCaps.error).toEqual({
      code: -32602,
      message:
        'Invalid _meta envelope for protocol revision 2026-07-28: io.modelcontextprotocol/clientCapabilities: missing',
      data: { envelope: { key: 'io.modelcontextprotocol/clientCapabilities', problem: 'missing' } },
    });
    const notString = await client.request('tools/list', { _meta: env({ [META.PROTOCOL_VERSION]: 5 }) });
    expect(notString.error).toMatchObject({ code: -32602, data: { envelope: { key: META.PROTOCOL_VERSION } } });
    expect(session.phase).toBe('opening');
  });

  it('once modern: every request needs a valid envelope and version; initialize is -32022; ping is -32601', async () => {
    const { client } = await connect(makeServer());
    await client.modern('tools/list');
    expect((await client.request('tools/list')).error).toEqual({
      code: -32602,
      message:
        'Request is missing the required _meta envelope for protocol revision 2026-07-28 (io.modelcontextprotocol/protocolVersion, io.modelcontextprotocol/clientCapabilities)',
    });
    expect(
      (await client.request('tools/list', { _meta: env({ [META.PROTOCOL_VERSION]: '2099-01-01' }) })).error,
    ).toMatchObject({ code: -32022 });
    expect((await client.request('initialize', { protocolVersion: '2025-11-25', capabilities: {} })).error).toEqual({
      code: -32022,
      message: 'Unsupported protocol version: 2025-11-25',
      data: { supported: ['2026-07-28'], requested: '2025-11-25' },
    });
    expect((await client.modern('initialize', { protocolVersion: '2025-11-25' })).error).toMatchObject({
      code: -32601,
    });
    expect((await client.modern('ping')).error).toMatchObject({ code: -32601 });
    expect((await client.modern('logging/setLevel', { level: 'info' })).error).toMatchObject({ code: -32601 });
    expect((await client.modern('resources/subscribe', { uri: 'x' })).error).toMatchObject({ code: -32601 });
    expect((await client.modern('tools/list')).result).toBeDefined();
  });

  it('ctx.log is sent only when the request names a log level', async () => {
    const server = makeServer();
    server.registerTool('chatty', {}, (_args, ctx) => {
      ctx.log('info', 'i');
      ctx.log('error', 'e');
      return { content: [] };
    });
    const { client } = await connect(server);
    await client.modern('tools/call', { name: 'chatty' });
    expect(client.notifications('notifications/message')).toEqual([]);
    await client.modern('tools/call', { name: 'chatty' }, { [META.LOG_LEVEL]: 'warning' });
    expect(client.notifications('notifications/message').map((n) => n.params)).toEqual([{ level: 'error', data: 'e' }]);
    expect(server.log('emergency', 'x')).toBe(0);
  });

  it('ctx exposes the per-request protocol version, capabilities and client info', async () => {
    const server = makeServer();
    let seen: unknown;
    server.registerTool('who', {}, (_args, ctx) => {
      seen = [ctx.era, ctx.protocolVersion, ctx.clientCapabilities, ctx.clientInfo];
      return { content: [] };
    });
    const { client } = await connect(server);
    await client.modern('tools/call', { name: 'who' }, {}, { roots: {} });
    expect(seen).toEqual(['modern', '2026-07-28', { roots: {} }, { name: 'raw', version: '0' }]);
  });
});

describe('modern era: subscriptions/listen', () => {
  it('acknowledges the honored subset, delivers stamped matching changes, and stops on cancel', async () => {
    const server = makeServer();
    const { client, session } = await connect(server);
    client.send({
      jsonrpc: '2.0',
      id: 'L1',
      method: 'subscriptions/listen',
      params: {
        _meta: env(),
        notifications: {
          toolsListChanged: true,
          promptsListChanged: false,
          resourceSubscriptions: ['file:///readme.txt'],
        },
      },
    });
    const ack = await client.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged');
    expect(ack.params).toEqual({
      notifications: { toolsListChanged: true, resourceSubscriptions: ['file:///readme.txt'] },
      _meta: { [META.SUBSCRIPTION_ID]: 'L1' },
    });
    expect(session.listens.size).toBe(1);
    server.registerTool('new', {}, () => ({ content: [] }));
    server.registerPrompt('new', {}, () => ({ messages: [] }));
    server.sendResourceUpdated('file:///readme.txt');
    server.sendResourceUpdated('file:///other.txt');
    await client.settle();
    expect(client.notifications('notifications/tools/list_changed').map((n) => n.params)).toEqual([
      { _meta: { [META.SUBSCRIPTION_ID]: 'L1' } },
    ]);
    expect(client.notifications('notifications/prompts/list_changed')).toEqual([]);
    expect(client.notifications('notifications/resources/updated').map((n) => n.params)).toEqual([
      { uri: 'file:///readme.txt', _meta: { [META.SUBSCRIPTION_ID]: 'L1' } },
    ]);
    client.notify('notifications/cancelled', { requestId: 'L1' });
    await client.settle();
    expect(session.listens.size).toBe(0);
    server.sendResourceUpdated('file:///readme.txt');
    await client.settle();
    expect(client.notifications('notifications/resources/updated')).toHaveLength(1);
    expect(client.received.some((m) => m.id === 'L1')).toBe(false);
  });

  it('is not subject to requestTimeoutMs, and server.close() ends it with a result', async () => {
    const server = makeServer({ requestTimeoutMs: 30 });
    const { client } = await connect(server);
    client.send({
      jsonrpc: '2.0',
      id: 'L2',
      method: 'subscriptions/listen',
      params: { _meta: env(), notifications: { resourcesListChanged: true } },
    });
    await client.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged');
    await new Promise((r) => setTimeout(r, 60));
    expect(client.received.some((m) => m.id === 'L2')).toBe(false);
    await server.close();
    const end = await client.response('L2');
    expect(end.result).toEqual({ resultType: 'complete', _meta: { [META.SUBSCRIPTION_ID]: 'L2', ...SI } });
  });

  it('rejects a missing filter (-32602), a missing envelope (-32602) and too many streams (-32603)', async () => {
    const server = makeServer({ maxSubscriptions: 1 });
    const { client } = await connect(server);
    expect((await client.modern('subscriptions/listen', {})).error).toEqual({
      code: -32602,
      message: "Invalid params: 'notifications' is required and must be a valid SubscriptionFilter",
    });
    expect((await client.request('subscriptions/listen', { notifications: {} })).error).toMatchObject({ code: -32602 });
    client.send({
      jsonrpc: '2.0',
      id: 'a',
      method: 'subscriptions/listen',
      params: { _meta: env(), notifications: {} },
    });
    await client.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged');
    expect((await client.modern('subscriptions/listen', { notifications: {} })).error).toEqual({
      code: -32603,
      message: 'Subscription limit reached',
    });
  });

  it('templates listed by a modern listen do not leak to a legacy session and vice versa', async () => {
    const server = makeServer();
    server.registerResource('t', new ResourceTemplate('mem://{x}'), {}, () => ({ contents: [] }));
    const modern = await connect(server);
    const legacy = await connect(server);
    await legacy.client.initialize();
    modern.client.send({
      jsonrpc: '2.0',
      id: 'L',
      method: 'subscriptions/listen',
      params: { _meta: env(), notifications: { resourceSubscriptions: ['mem://a'] } },
    });
    await modern.client.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged');
    await legacy.client.call('resources/subscribe', { uri: 'mem://b' });
    server.sendResourceUpdated('mem://a');
    server.sendResourceUpdated('mem://b');
    await modern.client.settle();
    expect(
      modern.client.notifications('notifications/resources/updated').map((n) => (n.params as JsonObject).uri),
    ).toEqual(['mem://a']);
    expect(legacy.client.notifications('notifications/resources/updated').map((n) => n.params)).toEqual([
      { uri: 'mem://b' },
    ]);
  });
});
