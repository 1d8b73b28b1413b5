import { afterEach, describe, expect, it, vi } from 'vitest';
import { NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError } from '../../src/protocol/jsonrpc.js';
import { asTask, McpServer, META, RequestStateCodec, TASKS_EXTENSION } from '../../src/server/index.js';
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

describe('modern era: named input keys and handler state', () => {
  /** A tool asking for a name and a sampled greeting under its own keys, in one round, with its own state. */
  function namedServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
    const server = makeServer(options);
    server.registerTool('greet', {}, async (_args, ctx) => {
      if (ctx.requestState() === undefined) ctx.setRequestState({ started: 'greet', n: 1 });
      const [name, greeting] = await Promise.all([
        ctx.elicit({ message: 'Name?', requestedSchema: FORM }, { key: 'user_name' }),
        ctx.createMessage(
          { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 },
          { key: 'greeting' },
        ),
      ]);
      const seen = Object.keys(ctx.inputResponses).sort().join(',');
      const state = ctx.requestState<{ started: string }>();
      return {
        content: [
          {
            type: 'text',
            text: `${(greeting.content as JsonObject).text} ${(name.content as JsonObject).name} [${seen}] ${state?.started}`,
          },
        ],
      };
    });
    return server;
  }
  const call = (client: Awaited<ReturnType<typeof connect>>['client'], extra: JsonObject) =>
    client.modern('tools/call', { name: 'greet', arguments: {}, ...extra }, {}, ALL_CAPS);

  it('asks under the given keys (several in one round) and reads the answers and its own state back', async () => {
    const { client } = await connect(namedServer());
    const first = (await call(client, {})).result as JsonObject;
    expect(first.inputRequests).toEqual({
      user_name: { method: 'elicitation/create', params: { message: 'Name?', requestedSchema: FORM } },
      greeting: {
        method: 'sampling/createMessage',
        params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 },
      },
    });
    // Partly answered: only the missing key is asked again, and the given answer is kept in the new state.
    const second = (
      await call(client, {
        requestState: first.requestState,
        inputResponses: { user_name: { action: 'accept', content: { name: 'Ann' } } },
      })
    ).result as JsonObject;
    expect(Object.keys(second.inputRequests as JsonObject)).toEqual(['greeting']);
    expect(second.requestState).not.toBe(first.requestState);
    const done = (
      await call(client, {
        requestState: second.requestState,
        inputResponses: { greeting: { role: 'assistant', content: { type: 'text', text: 'Hello' }, model: 'm' } },
      })
    ).result as JsonObject;
    expect(done.resultType).toBe('complete');
    expect(text(done)).toBe('Hello Ann [greeting,user_name] greet');
  });

  it('the handler state rides in the signed requestState: altering it is -32602, the handler never sees it', async () => {
    const { client } = await connect(namedServer());
    const first = (await call(client, {})).result as JsonObject;
    const [head, body, mac] = (first.requestState as string).split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    expect(payload.s).toEqual({ started: 'greet', n: 1 }); // signed, not encrypted: readable
    payload.s = { started: 'admin', n: 1 };
    const forged = `${head}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    const r = await call(client, {
      requestState: forged,
      inputResponses: {
        user_name: { action: 'accept', content: { name: 'Eve' } },
        greeting: { role: 'assistant', content: { type: 'text', text: 'Hi' }, model: 'm' },
      },
    });
    expect(r.error).toEqual({
      code: -32602,
      message: 'Invalid or expired requestState',
      data: { reason: 'invalid_request_state' },
    });
    // the suite's tampering: a suffix on the state
    const suffixed = await call(client, { requestState: `${first.requestState}-TAMPERED` });
    expect(suffixed.error).toMatchObject({ code: -32602 });
  });

  it('answers sent without a requestState, or under keys not asked, are not taken', async () => {
    const { client } = await connect(namedServer());
    const unsolicited = (
      await call(client, {
        inputResponses: {
          user_name: { action: 'accept', content: { name: 'Mallory' } },
          greeting: { role: 'assistant', content: { type: 'text', text: 'Yo' }, model: 'm' },
        },
      })
    ).result as JsonObject;
    expect(unsolicited.resultType).toBe('input_required');
    expect(Object.keys(unsolicited.inputRequests as JsonObject).sort()).toEqual(['greeting', 'user_name']);
    const extra = (
      await call(client, {
        requestState: unsolicited.requestState,
        inputResponses: {
          user_name: { action: 'accept', content: { name: 'Ann' } },
          greeting: { role: 'assistant', content: { type: 'text', text: 'Hey' }, model: 'm' },
          unknown_extra_key: { action: 'accept', content: { foo: 'bar' } },
        },
      })
    ).result as JsonObject;
    expect(text(extra)).toBe('Hey Ann [greeting,user_name] greet');
  });

  it('a key used twice in one handler run fails the request with -32603, even under Promise.all', async () => {
    const server = makeServer();
    server.registerTool('dup', {}, async (_args, ctx) => {
      await Promise.all([
        ctx.elicit({ message: 'a', requestedSchema: FORM }, { key: 'same' }),
        ctx.listRoots({ key: 'same' }),
      ]);
      return { content: [] };
    });
    server.registerTool('collide', {}, async (_args, ctx) => {
      // a named key equal to the default key of an unnamed ask is a duplicate too
      await Promise.all([ctx.listRoots(), ctx.listRoots({ key: 'roots-0' })]);
      return { content: [] };
    });
    server.registerTool('empty', {}, async (_args, ctx) => {
      await ctx.listRoots({ key: '' });
      return { content: [] };
    });
    const { client } = await connect(server);
    const dup = await client.modern('tools/call', { name: 'dup' }, {}, ALL_CAPS);
    expect(dup.error).toEqual({
      code: -32603,
      message:
        "roots/list: input key 'same' was already used by another input request of this handler run; each input request needs its own key",
    });
    expect((await client.modern('tools/call', { name: 'collide' }, {}, ALL_CAPS)).error).toMatchObject({
      code: -32603,
      message: expect.stringContaining("input key 'roots-0' was already used"),
    });
    const empty = (await client.modern('tools/call', { name: 'empty' }, {}, ALL_CAPS)).result as JsonObject;
    expect(empty.isError).toBe(true);
    expect(text(empty)).toBe('roots/list: an input key must be a non-empty string');
  });

  it('unnamed asks keep their default keys, counted without the named ones', async () => {
    const server = makeServer();
    server.registerTool('mixed', {}, async (_args, ctx) => {
      await Promise.all([ctx.listRoots(), ctx.listRoots({ key: 'mine' }), ctx.elicit({ message: 'x' })]);
      return { content: [] };
    });
    const { client } = await connect(server);
    const r = (await client.modern('tools/call', { name: 'mixed' }, {}, ALL_CAPS)).result as JsonObject;
    expect(Object.keys(r.inputRequests as JsonObject)).toEqual(['roots-0', 'mine', 'elicit-1']);
  });

  it('setRequestState copies the value and refuses what JSON cannot carry', async () => {
    const server = makeServer();
    const seen: unknown[] = [];
    server.registerTool('state', {}, async (_args, ctx) => {
      const mine = { n: 1 };
      ctx.setRequestState(mine);
      mine.n = 2;
      seen.push(ctx.requestState());
      expect(() => ctx.setRequestState({ big: 1n })).toThrow(NmcpError);
      expect(() => ctx.setRequestState(() => 1)).toThrow(NmcpError);
      ctx.setRequestState(undefined);
      seen.push(ctx.requestState());
      return { content: [] };
    });
    const { client } = await connect(server);
    expect((await client.modern('tools/call', { name: 'state' }, {}, ALL_CAPS)).result).toMatchObject({
      resultType: 'complete',
    });
    expect(seen).toEqual([{ n: 1 }, undefined]);
  });

  it('a state-only change between rounds is kept: the next round reads what the last one set', async () => {
    const server = makeServer();
    server.registerTool('count', {}, async (_args, ctx) => {
      const n = ctx.requestState<number>() ?? 0;
      ctx.setRequestState(n + 1);
      await ctx.elicit({ message: `q${n}`, requestedSchema: FORM }, { key: `q${n}` });
      return { content: [{ type: 'text', text: `n=${n}` }] };
    });
    const { client } = await connect(server);
    const r1 = (await client.modern('tools/call', { name: 'count' }, {}, ALL_CAPS)).result as JsonObject;
    expect(Object.keys(r1.inputRequests as JsonObject)).toEqual(['q0']);
    const r2 = (
      await client.modern(
        'tools/call',
        { name: 'count', requestState: r1.requestState, inputResponses: { q0: { action: 'decline' } } },
        {},
        ALL_CAPS,
      )
    ).result as JsonObject;
    // The retry's run started from state 1 (set in round 1), so it asks q1 — q0's answer is not reused under q1.
    expect(Object.keys(r2.inputRequests as JsonObject)).toEqual(['q1']);
  });
});

describe('a task’s work (2026-07-28 tasks extension): named keys', () => {
  it('names the task’s input requests, keeps the answers in inputResponses and refuses a duplicate key', async () => {
    const server = makeServer();
    server.registerTool('job', { execution: { taskSupport: 'optional' } }, () =>
      asTask(async (task) => {
        task.setRequestState({ phase: 1 });
        await task.elicit({ message: 'Go?', requestedSchema: FORM }, { key: 'go' });
        const dup = await task.listRoots({ key: 'go' }).then(
          () => 'sent',
          (err: Error) => err.message,
        );
        const answers = Object.keys(task.inputResponses).join(',');
        return { content: [{ type: 'text', text: `${answers}|${JSON.stringify(task.requestState())}|${dup}` }] };
      }),
    );
    const { client } = await connect(server);
    const caps = { ...ALL_CAPS, extensions: { [TASKS_EXTENSION]: {} } };
    const created = (await client.modern('tools/call', { name: 'job' }, {}, caps)).result as JsonObject;
    const taskId = created.taskId as string;
    expect(taskId).toEqual(expect.any(String));
    const poll = async (done: (r: JsonObject) => boolean) => {
      for (let i = 0; i < 300; i++) {
        const r = (await client.modern('tasks/get', { taskId }, {}, caps)).result as JsonObject;
        if (done(r)) return r;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error('task never got there');
    };
    const waiting = await poll((r) => r.status === 'input_required');
    expect(waiting.inputRequests).toEqual({
      go: { method: 'elicitation/create', params: { message: 'Go?', requestedSchema: FORM } },
    });
    await client.modern(
      'tasks/update',
      { taskId, inputResponses: { go: { action: 'accept', content: {} } } },
      {},
      caps,
    );
    const done = await poll((r) => r.status === 'completed');
    expect(text(done.result as JsonObject)).toBe(
      'go|{"phase":1}|roots/list: input key \'go\' was already used by another input request of this handler run; each input request needs its own key',
    );
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

  it('named keys: real requests, answers in ctx.inputResponses, a duplicate key fails, state stays local', async () => {
    const server = makeServer();
    server.registerTool('named', {}, async (_args, ctx) => {
      ctx.setRequestState({ local: true });
      const name = await ctx.elicit({ message: 'Name?', requestedSchema: FORM }, { key: 'user_name' });
      const roots = await ctx.listRoots();
      const dup = await ctx.listRoots({ key: 'user_name' }).then(
        () => 'sent',
        (err: Error) => err.message,
      );
      return {
        content: [
          {
            type: 'text',
            text: [
              (name.content as JsonObject).name,
              roots.roots.length,
              Object.keys(ctx.inputResponses).join(','),
              JSON.stringify(ctx.requestState()),
              dup,
            ].join('|'),
          },
        ],
      };
    });
    const { client } = await connect(server);
    await client.initialize('2025-11-25', ALL_CAPS);
    client.send({ jsonrpc: '2.0', id: 'n', method: 'tools/call', params: { name: 'named' } });
    const elicit = await client.waitFor((m) => m.method === 'elicitation/create' && m.id !== undefined);
    expect(elicit.params).toEqual({ message: 'Name?', requestedSchema: FORM }); // the key is not on the wire
    client.send({ jsonrpc: '2.0', id: elicit.id, result: { action: 'accept', content: { name: 'Jo' } } });
    const roots = await client.waitFor((m) => m.method === 'roots/list' && m.id !== undefined);
    client.send({ jsonrpc: '2.0', id: roots.id, result: { roots: [] } });
    const r = await client.response('n');
    expect(text(r.result as JsonObject)).toBe(
      'Jo|0|user_name,roots-0|{"local":true}|roots/list: input key \'user_name\' was already used by another input request of this handler run; each input request needs its own key',
    );
    // the duplicate was refused before anything was sent
    expect(client.received.filter((m) => m.method === 'roots/list')).toHaveLength(1);
  });

  it('a capability the client did not declare makes the tool fail (isError)', async () => {
    const { client, session } = await connect(makeServer());
    await client.initialize('2025-11-25', {});
    const r = await client.call('tools/call', { name: 'ask' });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('did not declare the required capability {"elicitation":{"form":{}}}');
    await expect(session.listRoots()).rejects.toMatchObject({ code: -32021 });
  });

  it('a mode or sampling feature the client did not declare is refused (-32021) and nothing is sent', async () => {
    const { client, session } = await connect(makeServer());
    await client.initialize('2025-11-25', { elicitation: {}, sampling: {} }); // bare elicitation = form only
    const url = { mode: 'url' as const, message: 'Log in', url: 'https://example.com/login' };
    await expect(session.elicit(url)).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: { url: {} } } },
    });
    const sampling = { messages: [], maxTokens: 5 };
    await expect(session.createMessage({ ...sampling, tools: [] })).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { sampling: { tools: {} } } },
    });
    await expect(session.createMessage({ ...sampling, toolChoice: { mode: 'auto' } })).rejects.toMatchObject({
      code: -32021,
    });
    const { client: urlOnly, session: urlSession } = await connect(makeServer());
    await urlOnly.initialize('2025-11-25', { elicitation: { url: {} } });
    await expect(urlSession.elicit({ message: 'Name?', requestedSchema: FORM })).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: { form: {} } } },
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.received.filter((m) => m.id !== undefined && m.method !== undefined)).toHaveLength(0);
    expect(urlOnly.received.filter((m) => m.id !== undefined && m.method !== undefined)).toHaveLength(0);
  });

  it('URL-mode elicitation (2025-11-25) carries an elicitationId, generated when absent; completeElicitation', async () => {
    const { client, session } = await connect(makeServer());
    await client.initialize('2025-11-25', { elicitation: { url: {} }, sampling: { tools: {} } });
    const pending = session.elicit({ mode: 'url', message: 'Log in', url: 'https://example.com/login' });
    const sent = await client.waitFor((m) => m.method === 'elicitation/create' && m.id !== undefined);
    expect(sent.params).toEqual({
      mode: 'url',
      message: 'Log in',
      url: 'https://example.com/login',
      elicitationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    client.send({ jsonrpc: '2.0', id: sent.id, result: { action: 'accept' } });
    await expect(pending).resolves.toEqual({ action: 'accept' });
    const own = session.elicit({ mode: 'url', message: 'Pay', url: 'https://example.com/pay', elicitationId: 'pay-1' });
    const second = await client.waitFor(
      (m) => m.method === 'elicitation/create' && (m.params as JsonObject).elicitationId === 'pay-1',
    );
    client.send({ jsonrpc: '2.0', id: second.id, result: { action: 'decline' } });
    await expect(own).resolves.toEqual({ action: 'decline' });
    expect(session.completeElicitation('pay-1')).toBe(true);
    const done = await client.waitFor((m) => m.method === 'notifications/elicitation/complete');
    expect(done.params).toEqual({ elicitationId: 'pay-1' });
    await expect(session.elicit({ mode: 'url', message: 'no url' })).rejects.toMatchObject({ code: -32602 });
    // tools in sampling are sent once declared
    const sampled = session.createMessage({ messages: [], maxTokens: 5, tools: [] });
    const req = await client.waitFor((m) => m.method === 'sampling/createMessage');
    client.send({ jsonrpc: '2.0', id: req.id, result: { role: 'assistant', content: { type: 'text', text: 'ok' } } });
    await expect(sampled).resolves.toMatchObject({ role: 'assistant' });
  });

  it('notifications/roots/list_changed reaches onRootsListChanged and session.onrootslistchanged (legacy only)', async () => {
    const seen: string[] = [];
    const server = makeServer({ onRootsListChanged: (s) => seen.push(`server:${s.protocolVersion}`) });
    const { client, session } = await connect(server);
    session.onrootslistchanged = () => seen.push('session');
    await client.initialize('2025-06-18', { roots: { listChanged: true } });
    client.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    await vi.waitFor(() => expect(seen).toEqual(['session', 'server:2025-06-18']));
    const { client: modern } = await connect(server);
    await modern.modern('tools/list');
    modern.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    await modern.modern('tools/list');
    expect(seen).toHaveLength(2);
    expect(() => new McpServer({ name: 'x', version: '1' }, { onRootsListChanged: 1 as never })).toThrow(
      /onRootsListChanged must be a function/,
    );
  });

  it('session.request refuses outside the legacy era', async () => {
    const { client, session } = await connect(makeServer());
    await client.modern('tools/list');
    await expect(session.ping()).rejects.toMatchObject({ code: -32601 });
    await expect(session.elicit({ message: 'x' })).rejects.toBeInstanceOf(McpError);
  });
});
