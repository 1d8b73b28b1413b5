/**
 * The official TypeScript SDK 1.x client (@modelcontextprotocol/sdk, legacy era) against nmcp's everything server,
 * spawned from the built CLI over stdio. One server for the whole file.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProgress, serverCommand } from './helpers.js';

type Notice = { method: string; params?: { [k: string]: unknown } };

describe('SDK 1.x Client ↔ nmcp everything (stdio, legacy era)', () => {
  let client: Client;
  let transport: StdioClientTransport;
  const logs: Notice['params'][] = [];
  const updates: string[] = [];
  let toolListChanges = 0;
  const sampled: unknown[] = [];

  beforeAll(async () => {
    const { command, args } = serverCommand();
    transport = new StdioClientTransport({
      command,
      args,
      env: { ...process.env } as Record<string, string>,
      stderr: 'pipe',
    });
    client = new Client(
      { name: 'sdk1-interop', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      sampled.push(req.params);
      const first = req.params.messages[0]?.content as { type: string; text?: string };
      return { role: 'assistant', content: { type: 'text', text: `echo: ${first.text}` }, model: 'test-model' };
    });
    client.setRequestHandler(ElicitRequestSchema, (req) => ({
      action: 'accept',
      content: req.params.message === 'decline me' ? {} : { name: 'Ann', age: 30, username: 'ann', email: 'a@b.c' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: [{ uri: 'file:///tmp/project', name: 'project' }],
    }));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params);
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      toolListChanges++;
    });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client.close();
  });

  it('initializes: server info, capabilities, instructions', () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'nmcp-everything', version: '1.0.0' });
    const caps = client.getServerCapabilities();
    expect(caps).toMatchObject({
      tools: {},
      resources: { subscribe: true },
      prompts: {},
      logging: {},
      completions: {},
    });
    expect(client.getInstructions()).toMatch(/echo/);
  });

  it('ping', async () => {
    expect(await client.ping()).toEqual({});
  });

  it('tools/list: every tool, with schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['echo', 'add', 'stats', 'slow', 'fail', 'sample', 'elicit', 'list_roots', 'test_simple_text']) {
      expect(names).toContain(name);
    }
    const add = tools.find((t) => t.name === 'add');
    expect(add?.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
    });
    expect(add?.outputSchema).toMatchObject({ type: 'object', properties: { sum: { type: 'number' } } });
    expect(add?.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
  });

  it('tools/call echo → one text content item', async () => {
    const r = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(r).toEqual({ content: [{ type: 'text', text: 'hello' }] });
  });

  it('tools/call with an output schema → structuredContent (validated by the SDK client)', async () => {
    const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(r.structuredContent).toEqual({ sum: 5 });
    const s = await client.callTool({ name: 'stats', arguments: { values: [1, 2, 3] } });
    expect(s.structuredContent).toEqual({ count: 3, sum: 6, mean: 2 });
  });

  it('a tool that throws → isError result', async () => {
    const r = await client.callTool({ name: 'fail', arguments: { message: 'boom' } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain('boom');
    const f = await client.callTool({ name: 'test_error_handling', arguments: {} });
    expect(f.isError).toBe(true);
  });

  it('invalid arguments → an isError result (spec 2025-11-25); unknown tool → -32602', async () => {
    const bad = await client.callTool({ name: 'echo', arguments: { text: 5 } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('Input validation error');
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: -32602 });
  });

  it('conformance fixtures: text, image, audio, embedded resource, mixed', async () => {
    expect((await client.callTool({ name: 'test_simple_text', arguments: {} })).content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    expect((await client.callTool({ name: 'test_image_content', arguments: {} })).content).toMatchObject([
      { type: 'image', mimeType: 'image/png' },
    ]);
    expect((await client.callTool({ name: 'test_audio_content', arguments: {} })).content).toMatchObject([
      { type: 'audio', mimeType: 'audio/wav' },
    ]);
    expect((await client.callTool({ name: 'test_embedded_resource', arguments: {} })).content).toMatchObject([
      { type: 'resource', resource: { uri: 'test://embedded-resource' } },
    ]);
    const mixed = await client.callTool({ name: 'test_multiple_content_types', arguments: {} });
    expect((mixed.content as { type: string }[]).map((c) => c.type)).toEqual(['text', 'image', 'resource']);
  });

  it('progress notifications reach onprogress', async () => {
    const seen: { progress: number; total?: number }[] = [];
    const r = await client.callTool(
      { name: 'long_running_operation', arguments: { steps: 3, delayMs: 40 } },
      undefined,
      {
        onprogress: (p) => seen.push(p),
      },
    );
    expect(r.content).toEqual([{ type: 'text', text: 'completed 3 steps' }]);
    expectProgress(
      seen.map((p) => p.progress),
      [1, 2, 3],
    );
    expect(seen.every((p) => p.total === 3)).toBe(true);
    const fixture: number[] = [];
    await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
      onprogress: (p) => fixture.push(p.progress),
    });
    expectProgress(fixture, [0, 50, 100]);
  });

  it('cancellation: aborting sends notifications/cancelled; the server stays responsive', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('user gave up'), 100);
    await expect(call).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    // the handler saw ctx.signal abort (the example logs it at debug; no setLevel yet, so every level is sent)
    await expect.poll(() => logs.some((l) => l?.logger === 'slow')).toBe(true);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'after' } })).content).toEqual([
      { type: 'text', text: 'after' },
    ]);
  });

  it('sampling: the server asks, the SDK client answers', async () => {
    const r = await client.callTool({ name: 'sample', arguments: { prompt: 'ping' } });
    expect(r.content).toEqual([{ type: 'text', text: 'echo: ping' }]);
    expect(r.structuredContent).toMatchObject({ model: 'test-model', role: 'assistant' });
    const f = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
    expect(f.content).toEqual([{ type: 'text', text: 'LLM response: echo: hi' }]);
    expect(sampled.at(-1)).toMatchObject({ maxTokens: 100 });
  });

  it('elicitation: the server asks, the SDK client answers', async () => {
    const r = await client.callTool({ name: 'elicit', arguments: {} });
    expect(r.structuredContent).toMatchObject({ action: 'accept', content: { name: 'Ann', age: 30 } });
    const f = await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } });
    expect((f.content as { text: string }[])[0]?.text).toMatch(/^User response: action=accept/);
  });

  it('roots: the server asks, the SDK client answers', async () => {
    const r = await client.callTool({ name: 'list_roots', arguments: {} });
    expect(r.structuredContent).toEqual({ roots: [{ uri: 'file:///tmp/project', name: 'project' }] });
  });

  it('resources: list, read text and blob, templates, read a template instance', async () => {
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining(['test://static-text', 'test://static-binary', 'nmcp://everything/readme']),
    );
    expect(uris).toEqual(expect.arrayContaining(['nmcp://everything/items/alpha'])); // listed by the template
    const text = await client.readResource({ uri: 'test://static-text' });
    expect(text.contents).toEqual([
      { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
    ]);
    const blob = await client.readResource({ uri: 'test://static-binary' });
    expect(blob.contents[0]).toMatchObject({ uri: 'test://static-binary', mimeType: 'image/png' });
    expect(typeof (blob.contents[0] as { blob?: unknown }).blob).toBe('string');
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining(['test://template/{id}/data', 'nmcp://everything/items/{name}']),
    );
    const inst = await client.readResource({ uri: 'test://template/123/data' });
    expect(JSON.parse((inst.contents[0] as { text: string }).text)).toEqual({
      id: '123',
      templateTest: true,
      data: 'Data for ID: 123',
    });
  });

  it('an unknown resource → -32002', async () => {
    const err = await client.readResource({ uri: 'test://nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32002);
  });

  it('subscribe → resources/updated; unsubscribe → silence', async () => {
    await client.subscribeResource({ uri: 'test://watched-resource' });
    await client.callTool({ name: 'trigger_resource_update', arguments: {} });
    await expect.poll(() => updates.includes('test://watched-resource')).toBe(true);
    const read = await client.readResource({ uri: 'test://watched-resource' });
    expect((read.contents[0] as { text: string }).text).toMatch(/^Watched resource content/);
    await client.unsubscribeResource({ uri: 'test://watched-resource' });
    const count = updates.length;
    await client.callTool({ name: 'trigger_resource_update', arguments: {} });
    await client.ping();
    expect(updates.length).toBe(count);
  });

  it('prompts: list, get with arguments, fixtures', async () => {
    const { prompts } = await client.listPrompts();
    const review = prompts.find((p) => p.name === 'review');
    expect(review?.arguments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'code', required: true }),
        expect.objectContaining({ name: 'language' }),
      ]),
    );
    const r = await client.getPrompt({ name: 'review', arguments: { code: 'let x = 1', language: 'javascript' } });
    expect(r.messages[0]?.content).toMatchObject({ type: 'text', text: expect.stringContaining('let x = 1') });
    const f = await client.getPrompt({
      name: 'test_prompt_with_arguments',
      arguments: { arg1: 'hello', arg2: 'world' },
    });
    expect(f.messages).toEqual([
      { role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" } },
    ]);
    await expect(client.getPrompt({ name: 'review', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    await expect(client.getPrompt({ name: 'no_such_prompt' })).rejects.toMatchObject({ code: -32602 });
  });

  it('completion: prompt argument and template variable', async () => {
    const p = await client.complete({
      ref: { type: 'ref/prompt', name: 'review' },
      argument: { name: 'language', value: 'ja' },
    });
    expect(p.completion.values).toEqual(['java', 'javascript']);
    const t = await client.complete({
      ref: { type: 'ref/resource', uri: 'test://template/{id}/data' },
      argument: { name: 'id', value: '1' },
    });
    expect(t.completion.values).toEqual(['1', '123']);
  });

  it('logging: setLevel filters notifications/message', async () => {
    await client.setLoggingLevel('warning');
    const before = logs.length;
    await client.callTool({ name: 'log', arguments: { level: 'info', data: 'quiet' } });
    await client.callTool({ name: 'log', arguments: { level: 'error', data: 'loud' } });
    await expect.poll(() => logs.slice(before).some((l) => l?.data === 'loud')).toBe(true);
    expect(logs.slice(before).some((l) => l?.data === 'quiet')).toBe(false);
    expect(logs.slice(before).find((l) => l?.data === 'loud')).toMatchObject({ level: 'error' });
    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await expect.poll(() => logs.some((l) => l?.data === 'Tool execution completed')).toBe(true);
  });

  it('tool list changes: disable → list_changed and the tool disappears; enable → back', async () => {
    const before = toolListChanges;
    await client.callTool({ name: 'toggle_dynamic_tool', arguments: {} });
    await expect.poll(() => toolListChanges).toBeGreaterThan(before);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('dynamic');
    await client.callTool({ name: 'toggle_dynamic_tool', arguments: {} });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('dynamic');
  });
});
