import { afterEach, describe, expect, it, vi } from 'vitest';
import { NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError, RpcCode } from '../../src/protocol/jsonrpc.js';
import {
  asTask,
  InMemoryTaskStore,
  McpServer,
  META,
  RELATED_TASK_META,
  type ServerContext,
  TASKS_EXTENSION,
  type TaskRecord,
} from '../../src/server/index.js';
import { modernHeaderProblem } from '../../src/transport/http/server/headers.js';
import { connect, type RawClient } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

const INFO = { name: 'tasks', version: '1.0.0' };
const SI = { [META.SERVER_INFO]: INFO };
/** Client capabilities that declare the tasks extension (and elicitation, for input requests). */
const TASKS_CAPS = { elicitation: {}, extensions: { [TASKS_EXTENSION]: {} } };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** A server whose `gated` task waits for `gate` — so that "working" is observable, not a race. */
function makeServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
  const server = new McpServer(INFO, options);
  servers.push(server);
  const state = { gate: deferred(), started: 0, aborted: 0, signals: [] as AbortSignal[] };
  server.registerTool('sync', {}, () => text('plain'));
  server.registerTool(
    'gated',
    { execution: { taskSupport: 'optional' }, inputSchema: { type: 'object', properties: { n: { type: 'number' } } } },
    (args) =>
      asTask(async (ctx) => {
        state.started++;
        state.signals.push(ctx.signal);
        ctx.signal.addEventListener('abort', () => state.aborted++);
        await state.gate.promise;
        return text(`done ${String(args.n ?? 0)}`);
      }),
  );
  server.registerTool('tool_error', { execution: { taskSupport: 'optional' } }, () =>
    asTask(() => {
      throw new Error('boom');
    }),
  );
  server.registerTool('protocol_error', { execution: { taskSupport: 'optional' } }, () =>
    asTask(() => {
      throw new McpError(RpcCode.INTERNAL_ERROR, 'crashed', { why: 'test' });
    }),
  );
  let requiredRuns = 0;
  server.registerTool('required', { execution: { taskSupport: 'required' } }, () => {
    requiredRuns++;
    return asTask(() => text('required done'));
  });
  server.registerTool('ask_two', { execution: { taskSupport: 'optional' } }, () =>
    asTask(async (ctx) => {
      const [a, b] = await Promise.all([
        ctx.elicit({ message: 'a?', requestedSchema: { type: 'object', properties: {} } }),
        ctx.elicit({ message: 'b?', requestedSchema: { type: 'object', properties: {} } }),
      ]);
      return text(`${String(a.content?.v)}+${String(b.content?.v)}`);
    }),
  );
  server.registerTool('mrtr_then_task', { execution: { taskSupport: 'required' } }, async (_args, ctx) => {
    const answer = await ctx.elicit({ message: 'name?', requestedSchema: { type: 'object', properties: {} } });
    return asTask(() => text(`hello ${String(answer.content?.name)}`));
  });
  return { server, state, requiredRuns: () => requiredRuns };
}

/** A 2026-07-28 request declaring the tasks extension (or `caps`). */
function task(client: RawClient, method: string, params: JsonObject = {}, caps: JsonObject = TASKS_CAPS) {
  return client.modern(method, params, {}, caps);
}

