/**
 * `nmcp call`: starts an MCP server as a child process, connects to it with McpClient, makes one request and prints
 * the result as JSON on stdout. Exit codes: 0 success; 1 the server answered with an error (or the tool reported
 * isError), or the connection failed; 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { McpClient } from '../client/mcp-client.js';
import { NmcpError } from '../errors.js';
import { McpError } from '../protocol/jsonrpc.js';
import { StdioClientTransport } from '../transport/child-process.js';
import { splitCommand } from './split-command.js';
import { usageError } from './usage.js';

export const CALL_HELP = `Usage: nmcp call --stdio "<server command>" METHOD [ARGS…] [options]

Starts the server, connects, makes one request and prints its result as JSON.

Methods:
  ping
  tools/list
  tools/call NAME [key=value …]       values are JSON when they parse as JSON, else strings:
                                      n=5 → 5, ok=true → true, tags='["a","b"]' → ["a","b"], s=hello → "hello",
                                      id='"5"' → "5"
  resources/list
  resources/templates/list
  resources/read URI
  prompts/list
  prompts/get NAME [key=value …]      prompt arguments are strings in MCP: values are passed as written

Options:
  --stdio "COMMAND"          the server's command line (split like a shell would; no shell runs)
  --negotiation MODE         legacy | auto | a pinned version such as 2026-07-28 (default: auto)
  --timeout MS               request timeout in milliseconds (default 60000)
  --verbose                  show the server's stderr as it runs (otherwise only when something fails)
  --help, -h                 this text

Examples:
  nmcp call --stdio "nmcp serve --stdio --example everything" tools/call echo text=hello
  nmcp call --stdio "node server.js" resources/read test://static-text
`;

interface Request {
  method: string;
  run(
    client: McpClient,
    onProgress: (p: { progress: number; total?: number; message?: string }) => void,
  ): Promise<unknown>;
}

const NO_ARGS = new Set(['ping', 'tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);
const METHODS = [
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
];

/** Parses `key=value` words; values are JSON when they parse as JSON, else the text (or always the text). */
export function parseKeyValues(words: string[], asJson: boolean): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) return `expected key=value, got ${JSON.stringify(word)}`;
    const key = word.slice(0, eq);
    const text = word.slice(eq + 1);
    let value: unknown = text;
    if (asJson) {
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    }
    out[key] = value;
  }
  return out;
}

function buildRequest(positionals: string[]): Request | string {
  const [method, ...rest] = positionals;
  if (method === undefined) return `no method given; use one of: ${METHODS.join(', ')}`;
  if (!METHODS.includes(method)) return `unknown method ${JSON.stringify(method)}; use one of: ${METHODS.join(', ')}`;
  if (NO_ARGS.has(method)) {
    if (rest.length > 0) return `${method} takes no arguments, got ${rest.map((r) => JSON.stringify(r)).join(' ')}`;
    // Lists are printed in their wire shape ({ tools: [...] }, …), every page gathered.
    const run = {
      ping: async (c: McpClient) => {
        await c.ping();
        return {};
      },
      'tools/list': async (c: McpClient) => ({ tools: await c.listTools() }),
      'resources/list': async (c: McpClient) => ({ resources: await c.listResources() }),
      'resources/templates/list': async (c: McpClient) => ({ resourceTemplates: await c.listResourceTemplates() }),
      'prompts/list': async (c: McpClient) => ({ prompts: await c.listPrompts() }),
    }[method] as (c: McpClient) => Promise<unknown>;
    return { method, run: (c) => run(c) };
  }
  if (method === 'resources/read') {
    if (rest.length !== 1) return 'resources/read takes exactly one URI, e.g. resources/read test://static-text';
    const uri = rest[0] as string;
    return { method, run: (c) => c.readResource({ uri }) };
  }
  const [name, ...pairs] = rest;
  if (name === undefined || name.includes('=')) {
    return `${method} needs a NAME first, e.g. ${method === 'tools/call' ? 'tools/call echo text=hello' : 'prompts/get review code=x'}`;
  }
  const args = parseKeyValues(pairs, method === 'tools/call');
  if (typeof args === 'string') return `${args} (arguments are key=value words after the name)`;
  if (method === 'tools/call') {
    return { method, run: (c, onProgress) => c.callTool({ name, arguments: args }, { onProgress }) };
  }
  return { method, run: (c) => c.getPrompt({ name, arguments: args as Record<string, string> }) };
}

