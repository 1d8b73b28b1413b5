import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NmcpError } from '../../src/errors.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { McpServer } from '../../src/server/index.js';
import { connect, text } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

function makeServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
  const server = new McpServer({ name: 'tools', version: '1.0.0' }, options);
  servers.push(server);
  return server;
}

const ECHO_SCHEMA = {
  type: 'object',
  properties: { text: { type: 'string', description: 'what to echo' } },
  required: ['text'],
} as const;

async function ready(server: McpServer) {
  const c = await connect(server);
  await c.client.initialize();
  return c;
}

describe('tools/list', () => {
  it('warns once per tool name off the 2025-11-25 naming rule, and still serves it', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const server = makeServer();
      server.registerTool('fine_name-1.x', {}, () => ({ content: [] }));
      const spaced = server.registerTool('has space', {}, () => ({ content: [] }));
      spaced.update({ name: 'has space' });
      server.registerTool('x'.repeat(129), {}, () => ({ content: [] }));
      server.registerTool('ok', {}, () => ({ content: [] })).update({ name: 'a/b' });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.map((w) => (w as NodeJS.ErrnoException).code)).toEqual([
        'NMCP_TOOL_NAME',
        'NMCP_TOOL_NAME',
        'NMCP_TOOL_NAME',
      ]);
      expect(warnings[0]?.message).toContain('"has space"');
      expect(warnings[2]?.message).toContain('"a/b"');
      const { client } = await connect(server);
      await client.initialize();
      const r = await client.call('tools/call', { name: 'has space', arguments: {} });
      expect(r.isError).toBeUndefined();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('lists title, description, schemas, annotations, icons and _meta', async () => {
    const server = makeServer();
    server.registerTool(
      'echo',
      {
        title: 'Echo',
        description: 'Echoes',
        inputSchema: ECHO_SCHEMA,
        outputSchema: { type: 'object', properties: { echoed: { type: 'string' } }, required: ['echoed'] },
        annotations: { readOnlyHint: true, idempotentHint: true, title: 'Echo!' },
        icons: [{ src: 'https://example.com/i.png' }],
        _meta: { vendor: 1 },
      },
      (args) => ({ content: [], structuredContent: { echoed: args.text as string } }),
    );
    server.registerTool('bare', {}, () => ({ content: [] }));
    const { client } = await ready(server);
    expect(await client.call('tools/list')).toEqual({
      tools: [
        {
          name: 'echo',
          title: 'Echo',
          description: 'Echoes',
          inputSchema: ECHO_SCHEMA,
          outputSchema: { type: 'object', properties: { echoed: { type: 'string' } }, required: ['echoed'] },
          annotations: { readOnlyHint: true, idempotentHint: true, title: 'Echo!' },
          icons: [{ src: 'https://example.com/i.png' }],
          _meta: { vendor: 1 },
        },
        { name: 'bare', inputSchema: { type: 'object', properties: {} } },
      ],
    });
  });

  it('lists a zod schema as JSON Schema (no $schema key)', async () => {
    const server = makeServer();
    server.registerTool('z', { inputSchema: z.object({ n: z.number().describe('a number') }) }, () => ({
      content: [],
    }));
    const { client } = await ready(server);
    const tools = (await client.call('tools/list')).tools as { inputSchema: unknown }[];
    expect(tools[0]?.inputSchema).toEqual({
      type: 'object',
      properties: { n: { type: 'number', description: 'a number' } },
      required: ['n'],
    });
  });

  it('paginates with nextCursor (pageSize) and caches pages until the set changes', async () => {
    const server = makeServer({ pageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) server.registerTool(name, {}, () => ({ content: [] }));
    const { client } = await ready(server);
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.call('tools/list', cursor === undefined ? {} : { cursor });
      names.push(...(page.tools as { name: string }[]).map((t) => t.name));
      cursor = page.nextCursor as string | undefined;
      pages++;
    } while (cursor !== undefined);
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pages).toBe(3);
    server.registerTool('f', {}, () => ({ content: [] }));
    const third = await client.call('tools/list', { cursor: Buffer.from('4').toString('base64') });
    expect((third.tools as { name: string }[]).map((t) => t.name)).toEqual(['e', 'f']);
    expect(third.nextCursor).toBeUndefined();
  });
});

