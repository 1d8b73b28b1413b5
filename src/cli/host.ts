/**
 * `nmcp host --config FILE`: several example servers in one process, each by name — over Streamable HTTP at
 * `/mcp/<name>` on one port, and over TCP / Unix listeners bound to one server each (McpHost, docs/host.md). The
 * addresses go to stderr, one line per server and listener; SIGINT / SIGTERM close everything and exit 0.
 */
import { DEFAULT_ROUTE_REGISTRY_OPTIONS } from '../config/defaults.js';
import { watchConfigFile } from '../config/reload.js';
import { NmcpError } from '../errors.js';
import type { McpHost } from '../host/mcp-host.js';
import type { TcpListenAddress } from '../transport/tcp/server.js';
import { parseFlags } from './args.js';
import { EXAMPLES, loadExample } from './examples.js';
import { type HostConfig, loadHostConfig } from './host-config.js';
import { usageError } from './usage.js';

export const HOST_HELP = `Usage: nmcp host --config FILE

Hosts several example servers in one process, each by name: over Streamable HTTP at /mcp/<name> on one port (both
MCP eras), and over TCP or Unix-socket listeners bound to one server each. One route registry records every server,
its methods and its open connections.

FILE (JSON):
  {
    "servers": { "a": { "example": "everything" }, "b": { "example": "many-tools" } },
    "http": { "port": 3000 },
    "tcp": [ { "port": 7001, "server": "a" }, { "path": "/tmp/b.sock", "server": "b", "framing": "ndjson" } ],
    "registry": { "cacheTtlMs": 30000, "maxCacheEntries": 10000 }
  }

  servers          name → {"example": NAME}; names are a-z 0-9 - _ ; examples: ${Object.keys(EXAMPLES).join(', ')}
  http             McpHost.listenHttp options: port (0 = a free one), host, basePath (default /mcp), and the
                   Streamable HTTP options of docs/http.md
  tcp              listeners: "server" and "port" (with "host") or "path", plus the options of docs/tcp.md
                   (framing length-prefixed | ndjson, maxConnections, …)
  registry         the shared route registry's options (docs/registry.md): enableRouteCache, cacheTtlMs,
                   maxCacheEntries, enableStatsCollection

Options:
  --config FILE          the file above (required)
  --metrics-port PORT    serve /metrics, /health, /ready, /live and /info on PORT (0 = a free one): every
                         hosted server, the registry (docs/operations.md)
  --help, -h             this text

SIGHUP or a change of the file reloads it: the "registry" section applies live (registry.updateConfig, connections
and requests in flight untouched); other changes are logged as needing a restart; a bad file is logged naming the key
and the running configuration stays.

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
  const values = parseFlags(
    'host',
    argv,
    { config: { type: 'string' }, 'metrics-port': { type: 'string' } },
    HOST_HELP,
  );
  if (typeof values === 'number') return values;
  if (typeof values.config !== 'string') {
    return usageError(
      'host',
      'no --config FILE',
      'Give a JSON file naming the servers and listeners (`nmcp host --help`).',
    );
  }
  const metricsPort = values['metrics-port'] as string | undefined;
  if (metricsPort !== undefined && (!/^\d+$/.test(metricsPort) || Number(metricsPort) > 65_535)) {
    return usageError(
      'host',
      `--metrics-port needs a port number from 0 to 65535, got ${JSON.stringify(metricsPort)}`,
      'Give a free port, e.g. --metrics-port 9464.',
    );
  }
  const file = values.config;
  const config = await loadHostConfig(file);
  if ('problem' in config) return usageError('host', config.problem, config.fix);

  const { McpHost } = await import('../host/mcp-host.js');
  const { RouteRegistry } = await import('../registry/route-registry.js');
  let mcpHost: McpHost;
  try {
    mcpHost = new McpHost({ registry: new RouteRegistry(config.registry ?? {}) });
  } catch (err) {
    if (!(err instanceof NmcpError)) throw err;
    return usageError(
      'host',
      `--config ${JSON.stringify(file)}: registry: ${err.message} [${err.code}]`,
      'Fix that key in the file; docs/registry.md lists the options.',
    );
  }
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
  let closeOperations = async () => {};
  if (metricsPort !== undefined) {
    try {
      const { serveOperationsFor } = await import('../metrics/operations.js');
      const servers = mcpHost.names.map((name) => mcpHost.server(name)).filter((s) => s !== undefined);
      const ops = await serveOperationsFor({
        servers,
        registries: [mcpHost.registry],
        port: Number(metricsPort),
        log: (message) => process.stderr.write(`nmcp host: ${message}\n`),
      });
      lines.push(`operations on ${ops.url}/metrics`);
      closeOperations = ops.close;
    } catch (err) {
      await mcpHost.close().catch(() => {});
      process.stderr.write(`nmcp host: --metrics-port ${metricsPort}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  // Installed before "ready" is printed: a signal sent as soon as it is read closes the host cleanly.
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const stopReload = liveReload(file, mcpHost, config);
  for (const line of lines) process.stderr.write(`nmcp host: ${line}\n`);
  process.stderr.write('nmcp host: ready\n');
  await stop;
  stopReload();
  process.stderr.write('nmcp host: closing\n');
  await closeOperations();
  await mcpHost.close();
  return 0;
}

/**
 * SIGHUP or a change of the file reloads it: the registry section is applied live through registry.updateConfig (a
 * bad value is refused naming the key and the old options stay); changes elsewhere need a restart and are logged.
 */
function liveReload(file: string, mcpHost: McpHost, initial: HostConfig): () => void {
  let current = initial;
  let running = false;
  const reload = async () => {
    if (running) return;
    running = true;
    try {
      const next = await loadHostConfig(file);
      if ('problem' in next) {
        process.stderr.write(`nmcp host: config reload failed, the running config stays: ${next.problem}\n`);
        return;
      }
      const restart = (['servers', 'http', 'tcp'] as const).filter(
        (k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]),
      );
      if (JSON.stringify(next.registry ?? {}) !== JSON.stringify(current.registry ?? {})) {
        try {
          // Keys left out go back to their defaults, as at a start with this file.
          const applied = mcpHost.registry.updateConfig({ ...DEFAULT_ROUTE_REGISTRY_OPTIONS, ...next.registry });
          process.stderr.write(`nmcp host: config reloaded: registry ${JSON.stringify(applied)}\n`);
        } catch (err) {
          process.stderr.write(
            `nmcp host: config reload failed, the running config stays: registry: ${(err as Error).message}\n`,
          );
          return;
        }
      }
      if (restart.length > 0) process.stderr.write(`nmcp host: config changes need a restart: ${restart.join(', ')}\n`);
      current = { ...next, servers: current.servers, http: current.http, tcp: current.tcp };
    } finally {
      running = false;
    }
  };
  const onHup = () => void reload();
  process.on('SIGHUP', onHup);
  const unwatch = watchConfigFile(file, onHup);
  return () => {
    process.off('SIGHUP', onHup);
    unwatch();
  };
}