export async function call(argv: string[]): Promise<number> {
  let values: { stdio?: string; negotiation?: string; timeout?: string; verbose?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        stdio: { type: 'string' },
        negotiation: { type: 'string' },
        timeout: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError(
      'call',
      (err as Error).message,
      'Run `nmcp call --help` for the options (a value that starts with - goes as --option=value).',
    );
  }
  if (values.help) {
    process.stdout.write(CALL_HELP);
    return 0;
  }
  if (values.stdio === undefined) {
    return usageError(
      'call',
      'no server to call',
      'Add --stdio "<server command>", e.g. --stdio "nmcp serve --stdio --example everything".',
    );
  }
  let command: string[];
  try {
    command = splitCommand(values.stdio);
  } catch (err) {
    return usageError('call', `cannot split the --stdio command: ${(err as Error).message}`, 'Check its quotes.');
  }
  if (command.length === 0) return usageError('call', 'the --stdio command is empty', 'Give the server command line.');
  let negotiation: 'legacy' | 'auto' | { pin: string } = 'auto';
  if (values.negotiation !== undefined) {
    const n = values.negotiation;
    if (n === 'legacy' || n === 'auto') negotiation = n;
    else if (/^\d{4}-\d{2}-\d{2}$/.test(n)) negotiation = { pin: n };
    else
      return usageError(
        'call',
        `bad --negotiation ${JSON.stringify(n)}`,
        'Use legacy, auto or a version such as 2026-07-28.',
      );
  }
  let timeoutMs = 60_000;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || timeoutMs < 1) {
      return usageError(
        'call',
        `bad --timeout ${JSON.stringify(values.timeout)}`,
        'Give milliseconds, e.g. --timeout 5000.',
      );
    }
  }
  const request = buildRequest(positionals);
  if (typeof request === 'string') return usageError('call', request, 'Run `nmcp call --help` for the methods.');

  const [file, ...args] = command as [string, ...string[]];
  const transport = new StdioClientTransport({
    command: file,
    args,
    stderr: 'pipe',
    onStderr: values.verbose ? (chunk) => process.stderr.write(chunk) : undefined,
  });
  const client = new McpClient({ name: 'nmcp-call', version: '1.0.0' }, { negotiation, timeoutMs });
  const serverStderr = () =>
    !values.verbose && transport.stderrTail
      ? `\n--- the server's stderr (last lines) ---\n${transport.stderrTail}`
      : '';
  try {
    try {
      await client.connect(transport);
    } catch (err) {
      process.stderr.write(
        `nmcp call: could not connect to ${JSON.stringify(values.stdio)}: ${describe(err)}${serverStderr()}\n`,
      );
      return 1;
    }
    let result: unknown;
    try {
      result = await request.run(client, (p) => {
        const of = p.total === undefined ? '' : `/${p.total}`;
        process.stderr.write(`progress ${p.progress}${of}${p.message ? ` ${p.message}` : ''}\n`);
      });
    } catch (err) {
      process.stderr.write(
        `nmcp call: ${request.method} failed: ${describe(err)}${err instanceof McpError ? '' : serverStderr()}\n`,
      );
      return 1;
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (request.method === 'tools/call' && (result as { isError?: unknown } | undefined)?.isError === true) {
      process.stderr.write('nmcp call: the tool reported an error (isError: true)\n');
      return 1;
    }
    return 0;
  } finally {
    await client.close().catch(() => {});
  }
}

function describe(err: unknown): string {
  if (err instanceof McpError) {
    return `server error ${err.code}: ${err.message}${err.data === undefined ? '' : ` (data: ${JSON.stringify(err.data)})`}`;
  }
  if (err instanceof NmcpError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
