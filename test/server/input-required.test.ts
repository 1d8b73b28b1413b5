import { afterEach, describe, expect, it, vi } from 'vitest';
import { NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError } from '../../src/protocol/jsonrpc.js';
import { McpServer, META, RequestStateCodec } from '../../src/server/index.js';
import { connect, text } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of servers) await s.close();
  servers = [];
});

const SI = { [META.SERVER_INFO]: { name: 'mrtr', version: '1' } };
const FORM = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const ALL_CAPS = { elicitation: { form: {}, url: {} }, sampling: {}, roots: {} };

function makeServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
  const server = new McpServer({ name: 'mrtr', version: '1' }, options);
  servers.push(server);
  server.registerTool('ask', {}, async (_args, ctx) => {
    const answer = await ctx.elicit({ mode: 'form', message: 'Your name?', requestedSchema: FORM });
    return { content: [{ type: 'text', text: `hello ${(answer.content as JsonObject).name}` }] };
  });
  server.registerTool('two', {}, async (_args, ctx) => {
    const name = await ctx.elicit({ message: 'Name?', requestedSchema: FORM });
    const poem = await ctx.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: 'poem' } }],
      maxTokens: 10,
    });
    const roots = await ctx.listRoots();
    return {
      content: [
        {
          type: 'text',
          text: `${(name.content as JsonObject).name}|${(poem.content as JsonObject).text}|${roots.roots.length}`,
        },
      ],
    };
  });
  return server;
}

