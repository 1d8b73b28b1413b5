// Modern-era details (envelope, resultType, input_required, listen) and pagination, against a scripted server.
import { describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError, RpcCode } from '../../src/protocol/jsonrpc.js';
import { JsonRpcSession, type RequestHandler } from '../../src/session/session.js';
import { memoryPair, until } from './helpers.js';

const ENV_KEYS = [
  'io.modelcontextprotocol/protocolVersion',
  'io.modelcontextprotocol/clientInfo',
  'io.modelcontextprotocol/clientCapabilities',
];
const DISCOVER = {
  supportedVersions: ['2026-07-28'],
  capabilities: { tools: { listChanged: true }, resources: { subscribe: true } },
  resultType: 'complete',
};

async function modern(handlers: Record<string, RequestHandler>, options: McpClientOptions = {}, discover = DISCOVER) {
  const pair = memoryPair();
  const server = new JsonRpcSession(pair.server);
  server.requestHandlers.set('server/discover', () => discover);
  for (const [method, handler] of Object.entries(handlers)) server.requestHandlers.set(method, handler);
  await server.start();
  const client = new McpClient({ name: 'unit', version: '1' }, { negotiation: { pin: '2026-07-28' }, ...options });
  await client.connect(pair.client);
  return { client, server, sent: pair.sent };
}

const complete = (r: JsonObject) => ({ ...r, resultType: 'complete' });

describe('modern era: envelope and results', () => {
  it('every request carries the envelope; the caller’s _meta keys win; progressToken rides along', async () => {
    const seen: JsonObject[] = [];
    const { client } = await modern({
      'tools/call': (params, ctx) => {
        seen.push(params);
        ctx.progress(1, 2);
        return complete({ content: [] });
      },
    });
    const progress: number[] = [];
    await client.callTool(
      { name: 't', arguments: {}, _meta: { 'io.modelcontextprotocol/clientInfo': { name: 'override', version: '2' } } },
      { onProgress: (p) => progress.push(p.progress) },
    );
    const meta = (seen[0]?._meta ?? {}) as JsonObject;
    expect(Object.keys(meta)).toEqual(expect.arrayContaining([...ENV_KEYS, 'progressToken']));
    expect(meta['io.modelcontextprotocol/clientInfo']).toEqual({ name: 'override', version: '2' });
    expect(meta['io.modelcontextprotocol/logLevel']).toBeUndefined();
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 't' });
    expect(seen[1]?._meta).toHaveProperty(['io.modelcontextprotocol/logLevel'], 'warning');
    await until(() => progress.length === 1);
    await client.close();
  });

  it('an unknown resultType, or input_required with nothing in it, is NMCP_ERR_INVALID_RESULT', async () => {
    const { client } = await modern({
      'tools/call': (p) =>
        p.name === 'weird' ? { resultType: 'later', content: [] } : { resultType: 'input_required' },
    });
    for (const name of ['weird', 'empty']) {
      const err = await client.callTool({ name }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NmcpError);
      expect((err as NmcpError).code).toBe(ErrorCode.INVALID_RESULT);
    }
    await client.close();
  });

  it('input_required with only requestState: retried after a pause, requestState echoed verbatim', async () => {
    const legs: JsonObject[] = [];
    const { client } = await modern({
      'tools/call': (p) => {
        legs.push(p);
        return legs.length < 3
          ? { resultType: 'input_required', requestState: `s${legs.length}` }
          : complete({ content: [] });
      },
    });
    const started = Date.now();
    await client.callTool({ name: 'busy', arguments: { a: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 240);
    expect(legs.map((l) => l.requestState)).toEqual([undefined, 's1', 's2']);
    expect(legs.every((l) => (l.arguments as JsonObject).a === 1 && l.inputResponses === undefined)).toBe(true);
    await client.close();
  });

  it('maxTotalTimeoutMs bounds the whole input_required flow', async () => {
    const { client } = await modern({ 'tools/call': () => ({ resultType: 'input_required', requestState: 'again' }) });
    const err = await client.callTool({ name: 'x' }, { maxTotalTimeoutMs: 400 }).catch((e: unknown) => e);
    expect((err as NmcpError).code).toBe(ErrorCode.INPUT_REQUIRED_FAILED);
    expect((err as NmcpError).message).toContain('maxTotalTimeoutMs');
    await client.close();
  });

  it('a failing callback fails the call; its sibling callbacks are aborted', async () => {
    let siblingAborted = false;
    const { client } = await modern(
      {
        'tools/call': () => ({
          resultType: 'input_required',
          inputRequests: {
            a: { method: 'elicitation/create', params: { message: 'a' } },
            b: { method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } },
          },
        }),
      },
      {
        onElicitation: () => Promise.reject(new Error('user closed the dialog')),
        onSampling: (_p, ctx) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => {
              siblingAborted = true;
              reject(new Error('aborted'));
            }),
          ),
      },
    );
    await expect(client.callTool({ name: 'x' })).rejects.toThrow('user closed the dialog');
    expect(siblingAborted).toBe(true);
    await client.close();
  });

  it('the modern era has no server → client requests: they get -32601', async () => {
    const { client, server } = await modern({}, { onSampling: () => ({ role: 'assistant', content: {}, model: 'm' }) });
    const err = await server.request('sampling/createMessage', { messages: [], maxTokens: 1 }).catch((e) => e);
    expect((err as McpError).code).toBe(RpcCode.METHOD_NOT_FOUND);
    await client.close();
  });
});

