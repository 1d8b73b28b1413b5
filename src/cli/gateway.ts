/**
 * `nmcp gateway --config FILE (--stdio | --tcp PORT | --http PORT)`: one MCP endpoint in front of the upstream MCP
 * servers the file names (McpGateway, docs/gateway.md). The address and each upstream's state go to stderr;
 * SIGINT / SIGTERM (or, with --stdio, the end of stdin) close everything and exit 0.
 */
import { NmcpError } from '../errors.js';
import type { McpGateway } from '../gateway/mcp-gateway.js';
import type { Transport } from '../transport/types.js';
import { isProblem, parseFlags } from './args.js';
import { loadGatewayConfig } from './gateway-config.js';
import { usageError } from './usage.js';

export const GATEWAY_HELP = `Usage: nmcp gateway --config FILE (--stdio | --tcp PORT | --http PORT) [--host HOST]

One MCP endpoint in front of several upstream MCP servers (stdio commands, TCP, Unix sockets, Streamable HTTP).
Clients see one server whose tools, prompts and resources are the upstreams', named <upstream>__<name> (resources
keep their URIs). An upstream that goes away is reconnected with backoff; its calls fail with a JSON-RPC error
naming it meanwhile, and a circuit breaker stops calling an upstream that keeps failing.

FILE (JSON):
  {
    "upstreams": [
      { "name": "a", "stdio": { "command": "node", "args": ["server.js"], "env": {}, "cwd": "." } },
      { "name": "b", "tcp": { "host": "127.0.0.1", "port": 7001 } },
      { "name": "c", "unix": { "path": "/tmp/c.sock" } },
      { "name": "d", "http": { "url": "http://127.0.0.1:3000/mcp", "headers": {} } }
    ],
    "separator": "__",
    "requestTimeoutMs": 30000,
    "breaker": { "failureThreshold": 5, "openDurationMs": 30000 },
    "reconnect": { "initialDelayMs": 100, "maxDelayMs": 10000 },
    "http": { },  "tcp": { }
  }

  upstreams        name (a-z 0-9 - _, unique) and exactly one of stdio, tcp, unix, http
  separator        between the upstream's name and a tool or prompt name (default "__")
  requestTimeoutMs timeout of each forwarded call (default 30000)
  breaker          consecutive failures that open an upstream's breaker, and how long it stays open
  reconnect        backoff between reconnect attempts (exponential, full jitter)
  http, tcp        options of the downstream listener (docs/http.md, docs/tcp.md)

Options:
  --config FILE    the file above (required)
  --stdio          serve one client over stdin/stdout
  --tcp PORT       serve MCP over TCP (length-prefixed frames; 0 = a free port)
  --http PORT      serve Streamable HTTP at /mcp (0 = a free port)
  --host HOST      the address to listen on (default 127.0.0.1)
  --metrics-port PORT
                   serve /metrics, /health, /ready, /live and /info on PORT (0 = a free one): the gateway's
                   sessions and messages, each upstream's state and breaker (docs/operations.md)
  --help, -h       this text

The address is printed on stderr ("nmcp gateway: listening on tcp://127.0.0.1:7000"). A bad file exits 2 naming
the key to fix.

Example:
  nmcp gateway --config gateway.json --http 3000
`;

/** The transport, with a promise settled when it closes (the stdio session's end). */
function watched(inner: Transport): { transport: Transport; closed: Promise<void> } {
  let resolve!: () => void;
  const closed = new Promise<void>((r) => {
    resolve = r;
  });
  const transport: Transport = {
    kind: inner.kind,
    start: (sink) =>
      inner.start({
        ...sink,
        closed: (reason) => {
          try {
            sink.closed(reason);
          } finally {
            resolve();
          }
        },
      }),
    send: (message, relatedRequestId) => inner.send(message, relatedRequestId),
    close: (reason) => inner.close(reason),
  };
  return { transport, closed };
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65_535 ? n : undefined;
}

