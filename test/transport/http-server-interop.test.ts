/**
 * The official SDK clients against nmcp's Streamable HTTP server serving the everything example (real sockets):
 * @modelcontextprotocol/sdk 1.x (legacy era) and @modelcontextprotocol/client 2.x (legacy and 2026-07-28).
 */
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from '@modelcontextprotocol/client';
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Transport1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError as McpError1,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProgress } from '../interop/helpers.js';
import { startEverything } from './http-server-helpers.js';

type Params = { [k: string]: unknown };

/** Re-triggers `action` until `done()` (a GET stream opens asynchronously after initialize). */
async function eventually(action: () => Promise<unknown>, done: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !done(); i++) {
    await action();
    const until = Date.now() + 250;
    while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }
  expect(done()).toBe(true);
}

describe('SDK 1.x StreamableHTTPClientTransport ↔ nmcp HTTP server (legacy era)', () => {
  let env: Awaited<ReturnType<typeof startEverything>>;
  let client: Client1;
  let transport: Transport1;
  const logs: Params[] = [];
  const updates: string[] = [];

  beforeAll(async () => {
    env = await startEverything();
    client = new Client1(
      { name: 'sdk1-http', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      const first = req.params.messages[0]?.content as { text?: string };
      return { role: 'assistant', content: { type: 'text', text: `echo: ${first.text}` }, model: 'test-model' };
    });
    client.setRequestHandler(ElicitRequestSchema, () => ({
      action: 'accept',
      content: { name: 'Ann', age: 30, username: 'ann', email: 'a@b.c' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///tmp/p', name: 'p' }] }));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params);
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    transport = new Transport1(new URL(env.url));
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await env?.close();
  });

  it('initialize: a session id, the negotiated version, the server identity', () => {
    expect(transport.sessionId).toMatch(/^[\x21-\x7e]+$/);
    expect(env.http.handler.session(transport.sessionId as string)?.protocolVersion).toBe('2025-11-25');
    expect(client.getServerVersion()).toMatchObject({ name: 'nmcp-everything' });
  });

  it('tools: list, call, structured content, isError, unknown tool', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'test_simple_text']));
    expect((await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).content).toEqual([
      { type: 'text', text: 'hi' },
    ]);
    expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 });
    expect((await client.callTool({ name: 'fail', arguments: {} })).isError).toBe(true);
    const err = await client.callTool({ name: 'nope', arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError1);
    expect((err as McpError1).code).toBe(-32602);
  });

  it('progress arrives on the call’s SSE stream', async () => {
    const seen: number[] = [];
    await client.callTool({ name: 'long_running_operation', arguments: { steps: 4, delayMs: 40 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    expectProgress(seen, [1, 2, 3, 4]);
  });

  it('server→client requests during a tool call: sampling, elicitation, roots', async () => {
    const s = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
    expect(s.content).toEqual([{ type: 'text', text: 'LLM response: echo: hi' }]);
    const e = await client.callTool({ name: 'elicit', arguments: {} });
    expect(e.structuredContent).toMatchObject({ action: 'accept', content: { name: 'Ann' } });
    const r = await client.callTool({ name: 'list_roots', arguments: {} });
    expect(r.structuredContent).toEqual({ roots: [{ uri: 'file:///tmp/p', name: 'p' }] });
  });

  it('logging on the call’s stream, filtered by logging/setLevel', async () => {
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'log', arguments: { level: 'info', data: 'quiet' } });
    await client.callTool({ name: 'log', arguments: { level: 'error', data: 'loud' } });
    await expect.poll(() => logs.some((l) => l.data === 'loud')).toBe(true);
    expect(logs.some((l) => l.data === 'quiet')).toBe(false);
  });

  it('resources: list, read, templates, subscribe → updates on the GET stream', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('test://static-text');
    const read = await client.readResource({ uri: 'test://static-text' });
    expect(read.contents[0]).toMatchObject({ text: 'This is the content of the static text resource.' });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('test://template/{id}/data');
    await client.subscribeResource({ uri: 'test://watched-resource' });
    await eventually(
      () => client.callTool({ name: 'trigger_resource_update', arguments: {} }),
      () => updates.includes('test://watched-resource'),
    );
    const missing = await client.readResource({ uri: 'test://nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(McpError1);
  });

  it('prompts and completion', async () => {
    const p = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
    expect(p.messages[0]?.content).toEqual({ type: 'text', text: "Prompt with arguments: arg1='a', arg2='b'" });
    const c = await client.complete({
      ref: { type: 'ref/prompt', name: 'review' },
      argument: { name: 'language', value: 'ty' },
    });
    expect(c.completion.values).toEqual(['typescript']);
  });

  it('cancellation ends the call quickly and the session goes on', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('stop'), 100);
    await expect(call).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'after' } })).content).toEqual([
      { type: 'text', text: 'after' },
    ]);
  });

  it('DELETE (terminateSession) ends the session: the server forgets it', async () => {
    const c = new Client1({ name: 'sdk1-http-delete', version: '1.0.0' });
    const t = new Transport1(new URL(env.url));
    await c.connect(t);
    const sid = t.sessionId as string;
    expect(env.http.handler.session(sid)).toBeDefined();
    await t.terminateSession();
    expect(env.http.handler.session(sid)).toBeUndefined();
    await c.close();
  });
});