async function pollUntil(client: RawClient, taskId: string, done: (r: JsonObject) => boolean): Promise<JsonObject> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const r = await task(client, 'tasks/get', { taskId });
    const result = r.result as JsonObject;
    if (result && done(result)) return result;
    if (Date.now() > deadline) throw new Error(`task ${taskId} never matched; last: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const terminal = (r: JsonObject) => ['completed', 'failed', 'cancelled'].includes(r.status as string);

describe('tasks, 2026-07-28 (io.modelcontextprotocol/tasks)', () => {
  it('server/discover lists the extension under capabilities.extensions, and no v1 `tasks` slot', async () => {
    const { client } = await connect(makeServer().server);
    const caps = ((await client.modern('server/discover')).result as JsonObject).capabilities as JsonObject;
    expect(caps.extensions).toEqual({ [TASKS_EXTENSION]: {} });
    expect(caps.tasks).toBeUndefined();
  });

  it('a server without task-supporting tools neither advertises nor serves tasks', async () => {
    const server = new McpServer(INFO);
    servers.push(server);
    server.registerTool('sync', {}, () => text('x'));
    const { client } = await connect(server);
    const caps = ((await client.modern('server/discover')).result as JsonObject).capabilities as JsonObject;
    expect(caps.extensions).toBeUndefined();
    expect((await task(client, 'tasks/get', { taskId: 'x' })).error).toMatchObject({ code: RpcCode.METHOD_NOT_FOUND });
  });

  it('create → tasks/get working → completed with the result inlined', async () => {
    const { server, state } = makeServer();
    const { client } = await connect(server);
    const created = (await task(client, 'tools/call', { name: 'gated', arguments: { n: 7 } })).result as JsonObject;
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 3_600_000, pollIntervalMs: 1000 });
    expect(created._meta).toEqual(SI);
    const taskId = created.taskId as string;
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.createdAt as string)).not.toBeNaN();
    for (const absent of ['task', 'result', 'error', 'inputRequests', 'requestState', 'ttl', 'pollInterval']) {
      expect(created).not.toHaveProperty(absent);
    }

    const working = (await task(client, 'tasks/get', { taskId })).result as JsonObject;
    expect(working).toMatchObject({ resultType: 'complete', taskId, status: 'working' });
    expect(working).not.toHaveProperty('result');
    state.gate.resolve();
    const done = await pollUntil(client, taskId, terminal);
    expect(done).toMatchObject({ resultType: 'complete', taskId, status: 'completed' });
    // The tool's own result, no related-task _meta (the taskId is at the root).
    expect(done.result).toEqual({ content: [{ type: 'text', text: 'done 7' }] });
    expect(state.started).toBe(1);
  });

  it('a tool error completes with isError; a JSON-RPC error fails with `error` and no result', async () => {
    const { client } = await connect(makeServer().server);
    const toolError = (await task(client, 'tools/call', { name: 'tool_error' })).result as JsonObject;
    const t1 = await pollUntil(client, toolError.taskId as string, terminal);
    expect(t1.status).toBe('completed');
    expect(t1.result).toEqual({ content: [{ type: 'text', text: 'boom' }], isError: true });

    const protocol = (await task(client, 'tools/call', { name: 'protocol_error' })).result as JsonObject;
    const t2 = await pollUntil(client, protocol.taskId as string, terminal);
    expect(t2.status).toBe('failed');
    expect(t2.error).toEqual({ code: RpcCode.INTERNAL_ERROR, message: 'crashed', data: { why: 'test' } });
    expect(t2).not.toHaveProperty('result');
  });

  it('tasks/cancel: an empty ack, the work is aborted, the status is cancelled, a late result is dropped', async () => {
    const { server, state } = makeServer();
    const { client } = await connect(server);
    const { taskId } = (await task(client, 'tools/call', { name: 'gated' })).result as { taskId: string };
    await pollUntil(client, taskId, () => state.started === 1);
    const ack = await task(client, 'tasks/cancel', { taskId });
    expect(ack.result).toEqual({ resultType: 'complete', _meta: SI });
    expect(state.aborted).toBe(1);
    expect(((await task(client, 'tasks/get', { taskId })).result as JsonObject).status).toBe('cancelled');
    state.gate.resolve(); // the work ends after the cancel: its result must not replace `cancelled`
    await client.settle(5);
    const after = (await task(client, 'tasks/get', { taskId })).result as JsonObject;
    expect(after.status).toBe('cancelled');
    expect(after).not.toHaveProperty('result');
    // Idempotent on a finished task: the same ack.
    expect((await task(client, 'tasks/cancel', { taskId })).result).toEqual({ resultType: 'complete', _meta: SI });
  });

  it('unknown task ids are -32602 on tasks/get, tasks/update and tasks/cancel', async () => {
    const { client } = await connect(makeServer().server);
    for (const [method, params] of [
      ['tasks/get', { taskId: 'nope' }],
      ['tasks/update', { taskId: 'nope', inputResponses: {} }],
      ['tasks/cancel', { taskId: 'nope' }],
      ['tasks/get', {}],
    ] as const) {
      expect((await task(client, method, params)).error, method).toMatchObject({ code: RpcCode.INVALID_PARAMS });
    }
  });

  it('tasks/result and tasks/list do not exist in 2026-07-28 (-32601)', async () => {
    const { client } = await connect(makeServer().server);
    expect((await task(client, 'tasks/result', { taskId: 'x' })).error).toMatchObject({ code: -32601 });
    expect((await task(client, 'tasks/list')).error).toMatchObject({ code: -32601 });
  });

  it('without the extension on the request: tasks/* are -32021, optional tools answer inline, required ones refuse', async () => {
    const { server, state, requiredRuns } = makeServer();
    const { client } = await connect(server);
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      const r = await task(client, method, { taskId: 'x', inputResponses: {} }, {});
      expect(r.error, method).toMatchObject({
        code: -32021,
        data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
      });
    }
    state.gate.resolve();
    const inline = (await task(client, 'tools/call', { name: 'gated', arguments: { n: 1 } }, {})).result;
    expect(inline).toEqual({ resultType: 'complete', _meta: SI, content: [{ type: 'text', text: 'done 1' }] });
    const refused = await task(client, 'tools/call', { name: 'required' }, {});
    expect(refused.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    });
    expect(requiredRuns()).toBe(0);
    // A sync tool never becomes a task, even for a declaring client sending the legacy `task` param.
    const sync = await task(client, 'tools/call', { name: 'sync', task: { ttl: 1000 } });
    expect(sync.result).toEqual({ resultType: 'complete', _meta: SI, content: [{ type: 'text', text: 'plain' }] });
  });

  it('input requests: input_required with every pending key, partial tasks/update, unknown keys ignored', async () => {
    const { client } = await connect(makeServer().server);
    const { taskId } = (await task(client, 'tools/call', { name: 'ask_two' })).result as { taskId: string };
    const waiting = await pollUntil(
      client,
      taskId,
      (r) => Object.keys((r.inputRequests as JsonObject | undefined) ?? {}).length === 2,
    );
    expect(waiting.status).toBe('input_required');
    const [k1, k2] = Object.keys(waiting.inputRequests as JsonObject) as [string, string];
    expect((waiting.inputRequests as JsonObject)[k1]).toMatchObject({
      method: 'elicitation/create',
      params: { message: 'a?' },
    });
    expect(
      (await task(client, 'tasks/update', { taskId, inputResponses: 'x' as unknown as JsonObject })).error,
    ).toMatchObject({ code: RpcCode.INVALID_PARAMS });

    const ack = await task(client, 'tasks/update', {
      taskId,
      inputResponses: { [k1]: { action: 'accept', content: { v: 1 } }, bogus: { action: 'accept' } },
    });
    expect(ack.result).toEqual({ resultType: 'complete', _meta: SI });
    const partial = (await task(client, 'tasks/get', { taskId })).result as JsonObject;
    expect(partial.status).toBe('input_required');
    expect(Object.keys(partial.inputRequests as JsonObject)).toEqual([k2]);
    // An answered key is not taken twice.
    await task(client, 'tasks/update', { taskId, inputResponses: { [k1]: { action: 'accept', content: { v: 9 } } } });
    await task(client, 'tasks/update', { taskId, inputResponses: { [k2]: { action: 'accept', content: { v: 2 } } } });
    const done = await pollUntil(client, taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ type: 'text', text: '1+2' }] } });
    expect(done).not.toHaveProperty('inputRequests');
  });

  it('input a task cannot ask for (no elicitation capability) fails the task with -32021', async () => {
    const { client } = await connect(makeServer().server);
    const caps = { extensions: { [TASKS_EXTENSION]: {} } };
    const created = (await task(client, 'tools/call', { name: 'ask_two' }, caps)).result as JsonObject;
    const t = await pollUntil(client, created.taskId as string, terminal);
    expect(t).toMatchObject({ status: 'failed', error: { code: -32021 } });
  });

  it('an input_required round on tools/call, then a task on the retry (no requestState on the task)', async () => {
    const { client } = await connect(makeServer().server);
    const round1 = (await task(client, 'tools/call', { name: 'mrtr_then_task' })).result as JsonObject;
    expect(round1.resultType).toBe('input_required');
    expect(round1).not.toHaveProperty('taskId');
    const key = Object.keys(round1.inputRequests as JsonObject)[0] as string;
    const round2 = (
      await task(client, 'tools/call', {
        name: 'mrtr_then_task',
        inputResponses: { [key]: { action: 'accept', content: { name: 'Alice' } } },
        requestState: round1.requestState as string,
      })
    ).result as JsonObject;
    expect(round2.resultType).toBe('task');
    expect(round2).not.toHaveProperty('requestState');
    expect(round2).not.toHaveProperty('inputRequests');
    const done = await pollUntil(client, round2.taskId as string, terminal);
    expect(done.result).toEqual({ content: [{ type: 'text', text: 'hello Alice' }] });
  });

  it('a task is gone once its TTL has elapsed (-32602), and is there until then', async () => {
    let now = Date.now();
    const store = new InMemoryTaskStore({ now: () => now });
    const { server, state } = makeServer({ tasks: { store, ttlMs: 60_000, pollIntervalMs: 50 } });
    state.gate.resolve();
    const { client } = await connect(server);
    const created = (await task(client, 'tools/call', { name: 'gated' })).result as JsonObject;
    expect(created).toMatchObject({ ttlMs: 60_000, pollIntervalMs: 50 });
    const taskId = created.taskId as string;
    await pollUntil(client, taskId, terminal);
    now += 59_000;
    expect(((await task(client, 'tasks/get', { taskId })).result as JsonObject).status).toBe('completed');
    now += 2_000;
    expect((await task(client, 'tasks/get', { taskId })).error).toMatchObject({ code: RpcCode.INVALID_PARAMS });
    expect(store.size).toBe(0);
  });

  it('a full store refuses new tasks with -32603 while all are running', async () => {
    const { server } = makeServer({ tasks: { maxTasks: 2 } });
    const { client } = await connect(server);
    await task(client, 'tools/call', { name: 'gated' });
    await task(client, 'tools/call', { name: 'gated' });
    const third = await task(client, 'tools/call', { name: 'gated' });
    expect(third.error).toMatchObject({ code: RpcCode.INTERNAL_ERROR });
    expect((server.taskStore as InMemoryTaskStore).size).toBe(2);
  });

  it('closing the server fails the running tasks (a stored `working` task would be polled forever)', async () => {
    const store = new InMemoryTaskStore();
    const { server, state } = makeServer({ tasks: { store } });
    const { client } = await connect(server);
    const { taskId } = (await task(client, 'tools/call', { name: 'gated' })).result as { taskId: string };
    await pollUntil(client, taskId, () => state.started === 1);
    await server.close();
    expect(store.get(taskId)).toMatchObject({ status: 'failed', error: { code: RpcCode.INTERNAL_ERROR } });
    expect(state.signals[0]?.aborted).toBe(true);
  });

  it('Mcp-Name must mirror params.taskId on tasks/* over HTTP (SEP-2663 routing header)', () => {
    const body = (method: string) => ({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: { taskId: 't-1', _meta: { [META.PROTOCOL_VERSION]: '2026-07-28' } },
    });
    const headers = (name?: string) => ({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tasks/get',
      ...(name === undefined ? {} : { 'mcp-name': name }),
    });
    expect(modernHeaderProblem(headers('t-1'), body('tasks/get'))).toBeUndefined();
    expect(modernHeaderProblem(headers('other'), body('tasks/get'))).toMatchObject({ status: 400, code: -32020 });
    expect(modernHeaderProblem(headers(), body('tasks/get'))).toMatchObject({ status: 400, code: -32020 });
  });
});

describe('tasks, 2025-11-25 (experimental core tasks)', () => {
  it('initialize declares `tasks` (not the extension) on 2025-11-25 only; tools/list shows execution', async () => {
    const { client } = await connect(makeServer().server);
    const caps = (await client.initialize('2025-11-25')).capabilities as JsonObject;
    expect(caps.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    expect(caps.extensions).toBeUndefined();
    const tools = (await client.call('tools/list')).tools as JsonObject[];
    expect(tools.find((t) => t.name === 'gated')?.execution).toEqual({ taskSupport: 'optional' });
    expect(tools.find((t) => t.name === 'sync')).not.toHaveProperty('execution');

    const old = await connect(makeServer().server);
    const oldCaps = (await old.client.initialize('2025-06-18')).capabilities as JsonObject;
    expect(oldCaps.tasks).toBeUndefined();
    expect((await old.client.request('tasks/get', { taskId: 'x' })).error).toMatchObject({ code: -32601 });
  });

  it('task-augmented tools/call → tasks/get → tasks/result (blocks, then the result with related-task)', async () => {
    const { server, state } = makeServer();
    const { client } = await connect(server);
    await client.initialize('2025-11-25');
    const created = await client.call('tools/call', { name: 'gated', arguments: { n: 3 }, task: { ttl: 5000 } });
    const t = created.task as JsonObject;
    expect(t).toMatchObject({ status: 'working', ttl: 5000, pollInterval: 1000 });
    expect(t).not.toHaveProperty('ttlMs');
    const taskId = t.taskId as string;
    expect(await client.call('tasks/get', { taskId })).toMatchObject({ taskId, status: 'working' });
    const pending = client.request('tasks/result', { taskId }, 'result-1');
    await client.settle(5);
    expect(client.received.some((m) => m.id === 'result-1')).toBe(false); // tasks/result waits for the task
    state.gate.resolve();
    const result = (await pending).result as JsonObject;
    expect(result).toEqual({
      content: [{ type: 'text', text: 'done 3' }],
      _meta: { [RELATED_TASK_META]: { taskId } },
    });
  });

  it('tasks/result of a failed task is its JSON-RPC error', async () => {
    const { client } = await connect(makeServer().server);
    await client.initialize('2025-11-25');
    const { task: t } = (await client.call('tools/call', { name: 'protocol_error', task: {} })) as { task: JsonObject };
    const r = await client.request('tasks/result', { taskId: t.taskId as string });
    expect(r.error).toMatchObject({ code: RpcCode.INTERNAL_ERROR, message: 'crashed', data: { why: 'test' } });
  });

  it('tasks/list and tasks/get see only the session’s own tasks', async () => {
    const { server } = makeServer();
    const a = await connect(server);
    const b = await connect(server);
    await a.client.initialize('2025-11-25');
    await b.client.initialize('2025-11-25');
    const { task: t } = (await a.client.call('tools/call', { name: 'gated', task: {} })) as { task: JsonObject };
    expect(((await a.client.call('tasks/list')).tasks as JsonObject[]).map((x) => x.taskId)).toEqual([t.taskId]);
    expect((await b.client.call('tasks/list')).tasks).toEqual([]);
    expect((await b.client.request('tasks/get', { taskId: t.taskId as string })).error).toMatchObject({
      code: RpcCode.INVALID_PARAMS,
    });
  });

  it('tasks/cancel returns the cancelled task; cancelling a finished task is -32602', async () => {
    const { server, state } = makeServer();
    const { client } = await connect(server);
    await client.initialize('2025-11-25');
    const { task: t } = (await client.call('tools/call', { name: 'gated', task: {} })) as { task: JsonObject };
    const cancelled = await client.call('tasks/cancel', { taskId: t.taskId as string });
    expect(cancelled).toMatchObject({ taskId: t.taskId, status: 'cancelled' });
    expect((await client.request('tasks/cancel', { taskId: t.taskId as string })).error).toMatchObject({
      code: RpcCode.INVALID_PARAMS,
    });
    state.gate.resolve();
  });

  it('a required tool called without `task` is -32601; a forbidden tool ignores `task`', async () => {
    const { server, requiredRuns } = makeServer();
    const { client } = await connect(server);
    await client.initialize('2025-11-25');
    expect((await client.request('tools/call', { name: 'required' })).error).toMatchObject({ code: -32601 });
    expect(requiredRuns()).toBe(0);
    expect(await client.call('tools/call', { name: 'sync', task: {} })).toEqual(text('plain'));
  });

  it('a task asking for input sends the request to the client (related-task) and shows input_required', async () => {
    const server = new McpServer(INFO);
    servers.push(server);
    server.registerTool('ask', { execution: { taskSupport: 'optional' } }, () =>
      asTask(async (taskCtx: ServerContext) => {
        const r = await taskCtx.elicit({ message: 'ok?', requestedSchema: { type: 'object', properties: {} } });
        return text(`answer ${r.action}`);
      }),
    );
    const { client } = await connect(server);
    await client.initialize('2025-11-25', { elicitation: {} });
    const { task: t } = (await client.call('tools/call', { name: 'ask', task: {} })) as { task: JsonObject };
    const taskId = t.taskId as string;
    const elicit = await client.waitFor((m) => m.method === 'elicitation/create');
    expect((elicit.params as JsonObject)._meta).toEqual({ [RELATED_TASK_META]: { taskId } });
    expect(await client.call('tasks/get', { taskId })).toMatchObject({ status: 'input_required' });
    client.send({ jsonrpc: '2.0', id: elicit.id, result: { action: 'accept', content: {} } });
    expect((await client.call('tasks/result', { taskId })).content).toEqual([{ type: 'text', text: 'answer accept' }]);
    // notifications/tasks/status on each change (2025-11-25, a MAY), the full Task, sent once stored
    await vi.waitFor(() =>
      expect(
        client.received
          .filter((m) => m.method === 'notifications/tasks/status')
          .map((m) => (m.params as JsonObject).status),
      ).toEqual(['input_required', 'working', 'completed']),
    );
    const last = client.received.filter((m) => m.method === 'notifications/tasks/status').at(-1);
    expect(last?.params).toMatchObject({ taskId, status: 'completed', pollInterval: 1000 });
    expect(last?.params).toHaveProperty('ttl');
    expect(last?.params).toHaveProperty('lastUpdatedAt');
  });

  it('a task’s URL-mode elicitation carries an elicitationId (and needs elicitation.url)', async () => {
    const server = new McpServer(INFO);
    servers.push(server);
    server.registerTool('login', { execution: { taskSupport: 'optional' } }, () =>
      asTask(async (taskCtx: ServerContext) => {
        const r = await taskCtx.elicit({ mode: 'url', message: 'Log in', url: 'https://example.com/login' });
        return text(`login ${r.action}`);
      }),
    );
    const { client } = await connect(server);
    await client.initialize('2025-11-25', { elicitation: { url: {} } });
    const { task: t } = (await client.call('tools/call', { name: 'login', task: {} })) as { task: JsonObject };
    const elicit = await client.waitFor((m) => m.method === 'elicitation/create');
    expect(elicit.params).toMatchObject({ mode: 'url', elicitationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    client.send({ jsonrpc: '2.0', id: elicit.id, result: { action: 'accept' } });
    const done = await client.call('tasks/result', { taskId: t.taskId as string });
    expect(done.content).toEqual([{ type: 'text', text: 'login accept' }]);
  });

  it('a cancelled task notifies its status once; other sessions hear nothing', async () => {
    const { server, state } = makeServer();
    const a = await connect(server);
    const b = await connect(server);
    await a.client.initialize('2025-11-25');
    await b.client.initialize('2025-11-25');
    const { task: t } = (await a.client.call('tools/call', { name: 'gated', task: {} })) as { task: JsonObject };
    await a.client.call('tasks/cancel', { taskId: t.taskId as string });
    state.gate.resolve(); // the late result is dropped: no `completed`
    await a.client.settle(5);
    const statuses = (c: typeof a.client) =>
      c.received.filter((m) => m.method === 'notifications/tasks/status').map((m) => (m.params as JsonObject).status);
    expect(statuses(a.client)).toEqual(['cancelled']);
    expect(statuses(b.client)).toEqual([]);
  });
});

describe('task configuration and the store', () => {
  it('rejects an invalid taskSupport and invalid task options', () => {
    const server = new McpServer(INFO);
    expect(() =>
      server.registerTool('bad', { execution: { taskSupport: 'sometimes' as 'optional' } }, () => text('x')),
    ).toThrow(NmcpError);
    expect(() => new McpServer(INFO, { tasks: { ttlMs: 0 } })).toThrow(NmcpError);
    expect(() => new McpServer(INFO, { tasks: { pollIntervalMs: 1.5 } })).toThrow(NmcpError);
  });

  it('asTask() from a tool without task support is a tool error, not a silent task', async () => {
    const server = new McpServer(INFO, { tasks: {} });
    servers.push(server);
    server.registerTool('undeclared', {}, () => asTask(() => text('x')));
    const { client } = await connect(server);
    const r = (await task(client, 'tools/call', { name: 'undeclared' })).result as JsonObject;
    expect(r.isError).toBe(true);
    expect(r).not.toHaveProperty('taskId');
  });

  it('InMemoryTaskStore is bounded: the oldest finished task makes room; running tasks are never evicted', () => {
    const store = new InMemoryTaskStore({ maxTasks: 2 });
    const rec = (taskId: string, status: TaskRecord['status']): TaskRecord => ({
      taskId,
      status,
      createdAt: new Date().toISOString(),
      lastUpdatedAt: new Date().toISOString(),
      ttlMs: null,
    });
    store.create(rec('a', 'working'));
    store.create(rec('b', 'working'));
    expect(() => store.create(rec('c', 'working'))).toThrow(McpError);
    store.update(rec('a', 'completed'));
    store.create(rec('c', 'working'));
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')?.status).toBe('working');
    expect(store.get('c')?.status).toBe('working');
    // Copies: changing what get() returned does not change the store.
    const got = store.get('b') as TaskRecord;
    got.status = 'failed';
    expect(store.get('b')?.status).toBe('working');
    store.update(rec('zzz', 'completed')); // unknown: stays absent
    expect(store.get('zzz')).toBeUndefined();
  });
});