describe('modern era: input_required (multi round-trip)', () => {
  it('asks with an input_required result, then completes on the retry', async () => {
    const { client } = await connect(makeServer());
    const first = (await client.modern('tools/call', { name: 'ask', arguments: {} }, {}, ALL_CAPS))
      .result as JsonObject;
    expect(first).toEqual({
      resultType: 'input_required',
      inputRequests: {
        'elicit-0': {
          method: 'elicitation/create',
          params: { mode: 'form', message: 'Your name?', requestedSchema: FORM },
        },
      },
      requestState: expect.stringMatching(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/),
      _meta: SI,
    });
    const retry = await client.modern(
      'tools/call',
      {
        name: 'ask',
        arguments: {},
        inputResponses: { 'elicit-0': { action: 'accept', content: { name: 'Ann' } } },
        requestState: first.requestState,
      },
      {},
      ALL_CAPS,
    );
    expect(retry.result).toEqual({ resultType: 'complete', _meta: SI, content: [{ type: 'text', text: 'hello Ann' }] });
  });

  it('carries earlier answers in the signed requestState across rounds', async () => {
    const { client } = await connect(makeServer());
    const call = (extra: JsonObject) =>
      client
        .modern('tools/call', { name: 'two', arguments: {}, ...extra }, {}, ALL_CAPS)
        .then((r) => r.result as JsonObject);
    const r1 = await call({});
    expect(Object.keys(r1.inputRequests as JsonObject)).toEqual(['elicit-0']);
    const r2 = await call({
      requestState: r1.requestState,
      inputResponses: { 'elicit-0': { action: 'accept', content: { name: 'Bo' } } },
    });
    expect(r2.inputRequests).toEqual({
      'sampling-1': {
        method: 'sampling/createMessage',
        params: { messages: [{ role: 'user', content: { type: 'text', text: 'poem' } }], maxTokens: 10 },
      },
    });
    const r3 = await call({
      requestState: r2.requestState,
      inputResponses: { 'sampling-1': { role: 'assistant', content: { type: 'text', text: 'roses' }, model: 'm' } },
    });
    expect(r3.inputRequests).toEqual({ 'roots-2': { method: 'roots/list' } });
    const r4 = await call({
      requestState: r3.requestState,
      inputResponses: { 'roots-2': { roots: [{ uri: 'file:///' }] } },
    });
    expect(r4.resultType).toBe('complete');
    expect(text(r4)).toBe('Bo|roses|1');
  });

  it('rejects a tampered, foreign, non-string or replayed-elsewhere requestState with -32602', async () => {
    const server = makeServer();
    const { client } = await connect(server);
    const first = (await client.modern('tools/call', { name: 'ask' }, {}, ALL_CAPS)).result as JsonObject;
    const state = first.requestState as string;
    const frozen = {
      code: -32602,
      message: 'Invalid or expired requestState',
      data: { reason: 'invalid_request_state' },
    };
    const [head, body, mac] = state.split('.') as [string, string, string];
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString());
    forged.r = { 'elicit-0': { action: 'accept', content: { name: 'Mallory' } } };
    const tampered = `${head}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`;
    for (const requestState of [tampered, 'garbage', 42, `${state}x`]) {
      const r = await client.modern('tools/call', { name: 'ask', requestState }, {}, ALL_CAPS);
      expect(r.error).toEqual(frozen);
    }
    // bound to the tool: the state of `ask` does not open `two`
    expect((await client.modern('tools/call', { name: 'two', requestState: state }, {}, ALL_CAPS)).error).toEqual(
      frozen,
    );
    // another server (another random secret) does not accept it
    const other = await connect(makeServer());
    expect((await other.client.modern('tools/call', { name: 'ask', requestState: state }, {}, ALL_CAPS)).error).toEqual(
      frozen,
    );
  });

  it('servers sharing requestStateSecret accept each other’s state (stateless scale-out)', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const a = await connect(makeServer({ requestStateSecret: secret }));
    const b = await connect(makeServer({ requestStateSecret: new TextEncoder().encode(secret) }));
    const first = (await a.client.modern('tools/call', { name: 'ask' }, {}, ALL_CAPS)).result as JsonObject;
    const done = await b.client.modern(
      'tools/call',
      {
        name: 'ask',
        requestState: first.requestState,
        inputResponses: { 'elicit-0': { action: 'accept', content: { name: 'Cy' } } },
      },
      {},
      ALL_CAPS,
    );
    expect(text(done.result as JsonObject)).toBe('hello Cy');
  });

  it('an expired requestState is rejected', () => {
    const codec = new RequestStateCodec(undefined, 1000);
    const state = codec.sign('b', {}, []);
    expect(codec.verify(state, 'b')).toMatchObject({ b: 'b', q: [] });
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 5000);
    expect(() => codec.verify(state, 'b')).toThrow(McpError);
    expect(() => new RequestStateCodec('short', 1000)).toThrow(NmcpError);
  });

  it('-32021 when the request does not declare the capability an input needs', async () => {
    const server = makeServer();
    server.registerTool('login', {}, async (_args, ctx) => {
      await ctx.elicit({ mode: 'url', message: 'Log in', url: 'https://example.com/login' });
      return { content: [] };
    });
    const { client } = await connect(server);
    expect((await client.modern('tools/call', { name: 'ask' }, {}, { sampling: {} })).error).toEqual({
      code: -32021,
      message:
        "Cannot request input 'elicit-0' (elicitation/create): the request's client capabilities do not declare the required capability",
      data: { requiredCapabilities: { elicitation: { form: {} } } },
    });
    // a bare elicitation: {} means form
    const bare = (await client.modern('tools/call', { name: 'ask' }, {}, { elicitation: {} })).result as JsonObject;
    expect(bare.resultType).toBe('input_required');
    expect((await client.modern('tools/call', { name: 'login' }, {}, { elicitation: {} })).error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: { url: {} } } },
    });
  });

  it('a wrapped { method, result } response is dropped and the question asked again', async () => {
    const { client } = await connect(makeServer());
    const first = (await client.modern('tools/call', { name: 'ask' }, {}, ALL_CAPS)).result as JsonObject;
    const again = (
      await client.modern(
        'tools/call',
        {
          name: 'ask',
          requestState: first.requestState,
          inputResponses: { 'elicit-0': { method: 'elicitation/create', result: { action: 'accept' } } },
        },
        {},
        ALL_CAPS,
      )
    ).result as JsonObject;
    expect(again.resultType).toBe('input_required');
    expect(Object.keys(again.inputRequests as JsonObject)).toEqual(['elicit-0']);
  });

  it('a handler that swallows the signal still ends with input_required; prompts and resources can ask too', async () => {
    const server = makeServer();
    server.registerTool('swallow', {}, async (_args, ctx) => {
      try {
        await ctx.elicit({ message: 'x', requestedSchema: FORM });
      } catch {
        return { content: [{ type: 'text', text: 'ignored' }], isError: true };
      }
      return { content: [] };
    });
    server.registerPrompt('confirm', {}, async (_args, ctx) => {
      const roots = await ctx.listRoots();
      return { messages: [{ role: 'user', content: { type: 'text', text: String(roots.roots.length) } }] };
    });
    server.registerResource('secret', 'mem://secret', {}, async (uri, ctx) => {
      const ok = await ctx.elicit({ message: 'Reveal?', requestedSchema: { type: 'object', properties: {} } });
      return { contents: [{ uri, text: ok.action }] };
    });
    const { client } = await connect(server);
    const swallowed = (await client.modern('tools/call', { name: 'swallow' }, {}, ALL_CAPS)).result as JsonObject;
    expect(swallowed.resultType).toBe('input_required');
    const prompt = (await client.modern('prompts/get', { name: 'confirm' }, {}, ALL_CAPS)).result as JsonObject;
    expect(prompt.inputRequests).toEqual({ 'roots-0': { method: 'roots/list' } });
    const done = (
      await client.modern(
        'prompts/get',
        { name: 'confirm', requestState: prompt.requestState, inputResponses: { 'roots-0': { roots: [] } } },
        {},
        ALL_CAPS,
      )
    ).result as JsonObject;
    expect(done.messages).toEqual([{ role: 'user', content: { type: 'text', text: '0' } }]);
    const read = (await client.modern('resources/read', { uri: 'mem://secret' }, {}, ALL_CAPS)).result as JsonObject;
    expect(read).toMatchObject({ resultType: 'input_required' });
    expect(read.ttlMs).toBeUndefined();
  });
});

