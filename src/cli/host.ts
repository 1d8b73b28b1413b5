/**
 * `nmcp host --config FILE`: several example servers in one process, each by name — over Streamable HTTP at
 * `/mcp/<name>` on one port, and over TCP / Unix listeners bound to one server each (McpHost, docs/host.md). The
 * addresses go to stderr, one line per server and listener; SIGINT / SIGTERM close everything and exit 0.
 */
import { parseArgs } from 'node:util';
import { NmcpError } from '../errors.js';
import type { McpHost } from '../host/mcp-host.js';
import type { TcpListenAddress } from '../transport/tcp/server.js';
import { EXAMPLES, loadExample } from './examples.js';
import { loadHostConfig } from './host-config.js';
import { usageError } from './usage.js';

export const HOST_HELP = `Usage: nmcp host --config FILE

Hosts several example servers in one process, each by name: over Streamable HTTP at /mcp/<name> on one port (both
MCP eras), and over TCP or Unix-socket listeners bound to one server each. One route registry records every server,
its methods and its open connections.

FILE (JSON):
  {
    "servers": { "a": { "example": "everything" }, "b": { "example": "many-tools" } },
    "http": { "port": 3000 },
    "tcp": [ { "port": 7001, "server": "a" }, { "path": "/tmp/b.sock", "server": "b", "framing": "ndjson" } ]
  }

  servers          name → {"example": NAME}; names are a-z 0-9 - _ ; examples: ${Object.keys(EXAMPLES).join(', ')}
  http             McpHost.listenHttp options: port (0 = a free one), host, basePath (default /mcp), and the
                   Streamable HTTP options of docs/http.md
  tcp              listeners: "server" and "port" (with "host") or "path", plus the options of docs/tcp.md
                   (framing length-prefixed | ndjson, maxConnections, …)

Options:
  --config FILE    the file above (required)
  --help, -h       this text

Each address is printed on stderr ("nmcp host: a at http://127.0.0.1:3000/mcp/a"). Serves until SIGINT or SIGTERM,
then closes every session and exits 0. A bad file exits 2 naming the key to fix.

Example:
  nmcp host --config host.json
`;

function describe(address: TcpListenAddress, framing: string, tls: boolean): string {
  if ('path' in address) return `${tls ? 'tls+unix' : 'unix'}:${address.path} (${framing})`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${tls ? 'tls' : 'tcp'}://${host}:${address.port} (${framing})`;
}

export async function host(argv: string[]): Promise<number> {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return usageError('host', (err as Error).message, 'Run `nmcp host --help` for the options.');
  }
  if (values.help) {
    process.stdout.write(HOST_HELP);
    return 0;
  }
  if (values.config === undefined) {
    return usageError(
      'host',
      'no --config FILE',
      'Give a JSON file naming the servers and listeners (`nmcp host --help`).',
    );
  }
  const config = await loadHostConfig(values.config);
  if ('problem' in config) return usageError('host', config.problem, config.fix);

  const { McpHost } = await import('../host/mcp-host.js');
  const mcpHost: McpHost = new McpHost();
  const lines: string[] = [];
  let section = '';
  try {
    for (const [name, { example }] of Object.entries(config.servers)) {
      section = `servers.${name}`;
      const factory = await loadExample(example);
      mcpHost.addServer(name, () => factory({}));
    }
    if (config.http !== undefined) {
      section = 'http';
      const http = await mcpHost.listenHttp(config.http);
      for (const name of mcpHost.names) lines.push(`${name} at ${http.urlOf(name)}`);
    }
    for (const [i, entry] of config.tcp.entries()) {
      section = `tcp[${i}]`;
      const tcp = await mcpHost.listenTcp(entry as Parameters<McpHost['listenTcp']>[0]);
      lines.push(`${tcp.server} at ${describe(tcp.address, tcp.framing, entry.tls !== undefined)}`);
    }
  } catch (err) {
    await mcpHost.close().catch(() => {});
    // Options the host or a transport rejects (a bad key or value in the file) arrive as NMCP_ERR_INVALID_OPTION.
    if (err instanceof NmcpError) {
      return usageError(
        'host',
        `--config ${JSON.stringify(values.config)}: ${section}: ${err.message} [${err.code}]`,
        'Fix that key in the file; `nmcp host --help` lists the sections, docs/host.md the options.',
      );
    }
    process.stderr.write(`nmcp host: ${section}: ${(err as Error).message}\n`);
    return 1;
  }
  for (const line of lines) process.stderr.write(`nmcp host: ${line}\n`);
  process.stderr.write('nmcp host: ready\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('nmcp host: closing\n');
  await mcpHost.close();
  return 0;
}