describe('modern era: subscriptions/listen', () => {
  it('opens a listen stream for list_changed handlers and subscribed URIs; delivers only the current stream', async () => {
    const listens: { id: string | number; filter: JsonObject; cancelled: boolean }[] = [];
    const pair = await modern({});
    const { client, server } = pair;
    server.requestHandlers.set('subscriptions/listen', (params, ctx) => {
      const entry = { id: ctx.id, filter: params.notifications as JsonObject, cancelled: false };
      listens.push(entry);
      ctx.signal.addEventListener('abort', () => {
        entry.cancelled = true;
      });
      setImmediate(() =>
        server.notify('notifications/subscriptions/acknowledged', {
          notifications: params.notifications,
          _meta: { 'io.modelcontextprotocol/subscriptionId': ctx.id },
        }),
      );
      return new Promise(() => {});
    });
    const changed: JsonObject[] = [];
    const off = client.onNotification('notifications/tools/list_changed', (p) => changed.push(p));
    await until(() => listens.length === 1);
    expect(listens[0]?.filter).toEqual({ toolsListChanged: true });
    await client.subscribeResource('file:///x');
    expect(listens[1]?.filter).toEqual({ toolsListChanged: true, resourceSubscriptions: ['file:///x'] });
    await until(() => listens[0]?.cancelled === true);
    const stamp = (id: string | number) => ({ _meta: { 'io.modelcontextprotocol/subscriptionId': id } });
    server.notify('notifications/tools/list_changed', stamp(listens[0]?.id as number)); // old stream: dropped
    server.notify('notifications/tools/list_changed', stamp(listens[1]?.id as number));
    await until(() => changed.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(changed).toHaveLength(1);
    off(); // narrows the filter: a new stream for the URI only
    await client.unsubscribeResource('file:///x'); // empty filter: no stream at all
    expect(listens.map((l) => l.filter)).toEqual([
      { toolsListChanged: true },
      { toolsListChanged: true, resourceSubscriptions: ['file:///x'] },
      { resourceSubscriptions: ['file:///x'] },
    ]);
    await until(() => listens.every((l) => l.cancelled));
    await client.close();
  });

  it('a listen the server refuses makes subscribeResource reject', async () => {
    const { client } = await modern({
      'subscriptions/listen': () => {
        throw new McpError(-32603, 'Subscription limit reached');
      },
    });
    await expect(client.subscribeResource('file:///x')).rejects.toMatchObject({ code: -32603 });
    await client.close();
  });
});

describe('pagination', () => {
  it('follows nextCursor; a repeated cursor (loop) or a page without its array is NMCP_ERR_INVALID_RESULT', async () => {
    const cursors: unknown[] = [];
    const { client } = await modern({
      'tools/list': (p) => {
        cursors.push(p.cursor);
        const page = Number(p.cursor ?? 0);
        return complete({ tools: [{ name: `t${page}` }], ...(page < 2 ? { nextCursor: String(page + 1) } : {}) });
      },
      'prompts/list': (p) => complete({ prompts: [], nextCursor: p.cursor === 'a' ? 'b' : 'a' }),
      'resources/list': () => complete({ nothing: [] }),
    });
    expect((await client.listTools()).map((t) => t.name)).toEqual(['t0', 't1', 't2']);
    expect(cursors).toEqual([undefined, '1', '2']);
    const loop = await client.listPrompts().catch((e: unknown) => e);
    expect((loop as NmcpError).code).toBe(ErrorCode.INVALID_RESULT);
    expect((loop as NmcpError).message).toContain('twice');
    const missing = await client.listResources().catch((e: unknown) => e);
    expect((missing as NmcpError).code).toBe(ErrorCode.INVALID_RESULT);
    await client.close();
  });
});

describe('notification handlers', () => {
  it('a throwing handler goes to onError and does not stop the others', async () => {
    const errors: Error[] = [];
    const got: string[] = [];
    const pair = memoryPair();
    const server = new JsonRpcSession(pair.server);
    server.requestHandlers.set('initialize', (p) => ({ protocolVersion: p.protocolVersion, capabilities: {} }));
    await server.start();
    const client = new McpClient(
      { name: 'u', version: '1' },
      { negotiation: 'legacy', onError: (e) => errors.push(e) },
    );
    client.onNotification('notifications/message', () => {
      throw new Error('handler bug');
    });
    client.onNotification('notifications/message', (p) => got.push(String(p.data)));
    await client.connect(pair.client);
    server.notify('notifications/message', { level: 'info', data: 'hello' });
    await until(() => got.length === 1);
    expect(errors.map((e) => e.message)).toEqual(['handler bug']);
    await client.close();
  });
});
