/**
 * `nmcp call`: connects to an MCP server with McpClient — a command it starts (stdio), a TCP or Unix-socket address, or
 * a Streamable HTTP URL — makes one request and prints the result as JSON on stdout. Exit codes: 0 success; 1 the
 * server answered with an error (or the tool reported isError), or the connection failed; 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { McpClient } from '../client/mcp-client.js';
import { NmcpError } from '../errors.js';
import { McpError } from '../protocol/jsonrpc.js';
import { StdioClientTransport } from '../transport/child-process.js';
import type { Transport } from '../transport/types.js';
import { splitCommand } from './split-command.js';
import { usageError } from './usage.js';

export const CALL_HELP = `Usage: nmcp call (--stdio "<server command>" | --tcp HOST:PORT | --unix PATH | --http URL) METHOD [ARGS…] [options]

Connects to the server (starting it, for --stdio), makes one request and prints its result as JSON.

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

Servers (choose one):
  --stdio "COMMAND"          start the server: its command line (split like a shell would; no shell runs)
  --tcp HOST:PORT            a server listening on TCP (nmcp serve --tcp PORT); [IPv6]:PORT for IPv6
  --unix PATH                a server listening on a Unix socket (nmcp serve --unix PATH)
  --http URL                 a Streamable HTTP endpoint, e.g. http://127.0.0.1:3000/mcp

Options:
  --framing MODE             length-prefixed | ndjson, for --tcp / --unix (default length-prefixed)
  --http2                    speak HTTP/2 to --http (h2c for http: URLs, ALPN for https:)
  --negotiation MODE         legacy | auto | a pinned version such as 2026-07-28 (default: auto)
  --timeout MS               request timeout in milliseconds (default 60000)
  --verbose                  show the server's stderr as it runs (otherwise only when something fails)
  --help, -h                 this text

Examples:
  nmcp call --stdio "nmcp serve --stdio --example everything" tools/call echo text=hello
  nmcp call --http http://127.0.0.1:3000/mcp tools/list
  nmcp call --tcp 127.0.0.1:7000 tools/call add a=1 b=2
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
  let values: {
    stdio?: string;
    tcp?: string;
    unix?: string;
    http?: string;
    framing?: string;
    http2?: boolean;
    negotiation?: string;
    timeout?: string;
    verbose?: boolean;
    help?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        stdio: { type: 'string' },
        tcp: { type: 'string' },
        unix: { type: 'string' },
        http: { type: 'string' },
        framing: { type: 'string' },
        http2: { type: 'boolean' },
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
  const chosen = (['stdio', 'tcp', 'unix', 'http'] as const).filter((t) => values[t] !== undefined);
  if (chosen.length !== 1) {
    return usageError(
      'call',
      chosen.length === 0 ? 'no server to call' : `choose one server, not ${chosen.map((t) => `--${t}`).join(' and ')}`,
      'Add one of --stdio "<server command>" (e.g. --stdio "nmcp serve --stdio --example everything"), --tcp HOST:PORT, --unix PATH, --http URL.',
    );
  }
  const target = makeTarget(chosen[0] as 'stdio' | 'tcp' | 'unix' | 'http', values);
  if (typeof target === 'string') return usageError('call', target, 'Run `nmcp call --help` for the options.');
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

  let transport: Transport;
  try {
    transport = await target.create(values.verbose === true);
  } catch (err) {
    return usageError('call', describe(err), 'Run `nmcp call --help` for the options.');
  }
  const client = new McpClient({ name: 'nmcp-call', version: '1.0.0' }, { negotiation, timeoutMs });
  const serverStderr = () =>
    !values.verbose && transport instanceof StdioClientTransport && transport.stderrTail
      ? `\n--- the server's stderr (last lines) ---\n${transport.stderrTail}`
      : '';
  try {
    try {
      await client.connect(transport);
    } catch (err) {
      process.stderr.write(`nmcp call: could not connect to ${target.label}: ${describe(err)}${serverStderr()}\n`);
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

interface Target {
  /** How the server is named in messages. */
  label: string;
  /** Network transports are imported on demand: a stdio call should not load undici. */
  create(verbose: boolean): Transport | Promise<Transport>;
}

/** The transport for the chosen server flag, or what is wrong with its value. */
function makeTarget(kind: 'stdio' | 'tcp' | 'unix' | 'http', values: { [k: string]: unknown }): Target | string {
  const framing = values.framing as string | undefined;
  if (framing !== undefined) {
    if (kind !== 'tcp' && kind !== 'unix') return '--framing applies to --tcp and --unix only';
    if (framing !== 'ndjson' && framing !== 'length-prefixed') {
      return `--framing must be length-prefixed or ndjson, got ${JSON.stringify(framing)}`;
    }
  }
  const framingOption = framing === undefined ? {} : { framing: framing as 'ndjson' | 'length-prefixed' };
  if (values.http2 === true && kind !== 'http') return '--http2 applies to --http only';
  const value = values[kind] as string;
  if (kind === 'stdio') {
    let command: string[];
    try {
      command = splitCommand(value);
    } catch (err) {
      return `cannot split the --stdio command: ${(err as Error).message}; check its quotes`;
    }
    if (command.length === 0) return 'the --stdio command is empty; give the server command line';
    const [file, ...args] = command as [string, ...string[]];
    return {
      label: JSON.stringify(value),
      create: (verbose) =>
        new StdioClientTransport({
          command: file,
          args,
          stderr: 'pipe',
          onStderr: verbose ? (chunk) => process.stderr.write(chunk) : undefined,
        }),
    };
  }
  if (kind === 'tcp') {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
    const port = m ? Number(m[3]) : Number.NaN;
    if (!m || port < 1 || port > 65_535) {
      return `--tcp needs HOST:PORT (e.g. 127.0.0.1:7000, [::1]:7000), got ${JSON.stringify(value)}`;
    }
    const host = (m[1] ?? m[2]) as string;
    return {
      label: `tcp://${value}`,
      create: async () => {
        const { TcpClientTransport } = await import('../transport/tcp/client-transport.js');
        return new TcpClientTransport({ host, port, ...framingOption });
      },
    };
  }
  if (kind === 'unix') {
    if (value === '') return '--unix needs the socket path';
    return {
      label: `unix:${value}`,
      create: async () => {
        const { TcpClientTransport } = await import('../transport/tcp/client-transport.js');
        return new TcpClientTransport({ path: value, ...framingOption });
      },
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `--http needs a URL such as http://127.0.0.1:3000/mcp, got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `--http needs an http: or https: URL, got ${JSON.stringify(value)}`;
  }
  return {
    label: url.href,
    create: async () => {
      const { StreamableHttpClientTransport } = await import('../transport/http/client/transport.js');
      return new StreamableHttpClientTransport(url, values.http2 === true ? { httpVersion: '2' } : {});
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof McpError) {
    return `server error ${err.code}: ${err.message}${err.data === undefined ? '' : ` (data: ${JSON.stringify(err.data)})`}`;
  }
  if (err instanceof NmcpError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}
