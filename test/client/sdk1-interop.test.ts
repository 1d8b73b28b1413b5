// Interop matrix row: our McpClient × SDK 1.x server over stdio (legacy era only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpClient } from '../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError, RpcCode } from '../../src/protocol/jsonrpc.js';
import { connectFixture, SDK1_SERVER, text, until } from './helpers.js';

describe('McpClient × SDK v1 server (stdio, legacy era)', () => {
  let client: McpClient;
  const sampled: JsonObject[] = [];
  const elicited: JsonObject[] = [];

  beforeAll(async () => {
    ({ client } = await connectFixture(SDK1_SERVER, {
      negotiation: 'legacy',
      onSampling: async (params, ctx) => {
        sampled.push(params as JsonObject);
        expect(ctx.era).toBe('legacy');
        return { role: 'assistant', content: { type: 'text', text: 'sampled!' }, model: 'model-x' };
      },
      onElicitation: (params) => {
        elicited.push(params as JsonObject);
        return { action: 'accept', content: { yes: true } };
      },
      roots: [{ uri: 'file:///a', name: 'a' }],
    }));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('negotiates the latest legacy version and exposes what the server said', () => {
    expect(client.era).toBe('legacy');
    expect(client.protocolVersion).toBe('2025-11-25');
    expect(client.serverInfo).toMatchObject({ name: 'sdk1-fixture', version: '1.0.0' });
    expect(client.instructions).toBe('SDK v1 fixture');
    expect(client.serverCapabilities).toMatchObject({ tools: { listChanged: true }, logging: {} });
    expect(client.capabilities).toEqual({ sampling: {}, elicitation: {}, roots: { listChanged: true } });
    expect(client.connected).toBe(true);
  });

  it('lists and calls tools', async () => {
    const tools = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'fail', 'progress', 'sample']));
    expect(tools.find((t) => t.name === 'echo')?.inputSchema).toMatchObject({ type: 'object' });
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(text(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5');
  });

  it('a throwing tool is an isError result; v1 reports an unknown tool the same way', async () => {
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed.isError).toBe(true);
    expect(text(failed)).toContain('deliberate failure');
    const unknown = await client.callTool({ name: 'nope', arguments: {} });
    expect(unknown.isError).toBe(true);
  });

  it('surfaces a server error as McpError with code, message and data', async () => {
    const err = await client.readResource({ uri: 'file:///missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(RpcCode.INVALID_PARAMS);
    expect((err as McpError).message).toContain('file:///missing');
    const unsub = await client.unsubscribeResource('file:///never').catch((e: unknown) => e);
    expect(unsub).toBeInstanceOf(McpError);
    expect((unsub as McpError).code).toBe(RpcCode.INVALID_PARAMS);
    const unknownMethod = await client.request('no/such/method').catch((e: unknown) => e);
    expect((unknownMethod as McpError).code).toBe(RpcCode.METHOD_NOT_FOUND);
  });

  it('resources: list, templates, read (static and templated)', async () => {
    expect((await client.listResources()).map((r) => r.uri)).toContain('file:///readme.md');
    expect((await client.listResourceTemplates()).map((t) => t.uriTemplate)).toEqual(['users://{id}/profile']);
    const readme = await client.readResource({ uri: 'file:///readme.md' });
    expect(readme.contents[0]).toMatchObject({ uri: 'file:///readme.md', text: '# readme' });
    const user = await client.readResource({ uri: 'users://bob/profile' });
    expect(JSON.parse(String(user.contents[0]?.text))).toEqual({ id: 'bob' });
  });

  it('prompts and completion', async () => {
    expect((await client.listPrompts()).map((p) => p.name)).toEqual(['review']);
    const prompt = await client.getPrompt({ name: 'review', arguments: { code: 'x = 1' } });
    expect(prompt.messages[0]).toMatchObject({ role: 'user', content: { type: 'text', text: 'review: x = 1' } });
    const c1 = await client.complete({
      ref: { type: 'ref/prompt', name: 'review' },
      argument: { name: 'code', value: 'c' },
    });
    expect(c1.completion.values).toEqual(['const']);
    const c2 = await client.complete({
      ref: { type: 'ref/resource', uri: 'users://{id}/profile' },
      argument: { name: 'id', value: 'a' },
    });
    expect(c2.completion.values).toEqual(['alice']);
  });

  it('ping', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('surfaces list_changed and resources/updated notifications; subscribe / unsubscribe', async () => {
    const changed: JsonObject[] = [];
    const updated: JsonObject[] = [];
    const off1 = client.onNotification('notifications/tools/list_changed', (p) => changed.push(p));
    const off2 = client.onNotification('notifications/resources/updated', (p) => updated.push(p));
    await client.subscribeResource('file:///readme.md');
    await client.callTool({ name: 'mutate', arguments: {} });
    await until(() => changed.length > 0 && updated.length > 0);
    expect(updated[0]).toMatchObject({ uri: 'file:///readme.md' });
    expect((await client.listTools()).some((t) => t.name.startsWith('extra-'))).toBe(true);
    await client.unsubscribeResource('file:///readme.md');
    off1();
    off2();
    await client.callTool({ name: 'mutate', arguments: {} });
    await new Promise((r) => setTimeout(r, 50));
    expect(changed).toHaveLength(1);
  });

  it('setLoggingLevel filters notifications/message', async () => {
    const logs: JsonObject[] = [];
    const off = client.onNotification('notifications/message', (p) => logs.push(p));
    await client.setLoggingLevel('error');
    await client.callTool({ name: 'log', arguments: { text: 'x' } });
    await until(() => logs.length > 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(logs.map((l) => l.data)).toEqual(['error:x']);
    off();
  });

  it('progress: onProgress sees each step; the timeout resets on progress', async () => {
    const seen: { progress: number; total?: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'progress', arguments: { steps: 4, delayMs: 80 } },
      { timeoutMs: 200, onProgress: (p) => seen.push(p) },
    );
    expect(text(result)).toBe('done 4');
    expect(seen).toEqual([1, 2, 3, 4].map((i) => ({ progress: i, total: 4, message: `step ${i}` })));
  });

  it('maxTotalTimeoutMs bounds a call whatever its progress', async () => {
    const started = Date.now();
    const err = await client
      .callTool(
        { name: 'progress', arguments: { steps: 10, delayMs: 60 } },
        { timeoutMs: 200, maxTotalTimeoutMs: 250, onProgress: () => {} },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(RpcCode.REQUEST_TIMEOUT);
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('a timeout or an abort cancels the call on the server (notifications/cancelled)', async () => {
    const count = async () => Number(text(await client.callTool({ name: 'cancelled-count', arguments: {} })));
    const before = await count();
    const timedOut = await client
      .callTool({ name: 'slow', arguments: { ms: 5_000 } }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect((timedOut as McpError).code).toBe(RpcCode.REQUEST_TIMEOUT);
    const controller = new AbortController();
    const pending = client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    await expect(pending).rejects.toThrow('user gave up');
    let after = before;
    for (let i = 0; i < 20 && after < before + 2; i++) {
      after = await count();
      if (after < before + 2) await new Promise((r) => setTimeout(r, 20));
    }
    expect(after).toBe(before + 2);
  });

  it('answers sampling/createMessage with onSampling', async () => {
    const r = await client.callTool({ name: 'sample', arguments: { prompt: 'hello' } });
    expect(text(r)).toBe('sampled!|model-x');
    expect(sampled.at(-1)).toMatchObject({ maxTokens: 10, messages: [{ role: 'user', content: { text: 'hello' } }] });
  });

  it('answers elicitation/create with onElicitation', async () => {
    const r = await client.callTool({ name: 'elicit', arguments: { what: 'deploy' } });
    expect(text(r)).toBe('accept:{"yes":true}');
    expect(elicited.at(-1)).toMatchObject({ message: 'Really deploy?' });
  });

  it('answers roots/list with the roots, and setRoots replaces them', async () => {
    expect(text(await client.callTool({ name: 'roots', arguments: {} }))).toBe('file:///a');
    client.setRoots([{ uri: 'file:///b' }, { uri: 'file:///c' }]);
    expect(text(await client.callTool({ name: 'roots', arguments: {} }))).toBe('file:///b,file:///c');
  });
});

describe('McpClient × SDK v1 server: negotiation', () => {
  it("'auto' (the default) falls back to initialize after the server/discover probe", async () => {
    const { client } = await connectFixture(SDK1_SERVER);
    try {
      expect(client.era).toBe('legacy');
      expect(client.protocolVersion).toBe('2025-11-25');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'auto' } }))).toBe('auto');
    } finally {
      await client.close();
    }
  });

  it("'auto' does not kill a server that exits on any request before initialize (probe on a sibling)", async () => {
    const { client, transport } = await connectFixture(SDK1_SERVER, {}, ['--strict-init']);
    try {
      expect(client.era).toBe('legacy');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'alive' } }))).toBe('alive');
      expect(transport.stderrTail).toBe('');
    } finally {
      await client.close();
    }
  });

  it('(control) probing that server in place kills it: the modern pin probes in place and fails', async () => {
    const err = await connectFixture(SDK1_SERVER, { negotiation: { pin: '2026-07-28' } }, ['--strict-init']).catch(
      (e: unknown) => e,
    );
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect((err as NmcpError).message).toContain('closed');
  });

  it("'auto' treats a server that stays silent on the probe as legacy after probeTimeoutMs", async () => {
    const started = Date.now();
    const { client } = await connectFixture(SDK1_SERVER, { probeTimeoutMs: 300 }, ['--silent-probe']);
    try {
      expect(client.era).toBe('legacy');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      await expect(client.ping()).resolves.toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('{ pin: legacy version } sends that version in initialize', async () => {
    const { client } = await connectFixture(SDK1_SERVER, { negotiation: { pin: '2025-03-26' } });
    try {
      expect(client.protocolVersion).toBe('2025-03-26');
      expect(client.era).toBe('legacy');
    } finally {
      await client.close();
    }
  });

  it('{ pin: modern version } fails against a legacy-only server with NMCP_ERR_NEGOTIATION_FAILED', async () => {
    const err = await connectFixture(SDK1_SERVER, { negotiation: { pin: '2026-07-28' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
    expect((err as NmcpError).message).toContain('2026-07-28');
  });

  it('listTools follows nextCursor across pages', async () => {
    const { client } = await connectFixture(SDK1_SERVER, { negotiation: 'legacy' }, ['--paginate']);
    try {
      expect((await client.listTools()).map((t) => t.name)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    } finally {
      await client.close();
    }
  });

  it('a closed connection rejects pending and later calls with NMCP_ERR_CONNECTION_CLOSED', async () => {
    const { client, transport } = await connectFixture(SDK1_SERVER, { negotiation: 'legacy' });
    const closed: (Error | undefined)[] = [];
    client.onclose = (reason) => closed.push(reason);
    const pending = client.callTool({ name: 'slow', arguments: { ms: 5_000 } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    process.kill(transport.pid as number, 'SIGKILL');
    const err = await pending;
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    const later = await client.ping().catch((e: unknown) => e);
    expect((later as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(closed).toHaveLength(1);
    expect(client.connected).toBe(false);
    await client.close();
  });
});
