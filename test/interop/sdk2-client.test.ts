/**
 * The official TypeScript SDK 2.x client (@modelcontextprotocol/client) against nmcp's everything server over stdio,
 * in the legacy era (initialize handshake, server→client requests) and in the modern era (2026-07-28: server/discover,
 * per-request _meta, input_required round trips, subscriptions/listen). One server per era.
 */
import { Client, ProtocolError, ResourceNotFoundError } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProgress, serverCommand } from './helpers.js';

type Era = 'legacy' | 'modern';
type Params = { [k: string]: unknown };
const LOG_LEVEL = 'io.modelcontextprotocol/logLevel';

describe.each<Era>(['legacy', 'modern'])('SDK 2.x Client ↔ nmcp everything (stdio, %s era)', (era) => {
  let client: Client;
  const logs: Params[] = [];
  const updates: string[] = [];
  let toolListChanges = 0;
  const modern = era === 'modern';
  /** In the modern era a log is sent only when the request asks for it (_meta logLevel). */
  const logMeta = (level: string) => (modern ? { _meta: { [LOG_LEVEL]: level } } : {});

  beforeAll(async () => {
    const { command, args } = serverCommand();
    const transport = new StdioClientTransport({
      command,
      args,
      env: { ...process.env } as Record<string, string>,
      stderr: 'pipe',
    });
    client = new Client(
      { name: `sdk2-interop-${era}`, version: '1.0.0' },
      {
        capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
        versionNegotiation: { mode: modern ? { pin: '2026-07-28' } : 'legacy' },
      },
    );
    client.setRequestHandler('sampling/createMessage', (req) => {
      const first = req.params.messages[0]?.content as { type: string; text?: string };
      return { role: 'assistant', content: { type: 'text', text: `echo: ${first.text}` }, model: 'test-model' };
    });
    client.setRequestHandler('elicitation/create', () => ({
      action: 'accept',
      content: { name: 'Ann', age: 30, username: 'ann', email: 'a@b.c' },
    }));
    client.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///tmp/project', name: 'project' }] }));
    client.setNotificationHandler('notifications/message', (n) => {
      logs.push(n.params as Params);
    });
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      updates.push(n.params.uri);
    });
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      toolListChanges++;
    });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
  });

  it('negotiates the era and identifies the server', () => {
    expect(client.getProtocolEra()).toBe(era);
    expect(client.getNegotiatedProtocolVersion()).toBe(modern ? '2026-07-28' : '2025-11-25');
    expect(client.getServerVersion()).toMatchObject({ name: 'nmcp-everything', version: '1.0.0' });
    expect(client.getServerCapabilities()).toMatchObject({
      tools: {},
      resources: { subscribe: true },
      prompts: {},
      completions: {},
    });
    expect(client.getInstructions()).toMatch(/echo/);
  });

  it.skipIf(modern)('ping (legacy only: removed in 2026-07-28)', async () => {
    expect(await client.ping()).toEqual({});
  });

  it('tools/list and tools/call echo', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'sample', 'test_simple_text']));
    const r = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(r.content).toEqual([{ type: 'text', text: 'hello' }]);
    expect(r.isError ?? false).toBe(false);
  });

  it('structuredContent, validated against the output schema by the client', async () => {
    const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    expect(r.structuredContent).toEqual({ sum: 42 });
  });

  it('isError results, invalid arguments included (spec 2025-11-25); unknown tools → -32602', async () => {
    const r = await client.callTool({ name: 'fail', arguments: {} });
    expect(r.isError).toBe(true);
    const bad = await client.callTool({ name: 'echo', arguments: { text: 5 } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('Input validation error');
    const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ProtocolError);
    expect((unknown as ProtocolError).code).toBe(-32602);
  });

  it('progress', async () => {
    const seen: number[] = [];
    await client.callTool(
      { name: 'long_running_operation', arguments: { steps: 3, delayMs: 40 } },
      { onprogress: (p) => seen.push(p.progress) },
    );
    expectProgress(seen, [1, 2, 3]);
  });

  it('cancellation: abort → the call rejects quickly, the server stays responsive', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort('user gave up'), 100);
    await expect(call).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    const r = await client.callTool({ name: 'echo', arguments: { text: 'after' } });
    expect(r.content).toEqual([{ type: 'text', text: 'after' }]);
  });

  it(`sampling round trip (${modern ? 'input_required' : 'sampling/createMessage request'})`, async () => {
    const r = await client.callTool({ name: 'sample', arguments: { prompt: 'ping' } });
    expect(r.content).toEqual([{ type: 'text', text: 'echo: ping' }]);
    const f = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
    expect(f.content).toEqual([{ type: 'text', text: 'LLM response: echo: hi' }]);
  });

  it(`elicitation round trip (${modern ? 'input_required' : 'elicitation/create request'})`, async () => {
    const r = await client.callTool({ name: 'elicit', arguments: {} });
    expect(r.structuredContent).toMatchObject({ action: 'accept', content: { name: 'Ann', age: 30 } });
  });

  it(`roots round trip (${modern ? 'input_required' : 'roots/list request'})`, async () => {
    const r = await client.callTool({ name: 'list_roots', arguments: {} });
    expect(r.structuredContent).toEqual({ roots: [{ uri: 'file:///tmp/project', name: 'project' }] });
  });

  it('resources: list, read, templates', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['test://static-text', 'test://static-binary']));
    const text = await client.readResource({ uri: 'test://static-text' });
    expect(text.contents).toEqual([
      { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('test://template/{id}/data');
    const inst = await client.readResource({ uri: 'nmcp://everything/items/bravo' });
    expect(inst.contents).toEqual([
      { uri: 'nmcp://everything/items/bravo', mimeType: 'text/plain', text: 'This is item bravo.' },
    ]);
  });

  it('an unknown resource → ResourceNotFoundError (the wire code, -32002 legacy / -32602 modern, is checked raw)', async () => {
    // The SDK 2.x client folds -32002 + data.uri into ResourceNotFoundError (code -32602), so only the class is visible.
    const err = await client.readResource({ uri: 'test://nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundError);
    expect((err as ResourceNotFoundError).message).toContain('test://nope');
  });

  it(`resource updates (${modern ? 'subscriptions/listen' : 'resources/subscribe'})`, async () => {
    const uri = 'test://watched-resource';
    if (modern) {
      const sub = await client.listen({ resourceSubscriptions: [uri] });
      expect(sub.honoredFilter.resourceSubscriptions).toEqual([uri]);
      await client.callTool({ name: 'trigger_resource_update', arguments: {} });
      await expect.poll(() => updates.includes(uri)).toBe(true);
      await sub.close();
    } else {
      await client.subscribeResource({ uri });
      await client.callTool({ name: 'trigger_resource_update', arguments: {} });
      await expect.poll(() => updates.includes(uri)).toBe(true);
      await client.unsubscribeResource({ uri });
    }
    const count = updates.length;
    await client.callTool({ name: 'trigger_resource_update', arguments: {} });
    await client.listTools();
    expect(updates.length).toBe(count);
  });

  it('tools/list_changed', async () => {
    const sub = modern ? await client.listen({ toolsListChanged: true }) : undefined;
    const before = toolListChanges;
    await client.callTool({ name: 'toggle_dynamic_tool', arguments: {} });
    await expect.poll(() => toolListChanges).toBeGreaterThan(before);
    await client.callTool({ name: 'toggle_dynamic_tool', arguments: {} });
    await sub?.close();
  });

  it('prompts: list and get with arguments', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['review', 'test_simple_prompt']));
    const r = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
    expect(r.messages).toEqual([
      { role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='a', arg2='b'" } },
    ]);
  });

  it('completion', async () => {
    const p = await client.complete({
      ref: { type: 'ref/prompt', name: 'review' },
      argument: { name: 'language', value: 'ru' },
    });
    expect(p.completion.values).toEqual(['rust']);
    const t = await client.complete({
      ref: { type: 'ref/resource', uri: 'nmcp://everything/items/{name}' },
      argument: { name: 'name', value: 'c' },
    });
    expect(t.completion.values).toEqual(['charlie']);
  });

  it(`logging (${modern ? 'per-request _meta logLevel' : 'logging/setLevel'})`, async () => {
    if (!modern) await client.setLoggingLevel('warning');
    const before = logs.length;
    await client.callTool({ name: 'log', arguments: { level: 'info', data: 'quiet' }, ...logMeta('warning') });
    await client.callTool({ name: 'log', arguments: { level: 'error', data: 'loud' }, ...logMeta('warning') });
    await expect.poll(() => logs.slice(before).some((l) => l.data === 'loud')).toBe(true);
    expect(logs.slice(before).some((l) => l.data === 'quiet')).toBe(false);
    if (modern) {
      // no logLevel in _meta → no logs at all
      const n = logs.length;
      await client.callTool({ name: 'log', arguments: { level: 'emergency', data: 'unasked' } });
      await client.listTools();
      expect(logs.length).toBe(n);
    }
  });
});