describe('tools/call', () => {
  it('validates arguments (JSON Schema): a failure is an isError result the model can act on; non-object arguments are -32602', async () => {
    const server = makeServer();
    server.registerTool('echo', { inputSchema: ECHO_SCHEMA }, (args) => ({
      content: [{ type: 'text', text: `${args.text}` }],
    }));
    const { client } = await ready(server);
    expect(await client.call('tools/call', { name: 'echo', arguments: { text: 'hi' } })).toEqual({
      content: [{ type: 'text', text: 'hi' }],
    });
    const bad = await client.request('tools/call', { name: 'echo', arguments: { text: 5 } });
    expect(bad.error).toBeUndefined();
    expect(bad.result).toMatchObject({ isError: true, content: [{ type: 'text' }] });
    expect((bad.result as { content: { text: string }[] }).content[0]?.text).toMatch(
      /^Input validation error: Invalid arguments for tool echo: /,
    );
    expect((await client.request('tools/call', { name: 'echo' })).result).toMatchObject({ isError: true });
    expect((await client.request('tools/call', { name: 'echo', arguments: 'x' })).error).toMatchObject({
      code: -32602,
    });
  });

  it('validates with a Standard Schema (zod) and passes the parsed output', async () => {
    const server = makeServer();
    server.registerTool('add', { inputSchema: z.object({ a: z.number(), b: z.number().default(10) }) }, ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }));
    const { client } = await ready(server);
    expect(text(await client.call('tools/call', { name: 'add', arguments: { a: 1 } }))).toBe('11');
    const bad = await client.request('tools/call', { name: 'add', arguments: { a: 'x' } });
    expect(bad.result).toMatchObject({ isError: true });
    expect((bad.result as { content: { text: string }[] }).content[0]?.text).toContain('a: Invalid input');
  });

  it('compiles each validator once, at registration', async () => {
    let validations = 0;
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'counting',
        validate: (value: unknown) => {
          validations++;
          return { value };
        },
      },
    };
    const server = makeServer();
    server.registerTool('t', { inputSchema: schema }, () => ({ content: [] }));
    const { client } = await ready(server);
    for (let i = 0; i < 3; i++) await client.call('tools/call', { name: 't', arguments: {} });
    expect(validations).toBe(3);
  });

  it('an unknown or disabled tool is -32602', async () => {
    const server = makeServer();
    const tool = server.registerTool('t', {}, () => ({ content: [] }));
    const { client } = await ready(server);
    expect((await client.request('tools/call', { name: 'nope' })).error).toEqual({
      code: -32602,
      message: 'Tool nope not found',
    });
    tool.disable();
    expect((await client.request('tools/call', { name: 't' })).error).toEqual({
      code: -32602,
      message: 'Tool t disabled',
    });
  });

  it('a thrown error (sync or async) becomes an isError result', async () => {
    const server = makeServer();
    server.registerTool('sync', {}, () => {
      throw new Error('boom');
    });
    server.registerTool('async', {}, async () => {
      throw new McpError(-32603, 'async boom');
    });
    const { client } = await ready(server);
    expect(await client.call('tools/call', { name: 'sync' })).toEqual({
      content: [{ type: 'text', text: 'boom' }],
      isError: true,
    });
    expect(await client.call('tools/call', { name: 'async' })).toEqual({
      content: [{ type: 'text', text: 'async boom' }],
      isError: true,
    });
  });

  it('a result with isError passes through; structuredContent is validated against outputSchema', async () => {
    const server = makeServer();
    const outputSchema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    server.registerTool('good', { outputSchema }, () => ({
      content: [{ type: 'text', text: '{"n":1}' }],
      structuredContent: { n: 1 },
    }));
    server.registerTool('wrong', { outputSchema }, () => ({ content: [], structuredContent: { n: 'one' } }));
    server.registerTool('missing', { outputSchema }, () => ({ content: [] }));
    server.registerTool('failed', { outputSchema }, () => ({
      content: [{ type: 'text', text: 'nope' }],
      isError: true,
    }));
    server.registerTool('structured-only', { outputSchema: z.object({ n: z.number() }) }, () => ({
      structuredContent: { n: 2 },
    }));
    const { client } = await ready(server);
    expect(await client.call('tools/call', { name: 'good' })).toEqual({
      content: [{ type: 'text', text: '{"n":1}' }],
      structuredContent: { n: 1 },
    });
    const wrong = await client.call('tools/call', { name: 'wrong' });
    expect(wrong.isError).toBe(true);
    expect(text(wrong)).toContain('Output validation error: Invalid structured content for tool wrong');
    const missing = await client.call('tools/call', { name: 'missing' });
    expect(missing).toEqual({
      content: [
        {
          type: 'text',
          text: 'Output validation error: Tool missing has an output schema but no structured content was provided',
        },
      ],
      isError: true,
    });
    expect(await client.call('tools/call', { name: 'failed' })).toEqual({
      content: [{ type: 'text', text: 'nope' }],
      isError: true,
    });
    expect(await client.call('tools/call', { name: 'structured-only' })).toEqual({
      content: [{ type: 'text', text: '{"n":2}' }],
      structuredContent: { n: 2 },
    });
  });

  it('answers a synchronous handler synchronously (same turn as the request)', async () => {
    const server = makeServer();
    server.registerTool('t', {}, () => ({ content: [{ type: 'text', text: 'now' }] }));
    const { client } = await ready(server);
    const before = client.received.length;
    client.send({ jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 't' } });
    client.send({ jsonrpc: '2.0', id: 'y', method: 'tools/call', params: { name: 't' } });
    await client.response('y');
    const ids = client.received.slice(before).map((m) => m.id);
    expect(ids).toEqual(['x', 'y']);
  });

  it('registering, enabling, disabling, updating and removing send notifications/tools/list_changed', async () => {
    const server = makeServer();
    const tool = server.registerTool('t', {}, () => ({ content: [] }));
    const { client } = await ready(server);
    const count = () => client.notifications('notifications/tools/list_changed').length;
    server.registerTool('u', {}, () => ({ content: [] }));
    await client.settle();
    expect(count()).toBe(1);
    tool.disable();
    await client.settle();
    expect(count()).toBe(2);
    expect(((await client.call('tools/list')).tools as { name: string }[]).map((t) => t.name)).toEqual(['u']);
    tool.enable();
    await client.settle();
    tool.update({ description: 'now described', name: 't2' });
    await client.settle();
    tool.remove();
    await client.settle();
    expect(count()).toBe(5);
    expect(((await client.call('tools/list')).tools as { name: string }[]).map((t) => t.name)).toEqual(['u']);
    expect(client.notifications('notifications/tools/list_changed')[0]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
    });
  });

  it('coalesces list_changed within one turn', async () => {
    const server = makeServer();
    const { client } = await ready(server);
    for (let i = 0; i < 10; i++) server.registerTool(`t${i}`, {}, () => ({ content: [] }));
    await client.settle();
    expect(client.notifications('notifications/tools/list_changed')).toHaveLength(1);
  });

  it('refuses invalid registrations with NmcpError', () => {
    const server = makeServer();
    server.registerTool('t', {}, () => ({ content: [] }));
    expect(() => server.registerTool('t', {}, () => ({ content: [] }))).toThrow(NmcpError);
    expect(() => server.registerTool('s', { inputSchema: { type: 'string' } }, () => ({ content: [] }))).toThrow(
      /must describe an object/,
    );
    expect(() =>
      server.registerTool('bad', { inputSchema: { type: 'object', properties: { a: { type: 'nope' } } } }, () => ({
        content: [],
      })),
    ).toThrow(/not a valid JSON Schema/);
  });
});

