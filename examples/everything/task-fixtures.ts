/**
 * The tools the official conformance suite's `tasks-*` scenarios (the tasks extension, SEP-2663) call by name:
 * `greet` (synchronous), `slow_compute`, `failing_job`, `protocol_error_job`, `confirm_delete`, `multi_input` and
 * `test_tool_with_task` (task-supporting). Names, arguments and results follow the scenarios' fixture requirements.
 * Each task-supporting handler hands its work over with asTask(): a task for a client that declares the extension,
 * the same work inline (a plain result) for one that does not — or -32021 for the 'required' ones.
 */
import { asTask, McpError, type McpServer, RpcCode } from 'nmcp';
import { sleep } from './sleep.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const CONFIRM_SCHEMA = {
  type: 'object',
  properties: { confirm: { type: 'boolean', description: 'Go ahead?' } },
  required: ['confirm'],
};

/** Registers the task fixtures on `server`. */
export function registerTaskFixtures(server: McpServer): void {
  server.registerTool(
    'greet',
    {
      description: 'Synchronous: returns "Hello, {name}!"',
      inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
    (args) => text(`Hello, ${args.name as string}!`),
  );

  server.registerTool(
    'slow_compute',
    {
      description: 'Sleeps `seconds` seconds, then answers; a task when the client can take one (cancellable)',
      inputSchema: {
        type: 'object',
        properties: { seconds: { type: 'number', minimum: 0 }, label: { type: 'string' } },
        required: ['seconds'],
      },
      execution: { taskSupport: 'optional' },
    },
    (args) =>
      asTask(async (ctx) => {
        const seconds = args.seconds as number;
        await sleep(seconds * 1000, ctx.signal);
        return text(`Computed ${typeof args.label === 'string' ? args.label : 'result'} after ${seconds}s`);
      }),
  );

  server.registerTool(
    'failing_job',
    {
      description: 'Task only: after ~1 s, ends with a tool execution error (isError: true)',
      inputSchema: { type: 'object', properties: {} },
      execution: { taskSupport: 'required' },
    },
    () =>
      asTask(async (ctx) => {
        await sleep(1000, ctx.signal);
        return { content: [{ type: 'text', text: 'The job failed: simulated tool error' }], isError: true };
      }),
  );

  server.registerTool(
    'protocol_error_job',
    {
      description: 'Fails with a JSON-RPC error (-32603): a task ends `failed` with it',
      inputSchema: { type: 'object', properties: {} },
      execution: { taskSupport: 'optional' },
    },
    () =>
      asTask(async (ctx) => {
        await sleep(100, ctx.signal);
        throw new McpError(RpcCode.INTERNAL_ERROR, 'Internal error: simulated protocol failure');
      }),
  );

  server.registerTool(
    'confirm_delete',
    {
      description: 'Asks the user to confirm (elicitation), then "deletes" `filename`',
      inputSchema: { type: 'object', properties: { filename: { type: 'string' } }, required: ['filename'] },
      execution: { taskSupport: 'optional' },
    },
    (args) =>
      asTask(async (ctx) => {
        const filename = args.filename as string;
        const answer = await ctx.elicit({ message: `Delete ${filename}?`, requestedSchema: CONFIRM_SCHEMA });
        const confirmed = answer.action === 'accept' && answer.content?.confirm === true;
        return text(confirmed ? `Deleted ${filename}` : `Kept ${filename}`);
      }),
  );

  server.registerTool(
    'multi_input',
    {
      description: 'Asks two questions at once (two input requests pending together), then answers with both',
      inputSchema: { type: 'object', properties: {} },
      execution: { taskSupport: 'optional' },
    },
    () =>
      asTask(async (ctx) => {
        const schema = { type: 'object', properties: { name: { type: 'string' }, confirm: { type: 'boolean' } } };
        const [first, second] = await Promise.all([
          ctx.elicit({ message: 'First input?', requestedSchema: schema }),
          ctx.elicit({ message: 'Second input?', requestedSchema: schema }),
        ]);
        return text(`Received ${String(first.content?.name)} and ${String(second.content?.name)}`);
      }),
  );

  server.registerTool(
    'test_tool_with_task',
    {
      description: 'Asks for user_name in the request (input_required), then finishes the work as a task',
      inputSchema: { type: 'object', properties: {} },
      execution: { taskSupport: 'required' },
    },
    async (_args, ctx) => {
      // Before the task exists: a 2026-07-28 input round on tools/call itself (SEP-2663 resolves MRTR first).
      const answer = await ctx.elicit({
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      });
      const name = answer.action === 'accept' ? String(answer.content?.name ?? 'stranger') : 'stranger';
      return asTask(async (taskCtx) => {
        await sleep(200, taskCtx.signal);
        return text(`Hello, ${name}! (from a task)`);
      });
    },
  );
}
