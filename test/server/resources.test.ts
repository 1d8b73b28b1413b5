import { afterEach, describe, expect, it } from 'vitest';
import { McpServer, ResourceTemplate } from '../../src/server/index.js';
import { connect } from './helpers.js';

let servers: McpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

function makeServer(options: ConstructorParameters<typeof McpServer>[1] = {}) {
  const server = new McpServer({ name: 'resources', version: '1.0.0' }, options);
  servers.push(server);
  return server;
}

function withResources() {
  const server = makeServer();
  server.registerResource('readme', 'file:///readme.md', { title: 'README', mimeType: 'text/markdown' }, (uri) => ({
    contents: [{ uri, mimeType: 'text/markdown', text: '# Hi' }],
  }));
  server.registerResource(
    'user',
    new ResourceTemplate('users://{id}/profile', {
      list: () => ({ resources: [{ uri: 'users://1/profile', name: 'Ann' }] }),
      complete: { id: (value) => ['1', '2', '10'].filter((v) => v.startsWith(value)) },
    }),
    { description: 'A user', mimeType: 'application/json' },
    async (uri, vars) => ({ contents: [{ uri, text: JSON.stringify({ id: vars.id }) }] }),
  );
  return server;
}

async function ready(server: McpServer, version?: string) {
  const c = await connect(server);
  await c.client.initialize(version);
  return c;
}

describe('resources', () => {
  it('resources/list includes static resources and template-listed ones', async () => {
    const { client } = await ready(withResources());
    expect(await client.call('resources/list')).toEqual({
      resources: [
        { uri: 'file:///readme.md', name: 'readme', title: 'README', mimeType: 'text/markdown' },
        { description: 'A user', mimeType: 'application/json', uri: 'users://1/profile', name: 'Ann' },
      ],
    });
  });

  it('resources/templates/list lists the templates', async () => {
    const { client } = await ready(withResources());
    expect(await client.call('resources/templates/list')).toEqual({
      resourceTemplates: [
        { uriTemplate: 'users://{id}/profile', name: 'user', description: 'A user', mimeType: 'application/json' },
      ],
    });
  });

  it('reads a static resource and a templated one (variables matched)', async () => {
    const { client } = await ready(withResources());
    expect(await client.call('resources/read', { uri: 'file:///readme.md' })).toEqual({
      contents: [{ uri: 'file:///readme.md', mimeType: 'text/markdown', text: '# Hi' }],
    });
    expect(await client.call('resources/read', { uri: 'users://42/profile' })).toEqual({
      contents: [{ uri: 'users://42/profile', text: '{"id":"42"}' }],
    });
  });

  it('an unknown URI is -32002 with data.uri (legacy era)', async () => {
    const { client } = await ready(withResources());
    expect((await client.request('resources/read', { uri: 'file:///nope' })).error).toEqual({
      code: -32002,
      message: 'Resource not found: file:///nope',
      data: { uri: 'file:///nope' },
    });
  });

  it('a disabled resource is not listed and not readable; list_changed is sent', async () => {
    const server = withResources();
    const extra = server.registerResource('extra', 'mem://extra', {}, () => ({ contents: [] }));
    const { client } = await ready(server);
    extra.disable();
    await client.settle();
    expect(client.notifications('notifications/resources/list_changed')).toHaveLength(1);
    const listed = (await client.call('resources/list')).resources as { uri: string }[];
    expect(listed.map((r) => r.uri)).not.toContain('mem://extra');
    expect((await client.request('resources/read', { uri: 'mem://extra' })).error).toMatchObject({ code: -32602 });
    extra.update({ uri: 'mem://moved', enabled: true });
    expect(await client.call('resources/read', { uri: 'mem://moved' })).toEqual({ contents: [] });
    extra.remove();
    expect((await client.request('resources/read', { uri: 'mem://moved' })).error).toMatchObject({ code: -32002 });
  });

  it('a handler that returns no contents array is -32603', async () => {
    const server = makeServer();
    server.registerResource('bad', 'mem://bad', {}, () => ({}) as never);
    const { client } = await ready(server);
    expect((await client.request('resources/read', { uri: 'mem://bad' })).error).toMatchObject({ code: -32603 });
  });

  it('subscribe / unsubscribe: notifications/resources/updated only to subscribed sessions', async () => {
    const server = withResources();
    const a = await ready(server);
    const b = await ready(server);
    expect(await a.client.call('resources/subscribe', { uri: 'file:///readme.md' })).toEqual({});
    expect(a.session.subscriptions.has('file:///readme.md')).toBe(true);
    expect(b.session.subscriptions.size).toBe(0);
    server.sendResourceUpdated('file:///readme.md');
    server.sendResourceUpdated('users://1/profile');
    await a.client.settle();
    expect(a.client.notifications('notifications/resources/updated').map((n) => n.params)).toEqual([
      { uri: 'file:///readme.md' },
    ]);
    expect(b.client.notifications('notifications/resources/updated')).toEqual([]);
    await a.client.call('resources/unsubscribe', { uri: 'file:///readme.md' });
    server.sendResourceUpdated('file:///readme.md');
    await a.client.settle();
    expect(a.client.notifications('notifications/resources/updated')).toHaveLength(1);
  });

  it('paginates resources/list, including dynamically listed ones', async () => {
    const server = makeServer({ pageSize: 2 });
    for (const n of [1, 2, 3]) server.registerResource(`r${n}`, `mem://${n}`, {}, () => ({ contents: [] }));
    server.registerResource(
      't',
      new ResourceTemplate('mem://t/{n}', { list: () => ({ resources: [{ uri: 'mem://t/1', name: 't1' }] }) }),
      {},
      () => ({ contents: [] }),
    );
    const { client } = await ready(server);
    const first = await client.call('resources/list');
    expect((first.resources as unknown[]).length).toBe(2);
    const second = await client.call('resources/list', { cursor: first.nextCursor as string });
    expect((second.resources as { uri: string }[]).map((r) => r.uri)).toEqual(['mem://3', 'mem://t/1']);
    expect(second.nextCursor).toBeUndefined();
  });
});