describe('legacy era: server→client requests from a handler', () => {
  it('ctx.elicit / createMessage / listRoots send real requests and use the answers', async () => {
    const server = makeServer();
    const { client } = await connect(server);
    await client.initialize('2025-11-25', ALL_CAPS);
    client.send({ jsonrpc: '2.0', id: 'call', method: 'tools/call', params: { name: 'two' } });
    const answer = async (method: string, result: JsonObject) => {
      const req = await client.waitFor((m) => m.method === method && m.id !== undefined);
      client.send({ jsonrpc: '2.0', id: req.id, result });
      return req;
    };
    const elicit = await answer('elicitation/create', { action: 'accept', content: { name: 'Di' } });
    expect(elicit.params).toEqual({ message: 'Name?', requestedSchema: FORM });
    await answer('sampling/createMessage', { role: 'assistant', content: { type: 'text', text: 'rhyme' }, model: 'm' });
    await answer('roots/list', { roots: [{ uri: 'file:///a' }, { uri: 'file:///b' }] });
    const r = await client.response('call');
    expect(r.result).toEqual({ content: [{ type: 'text', text: 'Di|rhyme|2' }] });
  });

  it('a capability the client did not declare makes the tool fail (isError)', async () => {
    const { client, session } = await connect(makeServer());
    await client.initialize('2025-11-25', {});
    const r = await client.call('tools/call', { name: 'ask' });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('did not declare the "elicitation" capability');
    await expect(session.listRoots()).rejects.toMatchObject({ code: -32021 });
  });

  it('session.request refuses outside the legacy era', async () => {
    const { client, session } = await connect(makeServer());
    await client.modern('tools/list');
    await expect(session.ping()).rejects.toMatchObject({ code: -32601 });
    await expect(session.elicit({ message: 'x' })).rejects.toBeInstanceOf(McpError);
  });
});