describe.each(['legacy', 'modern'] as const)(
  'SDK 2.x StreamableHTTPClientTransport ↔ nmcp HTTP server (%s era)',
  (era) => {
    let env: Awaited<ReturnType<typeof startEverything>>;
    let client: Client2;
    const modern = era === 'modern';
    const updates: string[] = [];

    beforeAll(async () => {
      env = await startEverything();
      client = new Client2(
        { name: `sdk2-http-${era}`, version: '1.0.0' },
        {
          capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
          versionNegotiation: { mode: modern ? { pin: '2026-07-28' } : 'legacy' },
        },
      );
      client.setRequestHandler('sampling/createMessage', (req) => {
        const first = req.params.messages[0]?.content as { text?: string };
        return { role: 'assistant', content: { type: 'text', text: `echo: ${first.text}` }, model: 'test-model' };
      });
      client.setRequestHandler('elicitation/create', () => ({
        action: 'accept',
        content: { name: 'Ann', age: 30, username: 'ann', email: 'a@b.c' },
      }));
      client.setNotificationHandler('notifications/resources/updated', (n) => {
        updates.push(n.params.uri);
      });
      await client.connect(new Transport2(new URL(env.url)));
    });

    afterAll(async () => {
      await client?.close();
      await env?.close();
    });

    it('negotiates the era', () => {
      expect(client.getProtocolEra()).toBe(era);
      expect(client.getNegotiatedProtocolVersion()).toBe(modern ? '2026-07-28' : '2025-11-25');
      expect(env.http.handler.sessionCount).toBe(modern ? 0 : 1); // the modern era keeps no session
    });

    it('tools: list and call; errors', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      expect((await client.callTool({ name: 'echo', arguments: { text: 'yo' } })).content).toEqual([
        { type: 'text', text: 'yo' },
      ]);
      expect((await client.callTool({ name: 'fail', arguments: {} })).isError).toBe(true);
      await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    });

    it('progress', async () => {
      const seen: number[] = [];
      await client.callTool(
        { name: 'long_running_operation', arguments: { steps: 3, delayMs: 40 } },
        { onprogress: (p) => seen.push(p.progress) },
      );
      expectProgress(seen, [1, 2, 3]);
    });

    it(`sampling and elicitation during a tool call (${modern ? 'input_required rounds' : 'server→client requests'})`, async () => {
      const s = await client.callTool({ name: 'sample', arguments: { prompt: 'ping' } });
      expect(s.content).toEqual([{ type: 'text', text: 'echo: ping' }]);
      const e = await client.callTool({ name: 'elicit', arguments: {} });
      expect(e.structuredContent).toMatchObject({ action: 'accept', content: { name: 'Ann', age: 30 } });
    });

    it('resources: read, and updates (listen stream / GET stream)', async () => {
      const read = await client.readResource({ uri: 'test://static-binary' });
      expect(read.contents[0]).toMatchObject({ mimeType: 'image/png' });
      const uri = 'test://watched-resource';
      if (modern) {
        const sub = await client.listen({ resourceSubscriptions: [uri] });
        await client.callTool({ name: 'trigger_resource_update', arguments: {} });
        await expect.poll(() => updates.includes(uri)).toBe(true);
        await sub.close();
      } else {
        await client.subscribeResource({ uri });
        await eventually(
          () => client.callTool({ name: 'trigger_resource_update', arguments: {} }),
          () => updates.includes(uri),
        );
      }
    });

    it('prompts', async () => {
      const r = await client.getPrompt({ name: 'test_simple_prompt' });
      expect(r.messages[0]?.content).toEqual({ type: 'text', text: 'This is a simple prompt for testing.' });
    });
  },
);
