/**
 * `nmcp serve`: serves one of the bundled example servers over stdio, TCP, a Unix socket or Streamable HTTP. stdout
 * carries protocol messages only (stdio); everything else (the start-up line with the address, errors) goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { PrimaryLink } from '../cluster/server-process.js';
import { formatConfig, type LoadedConfig, loadConfig, type NmcpConfig } from '../config/runtime-config.js';
import { NmcpError } from '../errors.js';
import { installProcessProfiling, type ProcessProfiling } from '../ops/profiling.js';
import type { McpServer } from '../server/mcp-server.js';
import { StdioServerTransport } from '../transport/stdio.js';
import type { Transport, TransportSink } from '../transport/types.js';
import { type LiveTargets, type ServeKind, serveOverrides, startLiveReload } from './config-file.js';
import { EXAMPLES, isExample, loadExample } from './examples.js';
import { usageError } from './usage.js';

export const SERVE_HELP = `Usage: nmcp serve (--stdio | --tcp PORT | --unix PATH | --http PORT) --example NAME [options]

Serves an example MCP server.

Transports (choose one):
  --stdio                    one session over stdin/stdout (NDJSON); ends when stdin closes
  --tcp PORT                 TCP on PORT (0 = a free port); framing length-prefixed unless --framing ndjson
  --unix PATH                a Unix domain socket at PATH (same framing as --tcp)
  --http PORT                Streamable HTTP at http://HOST:PORT/mcp (both MCP eras); 0 = a free port

Options:
  --example NAME             the server to serve: everything (examples/everything), or many-tools (1,000 tools,
                             for nmcp bench)
  --host HOST                address to bind for --tcp / --http (default 127.0.0.1: loopback only)
  --framing MODE             length-prefixed | ndjson, for --tcp / --unix (default length-prefixed)
  --http2                    serve HTTP/2 (h2c without TLS; h2 + HTTP/1.1 with --tls-cert/--tls-key)
  --tls-cert FILE            PEM certificate: serve TLS (--tcp, --unix) or HTTPS (--http); needs --tls-key
  --tls-key FILE             PEM private key of --tls-cert
  --max-message-size BYTES   largest message in either direction (default 16777216; 1 … 268435456)
  --processes N              server processes on the one port, for --tcp / --unix / --http (config
                             cluster.processes; default: the machine's cores, here ${availableParallelism()}). 1 = serve in
                             this process. More: node:cluster forks N processes that share the port; a
                             process that dies is restarted (docs/cluster.md)
  --config FILE              a JSON config file: {"logging":{…},"stdio":{…},"tcp":{…},"http":{…},…}
                             (docs/configuration.md lists every key); default config/$NMCP_ENV.json when
                             NMCP_ENV is set. NMCP_* variables win over the file, flags over both. SIGHUP or a
                             change of the file reloads it live (what cannot change live is logged)
  --print-config             print the effective config as JSON, with where each value came from (default, file,
                             env or flag), and exit; give the transport flags too to see them win
  --cpu-prof                 write a CPU profile (.cpuprofile) from start to exit; its path is printed on stderr
  --heap-prof                write a sampling heap profile (.heapprofile) from start to exit, path on stderr
  --profile-dir DIR          where profiles go (default: $NMCP_PROFILE_DIR, else the working directory)
  --metrics-port PORT        serve /metrics, /health, /ready, /live and /info on PORT (config metrics.port; 0 =
                             none). With --http they are also on the MCP port. metrics.enableMetrics false: none
  --help, -h                 this text

The address served is printed on stderr ("nmcp serve: listening on …", with "— N processes (pids …)" when
several serve), then where the operations endpoints are, if any ("nmcp serve: operations on …/metrics"); with
several processes they report the whole cluster (metrics summed). TCP, Unix and HTTP serve until SIGINT or SIGTERM, then close every
session and exit 0. Memory is sampled every memory.memoryCheckIntervalMs: over memory.memoryWarningBytes a warning is
logged on stderr; over memory.memoryShedBytes (0 = off) requests are refused with a JSON-RPC error until it falls back.

Profiling (docs/operations.md): SIGUSR2 writes a heap snapshot (.heapsnapshot), then a CPU profile of the next 10 s
(.cpuprofile), into the profile directory and prints both paths on stderr; the server keeps serving.

Environment:
  NMCP_ENV=NAME              read config/NAME.json (when no --config); production also sets logging.level warn
  NMCP_<SECTION>_<KEY>=V     one config key, e.g. NMCP_TCP_MAX_CONNECTIONS=500, NMCP_LOGGING_LEVEL=debug
                             (docs/configuration.md)
  NMCP_REPORT_MEMORY_MS=MS   every MS ms (≥ 10), print the process memory on stderr as one line
                             "nmcp serve: memory {"rss":…,"heapTotal":…,"heapUsed":…,"external":…,"arrayBuffers":…}"
                             (bytes; what \`nmcp bench soak\` reads for the V8 heap)
  NMCP_PROFILE_DIR=DIR       where profiles go when --profile-dir is not given
  NMCP_PROFILE_CPU_MS=MS     length of the CPU profile SIGUSR2 takes (default 10000)

Examples:
  nmcp serve --stdio --example everything
  nmcp serve --http 3000 --example everything
  nmcp serve --tcp 7000 --framing ndjson --example everything
`;

const MAX_MESSAGE_SIZE = 256 * 1024 * 1024;

type Values = {
  stdio?: boolean;
  tcp?: string;
  unix?: string;
  http?: string;
  host?: string;
  framing?: string;
  http2?: boolean;
  'tls-cert'?: string;
  'tls-key'?: string;
  example?: string;
  'max-message-size'?: string;
  config?: string;
  'print-config'?: boolean;
  'cpu-prof'?: boolean;
  'heap-prof'?: boolean;
  'profile-dir'?: string;
  'metrics-port'?: string;
  processes?: string;
  help?: boolean;
};

export async function serve(argv: string[]): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stdio: { type: 'boolean' },
        tcp: { type: 'string' },
        unix: { type: 'string' },
        http: { type: 'string' },
        host: { type: 'string' },
        framing: { type: 'string' },
        http2: { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        example: { type: 'string' },
        'max-message-size': { type: 'string' },
        config: { type: 'string' },
        'print-config': { type: 'boolean' },
        'cpu-prof': { type: 'boolean' },
        'heap-prof': { type: 'boolean' },
        'profile-dir': { type: 'string' },
        'metrics-port': { type: 'string' },
        processes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError('serve', (err as Error).message, 'Run `nmcp serve --help` for the options.');
  }
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const chosen = (['stdio', 'tcp', 'unix', 'http'] as const).filter((t) => values[t] !== undefined);
  if (values['print-config'] && chosen.length <= 1) return printConfig(values, chosen[0]);
  if (chosen.length !== 1) {
    return usageError(
      'serve',
      chosen.length === 0
        ? 'choose a transport'
        : `choose one transport, not ${chosen.map((t) => `--${t}`).join(' and ')}`,
      'Add one of --stdio, --tcp PORT, --unix PATH, --http PORT.',
    );
  }
  const kind = chosen[0] as 'stdio' | 'tcp' | 'unix' | 'http';
  const name = values.example;
  if (name === undefined) {
    return usageError(
      'serve',
      'no server to serve',
      `Add --example NAME; known examples: ${Object.keys(EXAMPLES).join(', ')}.`,
    );
  }
  if (!isExample(name)) {
    return usageError(
      'serve',
      `unknown example ${JSON.stringify(name)}`,
      `Use one of: ${Object.keys(EXAMPLES).join(', ')}.`,
    );
  }
  const flags = checkFlags(values, kind);
  if (typeof flags === 'string') return usageError('serve', flags, 'Run `nmcp serve --help` for the options.');
  const memoryMs = memoryReportInterval(process.env.NMCP_REPORT_MEMORY_MS);
  if (typeof memoryMs === 'string') {
    return usageError('serve', memoryMs, 'Set it to a whole number of milliseconds such as 1000, or unset it.');
  }
  const configOptions = { file: values.config, overrides: serveOverrides(kind, serveFlagValues(values, flags)) };
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(configOptions);
  } catch (err) {
    return configError(err);
  }
  const config = loaded.config;

  // Several processes on one port: this one is their primary (src/cluster/primary.ts), or one of them.
  const { serverProcess } = await import('../cluster/server-process.js');
  const member = kind === 'stdio' ? undefined : serverProcess();
  if (member === undefined && kind !== 'stdio' && config.cluster.processes > 1) {
    const { runPrimary } = await import('../cluster/primary.js');
    return runPrimary({
      processes: config.cluster.processes,
      kind,
      metrics: { served: metricsServed(config, kind), port: config.metrics.port, host: '127.0.0.1' },
      log: (line) => process.stderr.write(`nmcp serve: ${line}\n`),
    });
  }
  let link: PrimaryLink | undefined;
  if (member !== undefined) {
    const { PrimaryLink } = await import('../cluster/server-process.js');
    link = new PrimaryLink(member);
  }

  let server: McpServer;
  try {
    server = (await loadExample(name))({});
  } catch (err) {
    process.stderr.write(`nmcp serve: could not load the ${name} example: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
  // With a config file (--config, or config/$NMCP_ENV.json), SIGHUP or a change of the file reloads it, applied live
  // where the transport can; a pino logger on stderr (over stdio, stdout is the protocol) reports the outcome. pino is
  // loaded only then, so that a plain start does not pay for it. The CLI's own "nmcp serve: …" lines stay as they are.
  const targets: LiveTargets = {};
  let ops: ServeOperations;
  try {
    ops = await startOperations(server, config, kind, link);
  } catch (err) {
    await server.close().catch(() => {});
    if (err instanceof NmcpError) return configError(err);
    throw err;
  }
  targets.operations = ops;
  const live =
    loaded.file === undefined
      ? undefined
      : startLiveReload({
          initial: loaded,
          load: () => loadConfig(configOptions),
          kind,
          targets,
          logger: (await import('../config/logger.js')).createLogger(config.logging, { stdio: kind === 'stdio' }),
        });
  const stopMemoryReport = memoryMs === undefined ? undefined : reportMemory(memoryMs);
  let profiling: ProcessProfiling | undefined;
  try {
    // SIGUSR2 always; --cpu-prof / --heap-prof until exit (written in finally, after the server closed).
    profiling = await installProcessProfiling({
      cpuProf: values['cpu-prof'],
      heapProf: values['heap-prof'],
      dir: values['profile-dir'],
      log: (line) => process.stderr.write(`nmcp serve: ${line}\n`),
    });
    if (kind === 'stdio') return await serveStdio(server, config.stdio, targets, ops);
    return await serveNetwork(server, kind, values, flags, config, targets, ops, link);
  } catch (err) {
    // Options the transports reject (a bad key or value in --config) arrive here as NMCP_ERR_INVALID_OPTION.
    if (err instanceof NmcpError) {
      process.stderr.write(`nmcp serve: ${err.message} [${err.code}]\n`);
      return 2;
    }
    process.stderr.write(`nmcp serve: ${(err as Error).message}\n`);
    return 1;
  } finally {
    live?.stop();
    await ops.close();
    stopMemoryReport?.();
    await server.close().catch(() => {});
    await profiling?.stop();
    link?.close();
  }
}

/** The flags that set config keys, as serveOverrides takes them. */
function serveFlagValues(values: Values, flags: Flags) {
  return {
    metricsPort: flags.metricsPort,
    processes: flags.processes,
    maxMessageSize: flags.stream.maxMessageSize,
    port: flags.port,
    host: values.host,
    framing: flags.framing,
    http2: values.http2,
  };
}

