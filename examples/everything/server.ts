/**
 * The "everything" example: one nmcp McpServer that uses every feature of the server API — tools with input and
 * output schemas, structured content, annotations, progress, cancellation, tool errors, sampling, elicitation and
 * roots; static resources, resource templates with listing and completion, subscriptions; prompts with arguments and
 * completion; logging — plus the official conformance suite's `test_*` fixtures.
 *
 * It is shipped in dist/ and served by the CLI, so it imports only nmcp (no zod, a dev dependency): schemas are JSON
 * Schema here; a Standard Schema (a zod object, …) goes in the same places.
 *
 *   nmcp serve --stdio --example everything
 *
 * `echo` is what the benchmarks call: keep it minimal and synchronous.
 */
import { McpServer, ResourceTemplate } from 'nmcp';
import { registerConformanceFixtures, WATCHED_RESOURCE_URI } from './conformance-fixtures.js';
import { sleep } from './sleep.js';
import { registerTaskFixtures } from './task-fixtures.js';

export interface EverythingServerOptions {
  /** serverInfo.name (default 'nmcp-everything'). */
  name?: string;
  /** Page size of every list (default: the server's, 1000). Small values exercise pagination. */
  pageSize?: number;
  /** Secret that signs modern-era requestState (default: random per server). */
  requestStateSecret?: Uint8Array | string;
  /** Change test://watched-resource and send resources/updated every this many ms (default 0: only on demand). */
  watchIntervalMs?: number;
}

const LANGUAGES = ['c', 'cpp', 'go', 'java', 'javascript', 'python', 'rust', 'typescript'];
const ITEMS = ['alpha', 'bravo', 'charlie'];