describe('progress, cancellation, timeout', () => {
  it('ctx.progress sends notifications/progress with the request token', async () => {
    const server = makeServer();
    server.registerTool('slow', {}, async (_args, ctx) => {
      ctx.progress(1, 2, 'half');
      ctx.progress(2, 2);
      return { content: [{ type: 'text', text: 'done' }] };
    });
    const { client } = await ready(server);
    await client.call('tools/call', { name: 'slow', _meta: { progressToken: 'tok' } });
    expect(client.notifications('notifications/progress').map((n) => n.params)).toEqual([
      { progressToken: 'tok', progress: 1, total: 2, message: 'half' },
      { progressToken: 'tok', progress: 2, total: 2 },
    ]);
  });

  it('notifications/cancelled aborts ctx.signal and no response is sent', async () => {
    const server = makeServer();
    let aborted = false;
    server.registerTool('wait', {}, (_args, ctx) => {
      return new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ content: [{ type: 'text', text: 'too late' }] });
        });
      });
    });
    const { client } = await ready(server);
    client.send({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'wait' } });
    await client.settle();
    client.notify('notifications/cancelled', { requestId: 'c1', reason: 'user' });
    expect((await client.request('ping', undefined, 'after')).result).toEqual({});
    await client.settle(5);
    expect(aborted).toBe(true);
    expect(client.received.some((m) => m.id === 'c1')).toBe(false);
  });

  it('a handler that first looks at ctx.signal after the cancel still sees it aborted', async () => {
    const server = makeServer();
    let seen: boolean | undefined;
    server.registerTool('late', {}, async (_args, ctx) => {
      await new Promise((r) => setTimeout(r, 30));
      seen = ctx.signal.aborted;
      return { content: [] };
    });
    const { client } = await ready(server);
    client.send({ jsonrpc: '2.0', id: 'c2', method: 'tools/call', params: { name: 'late' } });
    await client.settle();
    client.notify('notifications/cancelled', { requestId: 'c2' });
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toBe(true);
    expect(client.received.some((m) => m.id === 'c2')).toBe(false);
  });

  it('requestTimeoutMs aborts a slow handler and answers -32001', async () => {
    const server = makeServer({ requestTimeoutMs: 50 });
    let signalled = false;
    server.registerTool('hang', {}, (_args, ctx) => {
      ctx.signal.addEventListener('abort', () => {
        signalled = true;
      });
      return new Promise(() => {});
    });
    const { client } = await ready(server);
    const r = await client.request('tools/call', { name: 'hang' });
    expect(r.error).toMatchObject({ code: -32001 });
    expect(signalled).toBe(true);
  });
});
