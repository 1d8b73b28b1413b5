// Interop matrix row: our McpClient × SDK 2.x server (serveStdio: both eras on one stdio server).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import type { ElicitationHandler, SamplingHandler } from '../../src/client/types.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError, RpcCode } from '../../src/protocol/jsonrpc.js';
import { connectFixture, SDK2_SERVER, spawnFixture, text, until } from './helpers.js';

const onSampling: SamplingHandler = (params) => ({
  role: 'assistant',
  content: { type: 'text', text: `re:${(params.messages[0]?.content as JsonObject | undefined)?.text}` },
  model: 'model-y',
});
const onElicitation: ElicitationHandler = () => ({ action: 'accept', content: { yes: true } });
const roots = [{ uri: 'file:///r1' }, { uri: 'file:///r2' }];

describe('McpClient × SDK v2 server (stdio, modern era via auto)', () => {
  let client: McpClient;
  const eras: string[] = [];

  beforeAll(async () => {
    ({ client } = await connectFixture(SDK2_SERVER, {
      onSampling: (p, ctx) => {
        eras.push(ctx.era);
        return onSampling(p, ctx);
      },
      onElicitation,
      roots,
    }));
  });
  afterAll(async () => {
    await client?.close();
  });

  it("'auto' selects the modern era from server/discover", () => {
    expect(client.era).toBe('modern');
    expect(client.protocolVersion).toBe('2026-07-28');
    expect(client.serverInfo).toMatchObject({ name: 'sdk2-fixture', version: '2.0.0' });
    expect(client.instructions).toBe('SDK v2 fixture');
    expect(client.serverCapabilities).toMatchObject({ tools: { listChanged: true }, resources: { subscribe: true } });
  });

  it('lists and calls tools (results lose resultType)', async () => {
    const tools = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'confirm', 'think']));
    const r = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    expect(r.structuredContent).toEqual({ sum: 3 });
    expect(r).not.toHaveProperty('resultType');
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'modern' } }))).toBe('modern');
  });

  it('errors: a tool failure is isError; an unknown tool and a missing resource are McpError', async () => {
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed.isError).toBe(true);
    const unknown = await client.callTool({ name: 'nope', arguments: {} }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(McpError);
    expect((unknown as McpError).code).toBe(RpcCode.INVALID_PARAMS);
    const missing = await client.readResource({ uri: 'file:///missing' }).catch((e: unknown) => e);
    expect((missing as McpError).code).toBe(RpcCode.INVALID_PARAMS);
    expect((missing as McpError).data).toEqual({ uri: 'file:///missing' });
  });

  it('resources, templates, prompts and completion', async () => {
    expect((await client.listResources()).map((r) => r.uri)).toContain('file:///readme.md');
    expect((await client.listResourceTemplates()).map((t) => t.uriTemplate)).toEqual(['users://{id}/profile']);
    expect((await client.readResource({ uri: 'users://carol/profile' })).contents[0]?.text).toBe('{"id":"carol"}');
    expect((await client.listPrompts()).map((p) => p.name)).toEqual(['review']);
    const prompt = await client.getPrompt({ name: 'review', arguments: { code: 'y' } });
    expect(prompt.messages[0]).toMatchObject({ content: { text: 'review: y' } });
    const c = await client.complete({
      ref: { type: 'ref/prompt', name: 'review' },
      argument: { name: 'code', value: 'l' },
    });
    expect(c.completion.values).toEqual(['let']);
  });

  it('answers input_required (elicitation) and retries with inputResponses + requestState', async () => {
    const r = await client.callTool({ name: 'confirm', arguments: { what: 'ship' } });
    expect(text(r)).toBe('accept:{"yes":true}:state-for-ship');
  });

  it('answers several input requests of one round (sampling + roots) concurrently', async () => {
    const r = await client.callTool({ name: 'think', arguments: { prompt: 'why' } });
    expect(text(r)).toBe('re:why|model-y|file:///r1,file:///r2');
    expect(eras).toContain('modern');
  });

  it('gives up after maxInputRounds with NMCP_ERR_INPUT_REQUIRED_FAILED', async () => {
    const err = await client.callTool({ name: 'nag', arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.INPUT_REQUIRED_FAILED);
    expect((err as NmcpError).message).toContain('10 rounds');
  });

  it('progress and a timeout that resets on progress', async () => {
    const seen: number[] = [];
    const r = await client.callTool(
      { name: 'progress', arguments: { steps: 3, delayMs: 80 } },
      { timeoutMs: 200, onProgress: (p) => seen.push(p.progress) },
    );
    expect(text(r)).toBe('done 3');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('cancellation with an AbortSignal; a timeout', async () => {
    const controller = new AbortController();
    const pending = client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 30);
    await expect(pending).rejects.toThrow('stop');
    const err = await client.callTool({ name: 'slow', arguments: { ms: 5_000 } }, { timeoutMs: 80 }).catch((e) => e);
    expect((err as McpError).code).toBe(RpcCode.REQUEST_TIMEOUT);
    // both reached the server's handler as notifications/cancelled
    let count = '';
    for (let i = 0; i < 50 && count !== '2'; i++) {
      count = text(await client.callTool({ name: 'cancelled-count', arguments: {} }));
    }
    expect(count).toBe('2');
    // the connection is still fine
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'ok' } }))).toBe('ok');
  });

  it('ping is a server/discover round trip (the modern era has no ping)', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('setLoggingLevel puts the level in every request _meta (no level: no log messages)', async () => {
    const logs: JsonObject[] = [];
    const off = client.onNotification('notifications/message', (p) => logs.push(p));
    await client.callTool({ name: 'log', arguments: { text: 'quiet' } });
    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'log', arguments: { text: 'loud' } });
    await until(() => logs.length > 0);
    expect(logs.map((l) => (l.data as JsonObject).text)).toEqual(['loud']);
    off();
  });

  it('list_changed and resources/updated arrive through subscriptions/listen', async () => {
    const changed: JsonObject[] = [];
    const updated: JsonObject[] = [];
    const off1 = client.onNotification('notifications/tools/list_changed', (p) => changed.push(p));
    const off2 = client.onNotification('notifications/resources/updated', (p) => updated.push(p));
    await client.subscribeResource('file:///readme.md');
    await client.callTool({ name: 'mutate', arguments: {} });
    await until(() => changed.length > 0 && updated.length > 0);
    expect(updated[0]).toMatchObject({ uri: 'file:///readme.md' });
    await new Promise((r) => setTimeout(r, 30));
    expect(changed).toHaveLength(1); // not duplicated across the subscription switch
    await client.unsubscribeResource('file:///readme.md');
    off1();
    off2();
  });
});