export function createEverythingServer(options: EverythingServerOptions = {}): McpServer {
  const server = new McpServer(
    {
      name: options.name ?? 'nmcp-everything',
      version: '1.0.0',
      title: 'nmcp everything',
      instructions: 'An example server that exercises every MCP feature. `echo` returns its text.',
    },
    {
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.requestStateSecret === undefined ? {} : { requestStateSecret: options.requestStateSecret }),
    },
  );

  let watchedVersion = 0;
  const watchedText = () =>
    watchedVersion === 0 ? 'Watched resource content' : `Watched resource content (update ${watchedVersion})`;
  const touchWatched = (uri: string) => {
    if (uri === WATCHED_RESOURCE_URI) watchedVersion++;
    server.sendResourceUpdated(uri);
  };

  // The suite's fixtures come first in every list: http-header-validation calls the first listed tool with no
  // arguments and expects a result, which `echo` (text required) cannot give.
  registerConformanceFixtures(server, watchedText);

  // ---- tools
  server.registerTool(
    'echo',
    {
      description: 'Returns its text argument as one text content item',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
    (args) => ({ content: [{ type: 'text', text: args.text as string }] }),
  );

  server.registerTool(
    'add',
    {
      title: 'Add two numbers',
      description: 'Adds a and b; the sum comes back as structured content',
      inputSchema: {
        type: 'object',
        properties: {
          a: { type: 'number', description: 'first addend' },
          b: { type: 'number', description: 'second addend' },
        },
        required: ['a', 'b'],
      },
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => {
      const { a, b } = args as { a: number; b: number };
      const structuredContent = { sum: a + b };
      return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool(
    'stats',
    {
      title: 'Statistics',
      description: 'Count, sum and mean of a list of numbers',
      inputSchema: {
        type: 'object',
        properties: { values: { type: 'array', items: { type: 'number' }, minItems: 1 } },
        required: ['values'],
        additionalProperties: false,
      },
      outputSchema: {
        type: 'object',
        properties: { count: { type: 'integer' }, sum: { type: 'number' }, mean: { type: 'number' } },
        required: ['count', 'sum', 'mean'],
      },
      annotations: { readOnlyHint: true, idempotentHint: true },
    },
    (args) => {
      const values = args.values as number[];
      const sum = values.reduce((s, v) => s + v, 0);
      const structuredContent = { count: values.length, sum, mean: sum / values.length };
      return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent };
    },
  );

  server.registerTool(
    'long_running_operation',
    {
      description: 'Reports progress for each of `steps` steps, `delayMs` apart',
      inputSchema: {
        type: 'object',
        properties: {
          steps: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
          delayMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 10 },
        },
      },
    },
    async (args, ctx) => {
      const steps = (args.steps as number | undefined) ?? 5;
      const delayMs = (args.delayMs as number | undefined) ?? 10;
      for (let i = 1; i <= steps; i++) {
        await sleep(delayMs, ctx.signal);
        ctx.progress(i, steps, `step ${i} of ${steps}`);
      }
      return { content: [{ type: 'text', text: `completed ${steps} steps` }] };
    },
  );

  server.registerTool(
    'slow',
    {
      description:
        'Waits `ms` milliseconds (default 10 s) unless cancelled (notifications/cancelled aborts ctx.signal)',
      inputSchema: { type: 'object', properties: { ms: { type: 'integer', minimum: 0, default: 10_000 } } },
      annotations: { readOnlyHint: true },
    },
    async (args, ctx) => {
      const ms = (args.ms as number | undefined) ?? 10_000;
      const started = Date.now();
      try {
        await sleep(ms, ctx.signal);
      } catch (err) {
        // Cancelled: no response goes out; tell the session's log (debug) so that the abort is observable.
        server.log('debug', { tool: 'slow', requestId: ctx.requestId, cancelledAfterMs: Date.now() - started }, 'slow');
        throw err;
      }
      return { content: [{ type: 'text', text: `waited ${Date.now() - started} ms` }] };
    },
  );

  server.registerTool(
    'fail',
    {
      description: 'Always fails: the thrown error becomes an isError result',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
    },
    (args) => {
      throw new Error((args.message as string | undefined) ?? 'this tool always fails');
    },
  );

  server.registerTool(
    'sample',
    {
      description: 'Asks the client to sample an LLM (sampling/createMessage) and returns the reply',
      inputSchema: {
        type: 'object',
        properties: { prompt: { type: 'string' }, maxTokens: { type: 'integer', minimum: 1, default: 100 } },
        required: ['prompt'],
      },
      annotations: { openWorldHint: true },
    },
    async (args, ctx) => {
      const result = await ctx.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: args.prompt as string } }],
        maxTokens: (args.maxTokens as number | undefined) ?? 100,
      });
      const content = result.content as { type?: string; text?: string };
      return {
        content: [{ type: 'text', text: content.type === 'text' ? String(content.text) : JSON.stringify(content) }],
        structuredContent: { model: result.model, role: result.role },
      };
    },
  );

  server.registerTool(
    'elicit',
    {
      description: 'Asks the user (elicitation/create) for a name and an age, and returns the answer',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
    },
    async (args, ctx) => {
      const result = await ctx.elicit({
        mode: 'form',
        message: (args.message as string | undefined) ?? 'Who are you?',
        requestedSchema: {
          type: 'object',
          properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
          required: ['name'],
        },
      });
      return {
        content: [{ type: 'text', text: `action=${result.action} content=${JSON.stringify(result.content ?? {})}` }],
        structuredContent: { action: result.action, content: result.content ?? {} },
      };
    },
  );

  server.registerTool(
    'list_roots',
    { description: "Returns the client's roots (roots/list)", inputSchema: { type: 'object', properties: {} } },
    async (_args, ctx) => {
      const { roots } = await ctx.listRoots();
      return { content: [{ type: 'text', text: JSON.stringify(roots) }], structuredContent: { roots } };
    },
  );

  server.registerTool(
    'log',
    {
      description: 'Sends notifications/message at `level` (filtered by logging/setLevel)',
      inputSchema: {
        type: 'object',
        properties: {
          level: {
            type: 'string',
            enum: ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'],
            default: 'info',
          },
          data: {},
        },
      },
    },
    (args, ctx) => {
      const level = (args.level as 'info' | undefined) ?? 'info';
      ctx.log(level, args.data ?? `a ${level} message`);
      return { content: [{ type: 'text', text: `logged at ${level}` }] };
    },
  );

  server.registerTool(
    'trigger_resource_update',
    {
      description: `Changes a resource and sends notifications/resources/updated to its subscribers (default ${WATCHED_RESOURCE_URI})`,
      inputSchema: { type: 'object', properties: { uri: { type: 'string', default: WATCHED_RESOURCE_URI } } },
    },
    (args) => {
      const uri = (args.uri as string | undefined) ?? WATCHED_RESOURCE_URI;
      touchWatched(uri);
      return { content: [{ type: 'text', text: `updated ${uri}` }] };
    },
  );

  const dynamic = server.registerTool(
    'dynamic',
    { description: 'A tool that toggle_dynamic_tool enables and disables', inputSchema: { type: 'object' } },
    () => ({ content: [{ type: 'text', text: 'dynamic tool called' }] }),
  );
  let dynamicEnabled = true;
  server.registerTool(
    'toggle_dynamic_tool',
    {
      description: 'Enables or disables the `dynamic` tool (sends notifications/tools/list_changed)',
      inputSchema: { type: 'object', properties: {} },
    },
    () => {
      dynamicEnabled = !dynamicEnabled;
      if (dynamicEnabled) dynamic.enable();
      else dynamic.disable();
      return { content: [{ type: 'text', text: `dynamic is ${dynamicEnabled ? 'enabled' : 'disabled'}` }] };
    },
  );

  // ---- resources
  server.registerResource(
    'readme',
    'nmcp://everything/readme',
    { title: 'README', description: 'What this server is', mimeType: 'text/markdown' },
    (uri) => ({
      contents: [
        {
          uri: String(uri),
          mimeType: 'text/markdown',
          text: '# nmcp everything\n\nAn example exercising every MCP feature.\n',
        },
      ],
    }),
  );
  server.registerResource(
    'item',
    new ResourceTemplate('nmcp://everything/items/{name}', {
      list: () => ({
        resources: ITEMS.map((name) => ({
          uri: `nmcp://everything/items/${name}`,
          name: `item ${name}`,
          mimeType: 'text/plain',
        })),
      }),
      complete: { name: (value: string) => ITEMS.filter((n) => n.startsWith(value)) },
    }),
    {
      title: 'Items',
      description: 'One resource per item (listed, with completion of {name})',
      mimeType: 'text/plain',
    },
    (uri, vars) => ({ contents: [{ uri: String(uri), mimeType: 'text/plain', text: `This is item ${vars.name}.` }] }),
  );

  // ---- prompts
  server.registerPrompt(
    'review',
    {
      title: 'Code review',
      description: 'Asks for a review of some code (with completion of `language`)',
      argsSchema: {
        type: 'object',
        properties: {
          code: { type: 'string', description: 'the code to review' },
          language: { type: 'string', description: 'its language' },
        },
        required: ['code'],
      },
      complete: { language: (value: string) => LANGUAGES.filter((l) => l.startsWith(value)) },
    },
    (args) => {
      const { code, language } = args;
      return {
        description: 'A code review request',
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `Please review this ${language ?? ''} code:\n\n${code}`.replace('  ', ' ') },
          },
        ],
      };
    },
  );

  registerTaskFixtures(server);

  if (options.watchIntervalMs) {
    const timer = setInterval(() => touchWatched(WATCHED_RESOURCE_URI), options.watchIntervalMs);
    timer.unref();
    const close = server.close.bind(server);
    server.close = async () => {
      clearInterval(timer);
      await close();
    };
  }
  return server;
}
