/**
 * The fixtures the official conformance suite (@modelcontextprotocol/conformance) calls by name: `test_*` tools and
 * prompts, `test://…` resources. Names, arguments and results follow the suite's everything-server requirements
 * (SERVER_REQUIREMENTS.md and its reference examples/servers/typescript/everything-server.ts).
 */
import { httpCloseStream, type McpServer, ResourceTemplate } from 'nmcp';

/** A 1×1 red PNG. */
export const TEST_IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A minimal WAV file. */
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/**
 * SEP-1613 / SEP-2106: a tool input schema with JSON Schema 2020-12 features ($defs with an $anchor, allOf/anyOf,
 * if/then/else) that must be listed unchanged (the suite's exact schema).
 */
const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keyword (the suite's schema); never awaited
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

const NO_ARGS = { type: 'object', properties: {} };
const NAME_SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const CONFIRM_SCHEMA = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
/** The text of a sampling result's content (a text block), else its JSON. */
const textOf = (content: unknown) => {
  const c = content as { type?: string; text?: string } | undefined;
  return c?.type === 'text' ? String(c.text) : JSON.stringify(content);
};
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export const WATCHED_RESOURCE_URI = 'test://watched-resource';

/** Registers the conformance fixtures on `server`. `watched()` returns the watched resource's current text. */
export function registerConformanceFixtures(server: McpServer, watched: () => string): void {
  // ---- tools
  server.registerTool(
    'test_simple_text',
    { description: 'Tests simple text content response', inputSchema: NO_ARGS },
    () => text('This is a simple text response for testing.'),
  );
  server.registerTool(
    'test_image_content',
    { description: 'Tests image content response', inputSchema: NO_ARGS },
    () => ({
      content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }],
    }),
  );
  server.registerTool(
    'test_audio_content',
    { description: 'Tests audio content response', inputSchema: NO_ARGS },
    () => ({
      content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }],
    }),
  );
  server.registerTool(
    'test_embedded_resource',
    { description: 'Tests embedded resource content response', inputSchema: NO_ARGS },
    () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Tests response with multiple content types (text, image, resource)', inputSchema: NO_ARGS },
    () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Tests tool that emits log messages during execution', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      ctx.log('info', 'Tool execution started');
      await sleep(50, ctx.signal);
      ctx.log('info', 'Tool processing data');
      await sleep(50, ctx.signal);
      ctx.log('info', 'Tool execution completed');
      return text('Tool with logging executed successfully');
    },
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Tests tool that reports progress notifications', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      for (const step of [0, 50, 100]) {
        if (step > 0) await sleep(50, ctx.signal);
        ctx.progress(step, 100, `Completed step ${step} of 100`);
      }
      return text(`Progress reported with token ${JSON.stringify(ctx.meta?.progressToken ?? null)}`);
    },
  );
  server.registerTool(
    'test_error_handling',
    { description: 'Tests error response handling', inputSchema: NO_ARGS },
    () => {
      throw new Error('This tool intentionally returns an error for testing');
    },
  );
  server.registerTool(
    'test_sampling',
    {
      description: 'Tests server-initiated sampling (LLM completion request)',
      inputSchema: {
        type: 'object',
        properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
        required: ['prompt'],
      },
    },
    async (args, ctx) => {
      const result = await ctx.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }],
        maxTokens: 100,
      });
      const content = result.content as { type?: string; text?: string } | undefined;
      return text(`LLM response: ${content?.type === 'text' ? content.text : JSON.stringify(result.content)}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    {
      description: 'Tests server-initiated elicitation (user input request)',
      inputSchema: {
        type: 'object',
        properties: { message: { type: 'string', description: 'The message to show the user' } },
        required: ['message'],
      },
    },
    async (args, ctx) => {
      const result = await ctx.elicit({
        mode: 'form',
        message: String(args.message),
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    },
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Tests elicitation with default values per SEP-1034', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const result = await ctx.elicit({
        mode: 'form',
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: {
              type: 'string',
              description: 'User status',
              enum: ['active', 'inactive', 'pending'],
              default: 'active',
            },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    },
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Tests elicitation with enum schema improvements per SEP-1330', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const result = await ctx.elicit({
        mode: 'form',
        message: 'Please select options from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: {
              type: 'string',
              description: 'Select one option',
              enum: ['option1', 'option2', 'option3'],
            },
            titledSingle: {
              type: 'string',
              description: 'Select one option with titles',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              description: 'Select one option (legacy)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              description: 'Select multiple options',
              minItems: 1,
              maxItems: 3,
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              description: 'Select multiple options with titles',
              minItems: 1,
              maxItems: 3,
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    },
  );
  // 2025-11-25 SSE polling (SEP-1699): the server closes the POST's stream mid-call; the client resumes it with GET +
  // Last-Event-ID and gets the result there. Over stdio there is no stream to close: the tool just answers.
  server.registerTool(
    'test_reconnection',
    {
      description: 'Closes its SSE stream mid-call; the result arrives after the client resumes',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      const closed = httpCloseStream(ctx.session, ctx.requestId);
      await sleep(100, ctx.signal);
      return text(`Reconnection test completed${closed ? ' (the stream was closed and resumed)' : ''}`);
    },
  );
  // 2026-07-28 (server-stateless): diagnostic tools the suite calls over HTTP.
  server.registerTool(
    'test_missing_capability',
    {
      description: 'Needs the sampling capability: without it in the request the server answers -32021',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      const result = await ctx.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }],
        maxTokens: 10,
      });
      return text(`sampled: ${JSON.stringify(result.content)}`);
    },
  );
  server.registerTool(
    'test_streaming_elicitation',
    {
      description: 'Asks for input: the request stream carries only its (input_required) result',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      ctx.progress(0, 1, 'asking');
      const result = await ctx.elicit({
        mode: 'form',
        message: 'Your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      });
      return text(`action=${result.action}`);
    },
  );
  server.registerTool(
    'test_logging_tool',
    { description: 'Logs at info: sent only when the request asks for a log level', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      ctx.log('info', 'test_logging_tool: first line');
      await sleep(10, ctx.signal);
      ctx.log('info', 'test_logging_tool: second line');
      return text('logged');
    },
  );
  server.registerTool(
    'test_custom_headers',
    {
      description: 'Echoes `region`, which a 2026-07-28 client mirrors in the Mcp-Param-Region header (SEP-2243)',
      inputSchema: {
        type: 'object',
        properties: { region: { type: 'string', 'x-mcp-header': 'Region' } },
        required: ['region'],
      },
    },
    (args) => text(`region=${String(args.region)}`),
  );
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)',
      inputSchema: JSON_SCHEMA_2020_12,
    },
    (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );

  // 2026-07-28 multi round-trip requests (SEP-2322): the suite checks fixed input keys, so each ask names its key. The
  // same handlers serve the 2025 era, where the asks are real server→client requests.
  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for the user\'s name (input key "user_name"), then greets them', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const answer = await ctx.elicit(
        { message: 'What is your name?', requestedSchema: NAME_SCHEMA },
        { key: 'user_name' },
      );
      return text(
        answer.action === 'accept' ? `Hello, ${String(answer.content?.name)}!` : `No name (${answer.action})`,
      );
    },
  );
  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client\'s model a question (input key "capital_question")', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const answer = await ctx.createMessage(
        {
          messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
          maxTokens: 100,
        },
        { key: 'capital_question' },
      );
      return text(`Sampling response: ${textOf(answer.content)}`);
    },
  );
  server.registerTool(
    'test_input_required_result_list_roots',
    { description: 'Asks for the client\'s roots (input key "client_roots")', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const { roots } = await ctx.listRoots({ key: 'client_roots' });
      return text(`Client roots: ${roots.map((r) => r.uri).join(', ') || '(none)'}`);
    },
  );
  server.registerTool(
    'test_input_required_result_request_state',
    {
      description: 'Asks for a confirmation and carries its own state across the round (signed requestState)',
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      // Set before asking, so the input_required result carries it; the retry reads it back, verified by nmcp.
      if (ctx.requestState() === undefined) ctx.setRequestState({ step: 'confirm' });
      const answer = await ctx.elicit(
        { message: 'Please confirm', requestedSchema: CONFIRM_SCHEMA },
        { key: 'confirm' },
      );
      const state = ctx.requestState<{ step?: string }>();
      if (state?.step !== 'confirm') return { ...text('requestState missing on the retry'), isError: true };
      return text(`state-ok: action=${answer.action}, ok=${String(answer.content?.ok)}`);
    },
  );
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for a name, a sampled greeting and the roots in one round', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      // Started together, so one input_required result carries all three.
      const [name, greeting, roots] = await Promise.all([
        ctx.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }, { key: 'user_name' }),
        ctx.createMessage(
          { messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 },
          { key: 'greeting' },
        ),
        ctx.listRoots({ key: 'client_roots' }),
      ]);
      return text(
        `name=${String(name.content?.name)}, greeting=${textOf(greeting.content)}, roots=${roots.roots.length}`,
      );
    },
  );
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Asks two questions in two rounds (input keys "step1", then "step2")', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const name = await ctx.elicit(
        { message: 'Step 1: What is your name?', requestedSchema: NAME_SCHEMA },
        { key: 'step1' },
      );
      const color = await ctx.elicit(
        {
          message: 'Step 2: What is your favorite color?',
          requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
        },
        { key: 'step2' },
      );
      return text(`${String(name.content?.name)} likes ${String(color.content?.color)}`);
    },
  );
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Asks for a confirmation; a tampered requestState on the retry is -32602', inputSchema: NO_ARGS },
    async (_args, ctx) => {
      const answer = await ctx.elicit(
        { message: 'Please confirm', requestedSchema: CONFIRM_SCHEMA },
        { key: 'confirm' },
      );
      return text(`confirmed: ${String(answer.content?.ok)}`);
    },
  );
  server.registerTool(
    'test_input_required_result_capabilities',
    {
      description: "Asks only for the inputs the request's client capabilities allow (sampling, elicitation)",
      inputSchema: NO_ARGS,
    },
    async (_args, ctx) => {
      const caps = ctx.clientCapabilities;
      const asks: Promise<string>[] = [];
      if (caps?.sampling !== undefined) {
        asks.push(
          ctx
            .createMessage(
              { messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }], maxTokens: 10 },
              { key: 'greeting' },
            )
            .then((r) => `sampled: ${textOf(r.content)}`),
        );
      }
      if (caps?.elicitation !== undefined) {
        asks.push(
          ctx
            .elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }, { key: 'user_name' })
            .then((r) => `name: ${String(r.content?.name)}`),
        );
      }
      const parts = await Promise.all(asks);
      return text(parts.length === 0 ? 'the client declared no input capability' : parts.join('; '));
    },
  );

  // ---- resources
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain' },
    () => ({
      contents: [
        { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    {
      title: 'Static Binary Resource',
      description: 'A static binary resource (image) for testing',
      mimeType: 'image/png',
    },
    () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', {
      complete: { id: (value: string) => ['1', '2', '3', '42', '123'].filter((id) => id.startsWith(value)) },
    }),
    {
      title: 'Resource Template',
      description: 'A resource template with parameter substitution',
      mimeType: 'application/json',
    },
    (uri, vars) => ({
      contents: [
        {
          uri: String(uri),
          mimeType: 'application/json',
          text: JSON.stringify({ id: vars.id, templateTest: true, data: `Data for ID: ${vars.id}` }),
        },
      ],
    }),
  );
  server.registerResource(
    'watched-resource',
    WATCHED_RESOURCE_URI,
    {
      title: 'Watched Resource',
      description: 'A resource that can be subscribed to (trigger_resource_update changes it)',
      mimeType: 'text/plain',
    },
    () => ({ contents: [{ uri: WATCHED_RESOURCE_URI, mimeType: 'text/plain', text: watched() }] }),
  );

  // ---- prompts
  server.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple Test Prompt', description: 'A simple prompt without arguments' },
    () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt With Arguments',
      description: 'A prompt with required arguments',
      argsSchema: {
        type: 'object',
        properties: {
          arg1: { type: 'string', description: 'First test argument' },
          arg2: { type: 'string', description: 'Second test argument' },
        },
        required: ['arg1', 'arg2'],
      },
    },
    (args) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt With Embedded Resource',
      description: 'A prompt that includes an embedded resource',
      argsSchema: {
        type: 'object',
        properties: { resourceUri: { type: 'string', description: 'URI of the resource to embed' } },
        required: ['resourceUri'],
      },
    },
    (args) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: String(args.resourceUri),
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_input_required_result_prompt',
    { title: 'Prompt that asks for input', description: 'Asks for context (input key "user_context") first' },
    async (_args, ctx) => {
      const answer = await ctx.elicit(
        {
          message: 'What context should the prompt use?',
          requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
        },
        { key: 'user_context' },
      );
      return {
        messages: [
          { role: 'user', content: { type: 'text', text: `Context: ${String(answer.content?.context ?? '(none)')}` } },
        ],
      };
    },
  );
  server.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt With Image', description: 'A prompt that includes image content' },
    () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );
}