/** A config that does not load: exit 2 with the message (key, value, what is allowed, where from) and the fix. */
function configError(err: unknown): number {
  if (!(err instanceof NmcpError)) throw err;
  const fix = typeof err.details.fix === 'string' ? err.details.fix : 'See docs/configuration.md.';
  return usageError('serve', `${err.message} [${err.code}]`, fix);
}

/** --print-config: the effective config (with the transport flags given, if any) and each value's source; exit 0. */
async function printConfig(values: Values, kind: ServeKind | undefined): Promise<number> {
  const flags = checkFlags(values, kind);
  if (typeof flags === 'string') return usageError('serve', flags, 'Run `nmcp serve --help` for the options.');
  if (kind === undefined && flags.stream.maxMessageSize !== undefined) {
    return usageError(
      'serve',
      '--max-message-size needs a transport',
      'Add --stdio, --tcp PORT, --unix PATH or --http PORT.',
    );
  }
  try {
    const loaded = await loadConfig({
      file: values.config,
      overrides: serveOverrides(kind, serveFlagValues(values, flags)),
    });
    process.stdout.write(formatConfig(loaded));
    return 0;
  } catch (err) {
    return configError(err);
  }
}

/** NMCP_REPORT_MEMORY_MS: undefined when unset (no report), the interval in ms, or what is wrong with it. */
export function memoryReportInterval(text: string | undefined): number | undefined | string {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 10) {
    return `NMCP_REPORT_MEMORY_MS must be a whole number of milliseconds ≥ 10, got ${JSON.stringify(text)}`;
  }
  return Number(text);
}

