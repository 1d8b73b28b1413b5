import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { McpServer, ResourceTemplate } from '../../src/server/index.js';
import { connect } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

function makeServer() {
  const server = new McpServer({ name: 'p', version: '1.0.0' });
  servers.push(server);
  server.registerPrompt(
    'review',
    {
      title: 'Code review',
      description: 'Reviews code',
      argsSchema: {
        type: 'object',
        properties: {
          code: { type: 'string', description: 'The code' },
          language: { type: 'string', title: 'Language', enum: ['go', 'rust', 'typescript'] },
        },
        required: ['code'],
      },
      complete: { code: (value) => [`${value}();`, `${value};`] },
    },
    (args) => ({
      description: 'review',
      messages: [{ role: 'user', content: { type: 'text', text: `Review ${args.language ?? 'any'}: ${args.code}` } }],
    }),
  );
  server.registerPrompt('zod', { argsSchema: z.object({ topic: z.string().min(2) }) }, ({ topic }) => ({
    messages: [{ role: 'assistant', content: { type: 'text', text: topic.toUpperCase() } }],
  }));
  server.registerPrompt('plain', {}, () => ({ messages: [] }));
  return server;
}

async function ready(server: McpServer) {
  const c = await connect(server);
  await c.client.initialize();
  return c;
}

describe('prompts', () => {
  it('prompts/list derives the arguments from the schema', async () => {
    const { client } = await ready(makeServer());
    expect(await client.call('prompts/list')).toEqual({
      prompts: [
        {
          name: 'review',
          title: 'Code review',
          description: 'Reviews code',
          arguments: [
            { name: 'code', description: 'The code', required: true },
            { name: 'language', title: 'Language', required: false },
          ],
        },
        { name: 'zod', arguments: [{ name: 'topic', required: true }] },
        { name: 'plain' },
      ],
    });
  });

  it('prompts/get validates arguments (-32602) and renders', async () => {
    const { client } = await ready(makeServer());
    expect(await client.call('prompts/get', { name: 'review', arguments: { code: 'x()', language: 'go' } })).toEqual({
      description: 'review',
      messages: [{ role: 'user', content: { type: 'text', text: 'Review go: x()' } }],
    });
    expect((await client.request('prompts/get', { name: 'review', arguments: {} })).error).toMatchObject({
      code: -32602,
    });
    expect(
      (await client.request('prompts/get', { name: 'review', arguments: { code: 'x', language: 'cobol' } })).error,
    ).toMatchObject({ code: -32602 });
    expect((await client.request('prompts/get', { name: 'zod', arguments: { topic: 'a' } })).error).toMatchObject({
      code: -32602,
    });
    expect(await client.call('prompts/get', { name: 'zod', arguments: { topic: 'ab' } })).toEqual({
      messages: [{ role: 'assistant', content: { type: 'text', text: 'AB' } }],
    });
    expect((await client.request('prompts/get', { name: 'missing' })).error).toEqual({
      code: -32602,
      message: 'Prompt missing not found',
    });
  });

  it('update / disable / remove send notifications/prompts/list_changed', async () => {
    const server = makeServer();
    const { client } = await ready(server);
    const p = server.registerPrompt('extra', {}, () => ({ messages: [] }));
    await client.settle();
    p.update({ description: 'changed' });
    await client.settle();
    p.remove();
    await client.settle();
    expect(client.notifications('notifications/prompts/list_changed')).toHaveLength(3);
  });
});

describe('completion/complete', () => {
  it('completes prompt arguments by callback and by enum', async () => {
    const { client } = await ready(makeServer());
    expect(
      await client.call('completion/complete', {
        ref: { type: 'ref/prompt', name: 'review' },
        argument: { name: 'code', value: 'go' },
      }),
    ).toEqual({ completion: { values: ['go();', 'go;'] } });
    expect(
      await client.call('completion/complete', {
        ref: { type: 'ref/prompt', name: 'review' },
        argument: { name: 'language', value: 't' },
      }),
    ).toEqual({ completion: { values: ['typescript'] } });
    expect(
      await client.call('completion/complete', {
        ref: { type: 'ref/prompt', name: 'plain' },
        argument: { name: 'x', value: '' },
      }),
    ).toEqual({ completion: { values: [] } });
  });

  it('completes template variables, caps at 100 values, and passes context arguments', async () => {
    const server = makeServer();
    let seen: unknown;
    server.registerResource(
      'items',
      new ResourceTemplate('items://{kind}/{id}', {
        complete: {
          id: (value, context) => {
            seen = context.arguments;
            return Array.from({ length: 150 }, (_, i) => `${value}${i}`);
          },
        },
      }),
      {},
      () => ({ contents: [] }),
    );
    const { client } = await ready(server);
    const r = await client.call('completion/complete', {
      ref: { type: 'ref/resource', uri: 'items://{kind}/{id}' },
      argument: { name: 'id', value: 'a' },
      context: { arguments: { kind: 'book' } },
    });
    const completion = r.completion as { values: string[]; total: number; hasMore: boolean };
    expect(completion.values).toHaveLength(100);
    expect(completion.total).toBe(150);
    expect(completion.hasMore).toBe(true);
    expect(seen).toEqual({ kind: 'book' });
  });

  it('errors: unknown prompt or template is -32602, a bad ref is -32602', async () => {
    const { client } = await ready(makeServer());
    expect(
      (
        await client.request('completion/complete', {
          ref: { type: 'ref/prompt', name: 'x' },
          argument: { name: 'a', value: '' },
        })
      ).error,
    ).toMatchObject({ code: -32602 });
    expect(
      (
        await client.request('completion/complete', {
          ref: { type: 'ref/resource', uri: 'nope://{x}' },
          argument: { name: 'x', value: '' },
        })
      ).error,
    ).toMatchObject({ code: -32602 });
    expect((await client.request('completion/complete', { ref: 'x', argument: {} })).error).toMatchObject({
      code: -32602,
    });
  });
});

describe('logging', () => {
  it('setLevel filters notifications/message per session; without setLevel everything is sent', async () => {
    const server = makeServer();
    const a = await ready(server);
    const b = await ready(server);
    expect(await a.client.call('logging/setLevel', { level: 'warning' })).toEqual({});
    expect(a.session.logLevel).toBe('warning');
    expect(b.session.logLevel).toBeUndefined();
    expect(server.log('info', { msg: 'chatty' }, 'core')).toBe(1);
    expect(server.log('error', 'bad')).toBe(2);
    await a.client.settle();
    expect(a.client.notifications('notifications/message').map((n) => n.params)).toEqual([
      { level: 'error', data: 'bad' },
    ]);
    expect(b.client.notifications('notifications/message').map((n) => n.params)).toEqual([
      { level: 'info', logger: 'core', data: { msg: 'chatty' } },
      { level: 'error', data: 'bad' },
    ]);
  });

  it('ctx.log from a handler follows the session level', async () => {
    const server = makeServer();
    server.registerTool('chatty', {}, (_args, ctx) => {
      ctx.log('debug', 'd');
      ctx.log('critical', 'c', 'tool');
      return { content: [] };
    });
    const { client } = await ready(server);
    await client.call('logging/setLevel', { level: 'error' });
    await client.call('tools/call', { name: 'chatty' });
    expect(client.notifications('notifications/message').map((n) => n.params)).toEqual([
      { level: 'critical', logger: 'tool', data: 'c' },
    ]);
  });
});
