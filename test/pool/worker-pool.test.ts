/**
 * WorkerPool over real worker threads (piscina): results, the queue bound (refused at once), overflow workers that
 * start and retire, per-handler concurrency, progress out of a worker, cancellation into one (cooperative, and by
 * terminating a handler that never yields), a crashing and a hanging worker answered with errors while the others go
 * on, and the same through McpServer and a client: tools, prompts and resources registered with `runIn: 'worker'`, and
 * their arguments crossing as the request's frame text (parsed in the worker) intact — unicode, nested, large.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { McpClient } from '../../src/client/mcp-client.js';
import { type PoolCallOptions, type WorkerHandlerSpec, WorkerPool } from '../../src/pool/worker-pool.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { McpServer, type WorkerRunner } from '../../src/server/mcp-server.js';
import { ResourceTemplate } from '../../src/server/resources.js';
import { MemoryTransport } from '../../src/transport/memory.js';

vi.setConfig({ testTimeout: 30_000 });

const fixtures = new URL('./fixtures/handlers.mjs', import.meta.url);
const spec = (name: string, extra: Partial<WorkerHandlerSpec> = {}): WorkerHandlerSpec => ({
  module: fixtures,
  export: name,
  ...extra,
});

const pools: WorkerPool[] = [];
function pool(options: ConstructorParameters<typeof WorkerPool>[0] = {}): WorkerPool {
  const p = new WorkerPool({ workerCount: 1, maxOverflow: 0, cancelGraceMs: 200, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

describe('WorkerPool', () => {
  it('runs a handler in a worker thread with its arguments; the result comes back', async () => {
    const p = pool();
    const r = (await p.run(spec('hash'), { mib: 1, rounds: 2 })) as { digest: string; threadId: number };
    expect(r.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(r.threadId).toBeGreaterThan(0); // not the main thread (0)
    const nested = { a: [1, 2, { b: 'é' }], n: null, big: 'x'.repeat(10_000) };
    expect(await p.run(spec('echo'), nested)).toEqual(nested);
    expect(p.stats()).toMatchObject({ completed: 2, failed: 0, crashed: 0 });
  });

  it('past maxQueueLength a call is refused at once with a JSON-RPC error; the queued ones still run', async () => {
    const p = pool({ maxQueueLength: 2 });
    const running = [
      p.run(spec('slow'), { ms: 300 }),
      p.run(spec('slow'), { ms: 10 }),
      p.run(spec('slow'), { ms: 10 }),
    ];
    await sleep(50);
    const started = Date.now();
    const refused = await p.run(spec('slow'), { ms: 10 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(100);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(-32000);
    expect((refused as McpError).message).toMatch(/queue is full \(maxQueueLength 2\)/);
    expect(await Promise.all(running)).toHaveLength(3);
    expect(p.stats()).toMatchObject({ refused: 1, completed: 3 });
  });

  it('overflow workers start while tasks wait and retire after idleTimeoutMs', async () => {
    const p = pool({ workerCount: 1, maxOverflow: 2, idleTimeoutMs: 200 });
    const calls = Array.from({ length: 3 }, () => p.run(spec('slow'), { ms: 300 }));
    await sleep(150);
    expect(p.stats().threads).toBe(3);
    const ids = new Set(((await Promise.all(calls)) as { threadId: number }[]).map((r) => r.threadId));
    expect(ids.size).toBe(3); // three threads ran them side by side
    const deadline = Date.now() + 5_000;
    while (p.stats().threads > 1 && Date.now() < deadline) await sleep(50);
    expect(p.stats().threads).toBe(1);
  });

  it('per-handler concurrency: calls of one handler take turns, FIFO', async () => {
    const p = pool({ workerCount: 3 });
    const one = spec('slow', { concurrency: 1 });
    const runs = (await Promise.all([0, 1, 2].map(() => p.run(one, { ms: 80 })))) as { start: number; end: number }[];
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]?.start).toBeGreaterThanOrEqual(runs[i - 1]?.end as number);
    }
  });

  it('progress comes out of the worker; cancellation reaches the handler’s own signal', async () => {
    const p = pool();
    const seen: [number, number | undefined, string | undefined][] = [];
    expect(await p.run(spec('progress'), {}, { progress: (a, b, c) => seen.push([a, b, c]) })).toBe('done');
    expect(seen).toEqual([
      [1, 3, 'step 1'],
      [2, 3, 'step 2'],
      [3, 3, 'step 3'],
    ]);
    const controller = new AbortController();
    const notes: string[] = [];
    const call = p.run(
      spec('cooperative'),
      {},
      { signal: controller.signal, progress: (_a, _b, m) => notes.push(String(m)) },
    );
    await sleep(50);
    controller.abort(new Error('client went away'));
    const e = await call.catch((x: unknown) => x);
    expect((e as McpError).message).toBe('cancelled');
    expect(notes).toEqual(['saw: client went away']);
    expect(p.stats().cancelled).toBe(1);
  });

  it('a handler that never yields: cancelling it terminates its worker after cancelGraceMs; the pool goes on', async () => {
    const p = pool({ cancelGraceMs: 100 });
    const controller = new AbortController();
    const call = p.run(spec('spin'), {}, { signal: controller.signal });
    await sleep(50);
    const started = Date.now();
    controller.abort();
    await expect(call).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await p.run(spec('echo'), 'after')).toBe('after');
  });

  it('a crashing worker and a hanging one are answered with errors; a call beside them is not affected', async () => {
    const p = pool({ workerCount: 2, cancelGraceMs: 50 });
    const beside = p.run(spec('slow'), { ms: 400 });
    const crashed = await p.run(spec('crash'), {}).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(McpError);
    expect((crashed as McpError).code).toBe(-32603);
    expect((crashed as McpError).message).toMatch(/^the worker running this handler crashed/);
    const started = Date.now();
    const hung = await p.run(spec('spin', { timeoutMs: 200 }), {}).catch((e: unknown) => e);
    expect((hung as McpError).code).toBe(-32001);
    expect((hung as McpError).message).toBe('the handler timed out after 200 ms (its worker was stopped)');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await beside).toMatchObject({ threadId: expect.any(Number) });
    const failed = await p.run(spec('throws'), {}).catch((e: unknown) => e);
    expect((failed as McpError).message).toBe('the handler failed on purpose');
    expect(await p.run(spec('echo'), 'still here')).toBe('still here');
    expect(p.stats()).toMatchObject({ crashed: 1, timedOut: 1, failed: 1 });
  });

  it('refuses a bad option or handler spec naming the key', () => {
    expect(() => new WorkerPool({ workerCount: 0 })).toThrow(/pool\.workerCount must be a whole number from 1/);
    expect(() => new WorkerPool({ maxQueueLenght: 5 } as never)).toThrow(
      /pool\.maxQueueLenght is not a WorkerPool option/,
    );
    const p = pool();
    expect(() => p.handler({ module: 'relative.js' })).toThrow(/worker handler module must be absolute/);
    expect(() => p.handler(spec('echo', { concurrency: 0 }))).toThrow(/concurrency must be a whole number ≥ 1/);
  });
});

describe('WorkerPool through McpServer', () => {
  it('a tool runs in the pool: result, progress to the client, and the client’s cancel stops the worker’s handler', async () => {
    const p = pool({ workerCount: 2 });
    const server = new McpServer({ name: 'pooled', version: '1' });
    const hash = p.handler<{ mib: number }, { digest: string }>(spec('hash'));
    server.registerTool(
      'hash',
      { inputSchema: { type: 'object', properties: { mib: { type: 'number' } } } },
      async (args, ctx) => {
        const r = await hash(args as { mib: number }, ctx);
        return { content: [{ type: 'text', text: r.digest }] };
      },
    );
    const steps = p.handler(spec('progress'));
    server.registerTool('steps', { inputSchema: { type: 'object' } }, async (args, ctx) => ({
      content: [{ type: 'text', text: String(await steps(args, ctx)) }],
    }));
    const coop = p.handler(spec('cooperative'));
    const notes: string[] = [];
    server.registerTool('coop', { inputSchema: { type: 'object' } }, async (args, ctx) => {
      await coop(args, { ...ctx, signal: ctx.signal, meta: ctx.meta, progress: (_a, _b, m) => notes.push(String(m)) });
      return { content: [] };
    });
    const [a, b] = MemoryTransport.pair();
    await server.connect(b);
    const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
    await client.connect(a);
    const r = await client.callTool({ name: 'hash', arguments: { mib: 1 } });
    expect((r.content[0] as { text: string }).text).toMatch(/^[0-9a-f]{64}$/);
    const progress: number[] = [];
    const s = await client.callTool({ name: 'steps', arguments: {} }, { onProgress: (x) => progress.push(x.progress) });
    expect((s.content[0] as { text: string }).text).toBe('done');
    expect(progress).toEqual([1, 2, 3]);
    const controller = new AbortController();
    const call = client.callTool({ name: 'coop', arguments: {} }, { signal: controller.signal });
    await sleep(50);
    controller.abort(new Error('user pressed stop'));
    await expect(call).rejects.toThrow();
    const deadline = Date.now() + 3_000;
    while (notes.length === 0 && Date.now() < deadline) await sleep(10);
    expect(notes[0]).toMatch(/^saw: /);
    await client.close();
    await server.close();
  });

  it("runIn: 'worker' registers a tool and a prompt whose handlers are a module's exports, run in the pool", async () => {
    const p = pool();
    const server = new McpServer({ name: 'run-in', version: '1' }, { workerPool: p });
    server.registerTool('sha', {
      inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
      runIn: 'worker',
      worker: spec('hashTool', { timeoutMs: 5_000 }),
    });
    server.registerPrompt('greet', {
      argsSchema: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] },
      runIn: 'worker',
      worker: spec('greetPrompt'),
    });
    const [a, b] = MemoryTransport.pair();
    await server.connect(b);
    const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
    await client.connect(a);
    expect((await client.listTools()).map((t) => t.name)).toEqual(['sha']);
    const r = await client.callTool({ name: 'sha', arguments: { text: 'abc' } });
    expect((r.content[0] as { text: string }).text).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const g = await client.getPrompt({ name: 'greet', arguments: { who: 'you' } });
    expect(g.messages[0]?.content).toMatchObject({ type: 'text' });
    expect((g.messages[0] as { content: { text: string } }).content.text).toMatch(/^hello you, from thread [1-9]\d*$/);
    expect(p.stats().completed).toBe(2);
    await client.close();
    await server.close();
  });

  it("runIn: 'worker' without a workerPool, with a handler too, or without worker: a coded error naming the tool", () => {
    const server = new McpServer({ name: 'x', version: '1' });
    expect(() => server.registerTool('sha', { runIn: 'worker', worker: spec('hashTool') })).toThrow(
      /registerTool\("sha"\): runIn: 'worker' needs a pool: new McpServer\(info, \{ workerPool: new WorkerPool\(\) \}\)/,
    );
    const pooled = new McpServer({ name: 'y', version: '1' }, { workerPool: pool() });
    expect(() =>
      pooled.registerTool(
        'sha',
        { runIn: 'worker', worker: spec('hashTool') } as never,
        (() => ({ content: [] })) as never,
      ),
    ).toThrow(/give either a handler or runIn: 'worker'/);
    expect(() => pooled.registerPrompt('p', { runIn: 'worker' } as never)).toThrow(
      /needs worker: \{ module, export\? \}/,
    );
    expect(() => new McpServer({ name: 'z', version: '1' }, { workerPool: {} as never })).toThrow(
      /McpServer\.workerPool must be a WorkerPool/,
    );
  });
});

/** A client and a server on a memory pair; the server's workerPool records how each call's arguments travelled. */
async function connected(p: WorkerPool, register: (server: McpServer) => void) {
  const how: (PoolCallOptions | undefined)[] = [];
  const runner: WorkerRunner = {
    run: (spec, args, ctx, options) => {
      how.push(options);
      return p.run(spec, args, ctx, options);
    },
  };
  const server = new McpServer({ name: 'pooled', version: '1' }, { workerPool: runner });
  register(server);
  const [a, b] = MemoryTransport.pair();
  await server.connect(b);
  const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
  await client.connect(a);
  return {
    client,
    how,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

describe("runIn: 'worker' resources", () => {
  it('a static resource and a template are read in the pool: (uri, ctx) and (uri, variables, ctx), progress included', async () => {
    const p = pool();
    const { client, how, close } = await connected(p, (server) => {
      server.registerResource('readme', 'file:///readme.txt', {
        mimeType: 'text/plain',
        runIn: 'worker',
        worker: spec('readStatic'),
      });
      server.registerResource('user', new ResourceTemplate('users://{id}/posts{?tag*}'), {
        description: 'posts by a user',
        runIn: 'worker',
        worker: spec('readTemplate', { timeoutMs: 5_000 }),
      });
    });
    const listed = await client.listResources();
    expect(listed).toEqual([{ name: 'readme', uri: 'file:///readme.txt', mimeType: 'text/plain' }]);
    const templates = await client.listResourceTemplates();
    expect(templates).toEqual([
      { name: 'user', uriTemplate: 'users://{id}/posts{?tag*}', description: 'posts by a user' },
    ]);
    const progress: string[] = [];
    const r = await client.readResource(
      { uri: 'file:///readme.txt' },
      { onProgress: (x) => progress.push(`${x.progress}/${x.total} ${x.message}`) },
    );
    expect(r.contents).toEqual([
      {
        uri: 'file:///readme.txt',
        mimeType: 'text/plain',
        text: expect.stringMatching(/^static from thread [1-9]\d*$/),
      },
    ]);
    expect(progress).toEqual(['1/2 reading', '2/2 read']);
    const t = await client.readResource({ uri: 'users://%C3%A9l%C3%A8ve/posts?tag=a&tag=b' });
    const text = JSON.parse((t.contents[0] as { text: string }).text) as { variables: unknown; meta: unknown };
    expect(text.variables).toEqual({ id: 'élève', tag: ['a', 'b'] });
    expect(how).toEqual([{ spread: true }, { spread: true }]);
    expect(p.stats().completed).toBe(2);
    await close();
  });

  it("a read that throws is that JSON-RPC error; a cancelled read aborts the worker's ctx.signal", async () => {
    const p = pool({ workerCount: 1 });
    const { client, close } = await connected(p, (server) => {
      server.registerResource('missing', 'mem://missing', { runIn: 'worker', worker: spec('readFails') });
      server.registerResource('forever', new ResourceTemplate('mem://forever/{n}'), {
        runIn: 'worker',
        worker: spec('readUntilCancelled'),
      });
      server.registerResource('seen', 'mem://seen', { runIn: 'worker', worker: spec('readCancellations') });
    });
    const e = await client.readResource({ uri: 'mem://missing' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: -32002, message: 'nothing at mem://missing' });
    const controller = new AbortController();
    const read = client.readResource({ uri: 'mem://forever/1' }, { signal: controller.signal });
    await sleep(50);
    controller.abort(new Error('user pressed stop'));
    await expect(read).rejects.toThrow();
    const deadline = Date.now() + 3_000;
    while (p.stats().cancelled === 0 && Date.now() < deadline) await sleep(10);
    expect(p.stats()).toMatchObject({ cancelled: 1, failed: 1 });
    // The same worker (one thread, not replaced: the handler stopped by itself) saw its signal abort.
    const seen = await client.readResource({ uri: 'mem://seen' });
    expect(JSON.parse((seen.contents[0] as { text: string }).text)).toEqual([
      expect.stringMatching(/^mem:\/\/forever\/1: /),
    ]);
    await close();
  });

  it("a wrong runIn: 'worker' resource is a coded error naming it", () => {
    const server = new McpServer({ name: 'x', version: '1' });
    expect(() => server.registerResource('r', 'mem://r', { runIn: 'worker', worker: spec('readStatic') })).toThrow(
      /registerResource\("r"\): runIn: 'worker' needs a pool: new McpServer\(info, \{ workerPool: new WorkerPool\(\) \}\)/,
    );
    const pooled = new McpServer({ name: 'y', version: '1' }, { workerPool: pool() });
    const both = () =>
      pooled.registerResource(
        'r',
        new ResourceTemplate('mem://{x}'),
        { runIn: 'worker', worker: spec('readTemplate') } as never,
        (() => ({ contents: [] })) as never,
      );
    expect(both).toThrow(/registerResource\("r"\): give either a handler or runIn: 'worker'/);
    expect(() => pooled.registerResource('r', 'mem://r', { runIn: 'worker' } as never)).toThrow(
      /registerResource\("r"\): runIn: 'worker' needs worker: \{ module, export\? \}/,
    );
    try {
      pooled.registerResource('r', 'mem://r', { runIn: 'thread', worker: spec('readStatic') } as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'NMCP_ERR_INVALID_OPTION', message: expect.stringMatching(/runIn must be/) });
    }
  });
});

describe('arguments into the worker', () => {
  const unicode = {
    latin: 'élève naïve façade',
    cjk: '漢字かなカナ한국어',
    emoji: '👩‍👩‍👧 🚀 🇫🇷',
    escapes: 'quote " backslash \\ tab \t newline \n nul \u0000 ls \u2028 ps \u2029',
    lone: 'high \ud800 low \udc00',
    keys: { 'clé ünïcode': 1, '🔑': 2, '': 3, __proto__x: 4 },
  };
  const nested = {
    a: [1, -2.5, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, true, false, null, { b: [[[{ c: [[]] }]]] }],
    deep: JSON.parse(`${'{"d":'.repeat(200)}0${'}'.repeat(200)}`) as unknown,
    empty: { o: {}, a: [], s: '' },
  };
  const large = {
    records: Array.from({ length: 6_000 }, (_, i) => ({ id: i, name: `user-${i}`, city: 'Zürich', tags: ['α', 'β'] })),
    blob: 'x'.repeat(512 * 1024),
  };

  it('WorkerPool.run with a source: the worker parses the JSON text at the path; without one, a clone', async () => {
    const p = pool();
    for (const value of [unicode, nested, large]) {
      const text = JSON.stringify({ jsonrpc: '2.0', id: 1, params: { arguments: value } });
      expect(await p.run(spec('echo'), undefined, {}, { source: { text, path: ['params', 'arguments'] } })).toEqual(
        value,
      );
      expect(await p.run(spec('echo'), value)).toEqual(value);
    }
    expect(await p.run(spec('readTemplate'), ['mem://x', { x: 'é' }], {}, { spread: true })).toMatchObject({
      contents: [{ uri: 'mem://x', text: '{"variables":{"x":"é"},"meta":null}' }],
    });
  });

  it('a tool call through McpServer: the frame text goes to the worker and the arguments arrive intact', async () => {
    const p = pool();
    const { client, how, close } = await connected(p, (server) => {
      server.registerTool('args', { inputSchema: { type: 'object' }, runIn: 'worker', worker: spec('argsTool') });
      server.registerPrompt('greet', {
        argsSchema: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] },
        runIn: 'worker',
        worker: spec('greetPrompt'),
      });
    });
    for (const value of [unicode, nested, large]) {
      const r = await client.callTool({ name: 'args', arguments: value });
      expect(r.isError).toBeUndefined();
      expect(r.structuredContent).toEqual({ args: value, length: JSON.stringify(value).length });
    }
    const g = await client.getPrompt({ name: 'greet', arguments: { who: 'Zoë 🚀' } });
    expect((g.messages[0] as { content: { text: string } }).content.text).toMatch(/^hello Zoë 🚀, from thread /);
    expect(how).toHaveLength(4);
    for (const h of how) expect(h?.source?.path).toEqual(['params', 'arguments']);
    expect(how[2]?.source?.text.length).toBeGreaterThan(512 * 1024);
    await close();
  });

  it('arguments a Standard Schema transformed, or that were missing, are cloned: the handler gets what was validated', async () => {
    const p = pool();
    const { client, how, close } = await connected(p, (server) => {
      server.registerTool('shout', {
        inputSchema: z.object({ text: z.string().transform((t) => t.toUpperCase()) }),
        runIn: 'worker',
        worker: spec('argsTool'),
      });
      server.registerTool('none', { runIn: 'worker', worker: spec('argsTool') });
    });
    const r = await client.callTool({ name: 'shout', arguments: { text: 'naïve' } });
    expect(r.structuredContent).toEqual({ args: { text: 'NAÏVE' }, length: 16 });
    const n = await client.callTool({ name: 'none' });
    expect(n.structuredContent).toEqual({ args: {}, length: 2 });
    expect(how).toEqual([undefined, undefined]);
    await close();
  });
});