/**
 * Prints process.memoryUsage() on stderr now and every `ms`. The V8 heap is only visible from inside the process (/proc
 * shows RSS alone), so a soak that wants the heap asks the server to say it. stderr only: over stdio, stdout is the
 * protocol. The timer is unref'd, so it never keeps a server alive that would otherwise exit (stdin closed).
 */
function reportMemory(ms: number): () => void {
  const write = () => {
    const m = process.memoryUsage();
    const fields = {
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    };
    process.stderr.write(`nmcp serve: memory ${JSON.stringify(fields)}\n`);
  };
  write();
  const timer = setInterval(write, ms);
  timer.unref();
  return () => clearInterval(timer);
}

interface Flags {
  /** Options every transport takes from flags. */
  stream: { maxMessageSize?: number };
  metricsPort?: number;
  processes?: number;
  port?: number;
  framing?: 'ndjson' | 'length-prefixed';
  tls?: { cert: Buffer; key: Buffer };
}

/** Checks the flags that take values; returns them parsed, or what is wrong. */
function checkFlags(values: Values, kind: ServeKind | undefined): Flags | string {
  const flags: Flags = { stream: {} };
  const raw = values['max-message-size'];
  if (raw !== undefined) {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > MAX_MESSAGE_SIZE) {
      return `--max-message-size must be a whole number of bytes from 1 to ${MAX_MESSAGE_SIZE}, got ${JSON.stringify(raw)} (e.g. 1048576 for 1 MiB)`;
    }
    flags.stream.maxMessageSize = n;
  }
  const metricsPort = values['metrics-port'];
  if (metricsPort !== undefined) {
    if (!/^\d+$/.test(metricsPort) || Number(metricsPort) > 65_535) {
      return `--metrics-port needs a port number from 0 to 65535 (0 = no separate listener), got ${JSON.stringify(metricsPort)}`;
    }
    flags.metricsPort = Number(metricsPort);
  }
  const processes = values.processes;
  if (processes !== undefined) {
    if (kind === 'stdio') {
      return '--processes applies to --tcp, --unix and --http (a stdio server is one session on one process)';
    }
    if (!/^\d+$/.test(processes) || Number(processes) < 1 || Number(processes) > 1_024) {
      return `--processes needs a whole number from 1 to 1024 (1 = serve in this process), got ${JSON.stringify(processes)}`;
    }
    flags.processes = Number(processes);
  }
  const portText = kind === 'tcp' ? values.tcp : kind === 'http' ? values.http : undefined;
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65_535) {
      return `--${kind} needs a port number from 0 to 65535 (0 = any free port), got ${JSON.stringify(portText)}`;
    }
    flags.port = port;
  }
  if (kind === 'unix' && values.unix === '') return '--unix needs a socket path';
  if (values.host !== undefined && kind !== 'tcp' && kind !== 'http') return '--host applies to --tcp and --http only';
  if (values.framing !== undefined) {
    if (kind !== 'tcp' && kind !== 'unix') return '--framing applies to --tcp and --unix only (stdio is NDJSON)';
    if (values.framing !== 'ndjson' && values.framing !== 'length-prefixed') {
      return `--framing must be length-prefixed or ndjson, got ${JSON.stringify(values.framing)}`;
    }
    flags.framing = values.framing;
  }
  if (values.http2 && kind !== 'http') return '--http2 applies to --http only';
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (cert !== undefined || key !== undefined) {
    if (kind === 'stdio') return '--tls-cert/--tls-key apply to --tcp, --unix and --http';
    if (cert === undefined || key === undefined) return '--tls-cert and --tls-key go together';
    try {
      flags.tls = { cert: readFileSync(cert), key: readFileSync(key) };
    } catch (err) {
      return `cannot read the TLS files: ${(err as Error).message}`;
    }
  }
  return flags;
}