export async function gateway(argv: string[]): Promise<number> {
  const values = parseFlags(
    'gateway',
    argv,
    {
      config: { type: 'string' },
      stdio: { type: 'boolean' },
      tcp: { type: 'string' },
      http: { type: 'string' },
      host: { type: 'string' },
      'metrics-port': { type: 'string' },
    },
    GATEWAY_HELP,
  );
  if (typeof values === 'number') return values;
  if (typeof values.config !== 'string') {
    return usageError('gateway', 'no --config FILE', 'Give a JSON file naming the upstreams (`nmcp gateway --help`).');
  }
  const modes = (['stdio', 'tcp', 'http'] as const).filter((m) => values[m] !== undefined);
  if (modes.length !== 1) {
    return usageError('gateway', 'give exactly one of --stdio, --tcp PORT, --http PORT', 'For example --http 3000.');
  }
  const mode = modes[0] as 'stdio' | 'tcp' | 'http';
  const listenPort = mode === 'stdio' ? 0 : port(values[mode] as string);
  if (listenPort === undefined) {
    return usageError('gateway', `--${mode} ${String(values[mode])} is not a port`, 'Give 0 … 65535 (0 = a free one).');
  }
  const metricsPort = values['metrics-port'] === undefined ? undefined : port(values['metrics-port'] as string);
  if (values['metrics-port'] !== undefined && metricsPort === undefined) {
    return usageError(
      'gateway',
      `--metrics-port ${String(values['metrics-port'])} is not a port`,
      'Give 0 … 65535, e.g. --metrics-port 9464.',
    );
  }
  const config = await loadGatewayConfig(values.config);
  if (isProblem(config)) return usageError('gateway', config.problem, config.fix);
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';

  const { McpGateway } = await import('../gateway/mcp-gateway.js');
  const gw: McpGateway = new McpGateway({
    ...config.gateway,
    onError: (e) => process.stderr.write(`nmcp gateway: ${e.message}\n`),
  });
  await gw.start();
  for (const [name, s] of Object.entries(gw.stats().upstreams)) {
    process.stderr.write(
      `nmcp gateway: upstream ${name} ${s.state} (${s.tools} tools, ${s.prompts} prompts, ${s.resources} resources)\n`,
    );
  }
  let closeOperations = async () => {};
  if (metricsPort !== undefined) {
    const { serveOperationsFor } = await import('../metrics/operations.js');
    try {
      const ops = await serveOperationsFor({
        gateways: [gw],
        port: metricsPort,
        host,
        log: (message) => process.stderr.write(`nmcp gateway: ${message}\n`),
      });
      process.stderr.write(`nmcp gateway: operations on ${ops.url}/metrics\n`);
      closeOperations = ops.close;
    } catch (err) {
      await gw.close();
      process.stderr.write(`nmcp gateway: --metrics-port ${metricsPort}: ${(err as Error).message}\n`);
      return 1;
    }
  }

  if (mode === 'stdio') {
    const { StdioServerTransport } = await import('../transport/stdio.js');
    const { transport, closed } = watched(new StdioServerTransport());
    await gw.serve(transport);
    process.stderr.write('nmcp gateway: serving on stdio\n');
    const onSignal = () => void transport.close();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await closed;
    process.stdin.destroy();
    await closeOperations();
    await gw.close();
    return 0;
  }

  let close: () => Promise<void>;
  let where: string;
  try {
    if (mode === 'http') {
      const { McpHttpServer } = await import('../transport/http/server/http-server.js');
      const http = new McpHttpServer(gw.server, { ...config.http, port: listenPort, host });
      where = await http.listen();
      close = () => http.close();
    } else {
      const { McpTcpServer } = await import('../transport/tcp/server.js');
      const tcp = new McpTcpServer(gw.server, { ...config.tcp, onConnection: (t) => gw.attach(t) });
      const address = await tcp.listen({ port: listenPort, host });
      where =
        'path' in address
          ? `unix:${address.path}`
          : `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      close = () => tcp.close();
    }
  } catch (err) {
    await closeOperations();
    await gw.close();
    if (err instanceof NmcpError) {
      return usageError(
        'gateway',
        `--config ${JSON.stringify(values.config)}: ${mode}: ${err.message} [${err.code}]`,
        `Fix "${mode}" in the file (docs/${mode}.md lists the options).`,
      );
    }
    process.stderr.write(`nmcp gateway: ${(err as Error).message}\n`);
    return 1;
  }
  // Installed before the address is printed: a signal sent as soon as it is read closes the gateway cleanly.
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write(`nmcp gateway: listening on ${where}\n`);
  await stop;
  process.stderr.write('nmcp gateway: closing\n');
  await close();
  await closeOperations();
  await gw.close();
  return 0;
}