describe('McpClient × SDK v2 server: other modes', () => {
  it("'auto' against a legacy-only v2 server (no serveStdio) falls back to initialize", async () => {
    const { client } = await connectFixture(SDK2_SERVER, {}, ['--legacy-only']);
    try {
      expect(client.era).toBe('legacy');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'v2 legacy' } }))).toBe('v2 legacy');
    } finally {
      await client.close();
    }
  });

  it('close() during the sibling probe aborts connect() before the real server is started', async () => {
    const transport = spawnFixture(SDK2_SERVER);
    const client = new McpClient({ name: 't', version: '1' });
    const connecting = client.connect(transport).catch((e: unknown) => e);
    await client.close();
    const err = await connecting;
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(transport.pid).toBeUndefined();
  });

  it('{ pin: 2026-07-28 } connects in place, without a sibling', async () => {
    const { client } = await connectFixture(SDK2_SERVER, { negotiation: { pin: '2026-07-28' }, onElicitation });
    try {
      expect(client.era).toBe('modern');
      expect(text(await client.callTool({ name: 'confirm', arguments: { what: 'x' } }))).toBe(
        'accept:{"yes":true}:state-for-x',
      );
    } finally {
      await client.close();
    }
  });

  it("'legacy' against the dual-era server: the server's shim asks through real server requests", async () => {
    const asked: string[] = [];
    const { client } = await connectFixture(SDK2_SERVER, {
      negotiation: 'legacy',
      onSampling: (p, ctx) => {
        asked.push(`sampling:${ctx.era}`);
        return onSampling(p, ctx);
      },
      onElicitation: (p, ctx) => {
        asked.push(`elicitation:${ctx.era}`);
        return onElicitation(p, ctx);
      },
      roots,
    });
    try {
      expect(client.era).toBe('legacy');
      expect(client.protocolVersion).toBe('2025-11-25');
      expect(text(await client.callTool({ name: 'confirm', arguments: { what: 'y' } }))).toBe(
        'accept:{"yes":true}:state-for-y',
      );
      expect(text(await client.callTool({ name: 'think', arguments: { prompt: 'p' } }))).toBe(
        're:p|model-y|file:///r1,file:///r2',
      );
      expect(asked).toEqual(['elicitation:legacy', 'sampling:legacy']);
      const changed: JsonObject[] = [];
      client.onNotification('notifications/tools/list_changed', (p) => changed.push(p));
      await client.callTool({ name: 'mutate', arguments: {} });
      await until(() => changed.length > 0);
    } finally {
      await client.close();
    }
  });

  it('modern: an input request without a matching callback fails with NMCP_ERR_INPUT_REQUIRED_FAILED', async () => {
    const { client } = await connectFixture(SDK2_SERVER, { negotiation: { pin: '2026-07-28' } });
    try {
      // The server checks the request's clientCapabilities first: without elicitation it refuses with -32021.
      const refused = await client.callTool({ name: 'confirm', arguments: { what: 'z' } }).catch((e: unknown) => e);
      expect((refused as McpError).code).toBe(-32021);
    } finally {
      await client.close();
    }
    const lying = await connectFixture(SDK2_SERVER, {
      negotiation: { pin: '2026-07-28' },
      capabilities: { elicitation: {} },
    });
    try {
      // Declared the capability without a callback: the client cannot answer and says so.
      const err = await lying.client.callTool({ name: 'confirm', arguments: { what: 'z' } }).catch((e: unknown) => e);
      expect((err as NmcpError).code).toBe(ErrorCode.INPUT_REQUIRED_FAILED);
      expect((err as NmcpError).message).toContain('elicitation/create');
    } finally {
      await lying.client.close();
    }
  });
});