async function serveStdio(
  server: McpServer,
  options: NmcpConfig['stdio'],
  targets: LiveTargets,
  ops: ServeOperations,
): Promise<number> {
  const inner = new StdioServerTransport(options);
  targets.stdio = inner;
  const { transport, closed } = watchClose(inner);
  try {
    await server.connect(transport);
  } catch (err) {
    process.stderr.write(`nmcp serve: could not start the session: ${(err as Error).message}\n`);
    return 1;
  }
  let open = true;
  void closed.then(() => {
    open = false;
  });
  ops.serving(() => ({ ok: open, detail: open ? 'the stdio session is open' : 'the stdio session ended' }));
  await ops.announce();
  const onSignal = () => void transport.close();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const reason = await closed;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // stdin may still hold the event loop open (a paused or half-read stream): release it, so the process ends.
  process.stdin.destroy();
  if (reason) {
    process.stderr.write(`nmcp serve: the session ended: ${reason.message}\n`);
    return 1;
  }
  return 0;
}

async function serveNetwork(
  server: McpServer,
  kind: 'tcp' | 'unix' | 'http',
  values: Values,
  flags: Flags,
  config: NmcpConfig,
  targets: LiveTargets,
  ops: ServeOperations,
  link: PrimaryLink | undefined,
): Promise<number> {
  let close: () => Promise<void>;
  let where: string;
  let listening: () => boolean;
  if (kind === 'http') {
    // Loaded on demand: fastify and undici are not needed to serve stdio, and every stdio server start would pay for them.
    const { McpHttpServer } = await import('../transport/http/server/http-server.js');
    // config.http holds --http PORT, --host, --http2 and --max-message-size (loadConfig's overrides).
    const http = new McpHttpServer(server, { ...config.http, ...(flags.tls ? { https: flags.tls } : {}) });
    ops.attachHttp?.(http);
    if (link !== undefined) {
      const { processSessionAffinity } = await import('../cluster/session-affinity.js');
      http.routeSessions(await processSessionAffinity({ ...link.info, handoff: link.handoff }));
    }
    const url = await http.listen();
    where = `${url}${config.http.http2 ? ' (HTTP/2)' : ''}`;
    ops.httpBase = url.slice(0, url.length - new URL(url).pathname.length);
    let open = true;
    listening = () => open;
    close = () => {
      open = false;
      return http.close();
    };
  } else {
    const { McpTcpServer } = await import('../transport/tcp/server.js');
    // config.tcp holds --framing and --max-message-size (loadConfig's overrides).
    const tcp = new McpTcpServer(server, {
      ...config.tcp,
      ...(flags.tls ? { tls: flags.tls } : {}),
      onDisconnect: (_connection, reason) => {
        if (reason) process.stderr.write(`nmcp serve: a connection closed: ${reason.message}\n`);
      },
    });
    targets.tcp = tcp;
    ops.observeListener?.(tcp);
    const address = await tcp.listen(
      kind === 'unix'
        ? { path: values.unix as string }
        : { port: flags.port as number, host: values.host ?? '127.0.0.1' },
    );
    const scheme = flags.tls ? 'tls' : kind;
    where =
      'path' in address
        ? `${scheme === 'tls' ? 'tls+unix' : 'unix'}:${address.path}`
        : `${scheme}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
    where += ` (${tcp.options.framing})`;
    let open = true;
    listening = () => open;
    close = () => {
      open = false;
      return tcp.close();
    };
  }
  // The signal handlers are in place before the address is announced: a SIGTERM sent as soon as it is read closes
  // the server cleanly instead of killing it. A cluster's process closes when its primary says so (or is gone);
  // SIGINT from a terminal reaches the whole process group, and the primary drives the shutdown.
  const ignore = () => {};
  const stop =
    link === undefined
      ? new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        })
      : Promise.race([
          link.stopped,
          new Promise<void>((resolve) => {
            process.on('SIGINT', ignore);
            process.once('SIGTERM', resolve);
          }),
        ]);
  if (link === undefined) process.stderr.write(`nmcp serve: listening on ${where}\n`);
  ops.serving(() => ({ ok: listening(), detail: listening() ? `listening on ${where}` : 'closed' }));
  await ops.announce();
  link?.listening(where);
  await stop;
  process.off('SIGINT', ignore);
  if (link === undefined) process.stderr.write('nmcp serve: closing\n');
  await close();
  return 0;
}

/** Wraps a transport so that its close (from either side, for any reason) resolves `closed` with the reason. */
function watchClose(inner: Transport): { transport: Transport; closed: Promise<Error | undefined> } {
  let resolve!: (reason: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((r) => {
    resolve = r;
  });
  const transport: Transport = {
    kind: inner.kind,
    start: (sink: TransportSink) =>
      inner.start({
        message: (text) => sink.message(text),
        frameError: (error) => sink.frameError(error),
        closed: (reason) => {
          try {
            sink.closed(reason);
          } finally {
            resolve(reason);
          }
        },
      }),
    send: (message, relatedRequestId) => inner.send(message, relatedRequestId),
    close: (reason) => inner.close(reason),
  };
  return { transport, closed };
}

/**
 * What `nmcp serve` runs beside the server: the memory monitor always (warnings on stderr, load shedding over
 * memory.memoryShedBytes), and with metrics enabled and somewhere to serve them (--http, or metrics.port /
 * --metrics-port) NmcpMetrics and the operations endpoints. prom-client and fastify are loaded only in that case.
 */
interface ServeOperations {
  attachHttp?: (http: import('../transport/http/server/http-server.js').McpHttpServer) => void;
  observeListener?: (listener: import('../metrics/nmcp-metrics.js').MetricsListener) => void;
  /** The MCP HTTP server's origin, when the endpoints are on it too. */
  httpBase?: string;
  serving(check: () => { ok: boolean; detail: string }): void;
  /** Starts the separate listener, if any, and prints where the endpoints are. */
  announce(): Promise<void>;
  update(next: NmcpConfig): string[];
  close(): Promise<void>;
}

/** Whether `nmcp serve` serves the operations endpoints (metrics on, and somewhere to serve them). */
function metricsServed(config: NmcpConfig, kind: ServeKind): boolean {
  return config.metrics.enableMetrics && (kind === 'http' || config.metrics.port > 0);
}

async function startOperations(
  server: McpServer,
  config: NmcpConfig,
  kind: ServeKind,
  link: PrimaryLink | undefined,
): Promise<ServeOperations> {
  const log = (level: 'info' | 'warn' | 'error', message: string) => {
    if (level !== 'info') process.stderr.write(`nmcp serve: ${message}\n`);
  };
  if (!metricsServed(config, kind)) {
    const { MemoryMonitor } = await import('../metrics/memory-monitor.js');
    const memory = new MemoryMonitor({ ...config.memory, warn: (message) => log('warn', message) });
    memory.guard(server);
    memory.start();
    return {
      serving: () => {},
      announce: async () => {},
      update: (next) => {
        const changed = (Object.keys(next.memory) as (keyof NmcpConfig['memory'])[]).filter(
          (k) => next.memory[k] !== memory.options[k],
        );
        if (changed.length > 0) memory.updateOptions(next.memory);
        return changed.map((k) => `memory.${k}`);
      },
      close: async () => memory.stop(),
    };
  }
  const { Operations } = await import('../metrics/operations.js');
  if (link !== undefined) {
    // One of a cluster's processes: the primary serves metrics.port for all of them, and /metrics here answers with
    // the whole cluster's, which the primary gathers from every process's registry (prom-client's AggregatorRegistry).
    const ops = new Operations({
      server,
      config: { ...config, metrics: { ...config.metrics, port: 0 } },
      log,
      metricsText: () => link.clusterMetrics(),
    });
    if (ops.metrics !== undefined) {
      const { AggregatorRegistry } = await import('prom-client');
      // Constructing one installs prom-client's answering side in this process (its listener for the primary's
      // requests); the registry it answers with is this process's.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([ops.metrics.registry]);
    }
    link.answer({ health: () => ops.health.report(), ready: () => ops.ready, info: () => ops.info() ?? null });
    return {
      attachHttp: (http) => ops.attachHttp(http),
      observeListener: (listener) => ops.observeListener(listener),
      serving: (check) => ops.serving(check),
      announce: async () => {
        await ops.start();
      },
      update: (next) => ops.update(next),
      close: () => ops.close(),
    };
  }
  const ops = new Operations({ server, config, log });
  const out: ServeOperations = {
    attachHttp: (http) => ops.attachHttp(http),
    observeListener: (listener) => ops.observeListener(listener),
    serving: (check) => ops.serving(check),
    announce: async () => {
      const url = await ops.start();
      const at = [url, out.httpBase].filter((u): u is string => u !== undefined);
      if (at.length > 0) {
        process.stderr.write(`nmcp serve: operations on ${at.map((u) => `${u}/metrics`).join(' and ')}\n`);
      }
    },
    update: (next) => ops.update(next),
    close: () => ops.close(),
  };
  return out;
}
