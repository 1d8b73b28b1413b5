/**
 * The config files of `nmcp bench --config A --vs-config B`: read with `nmcp serve --config`'s own loader, then every
 * option checked with the rules the transports apply at start, so a bad key is a usage error naming the file and the
 * key before any case runs (not a failure of every B case minutes later).
 */
import { loadServeConfig, type ServeConfig } from '../cli/config-file.js';
import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import { resolveHttpOptions } from '../transport/http/server/http-options.js';
import { DEFAULT_STREAM_TRANSPORT_OPTIONS, STREAM_TRANSPORT_RULES } from '../transport/stream-transport.js';
import {
  DEFAULT_TCP_SERVER_OPTIONS,
  resolveTcpServerOptions,
  splitOptions,
  type TcpServerOptions,
} from '../transport/tcp/options.js';
import type { BenchTransport } from './report.js';

/**
 * Keys the bench sets per transport through `nmcp serve`'s flags (framing: tcp vs tcp-ndjson; the HTTP port, version
 * and TLS): from a file they would either be overridden or make the server speak something the load generator does not.
 */
const BENCH_OWNED: Readonly<Record<keyof ServeConfig, readonly string[]>> = {
  stdio: ['framing'],
  tcp: ['framing', 'tls'],
  http: ['port', 'host', 'http2', 'https'],
};

/** The HTTP server's own keys (McpHttpServer), beside the handler's that resolveHttpOptions checks. */
const HTTP_SERVER_KEYS = ['logger', 'keepAliveTimeoutMs'];

/** What a config section applies to: stdio; tcp, tcp-ndjson and unix (McpTcpServer); http and http2. */
export function sectionOf(transport: BenchTransport): keyof ServeConfig {
  return transport === 'stdio' ? 'stdio' : transport === 'http' || transport === 'http2' ? 'http' : 'tcp';
}

/** Reads and checks one file; returns the config, or what is wrong (naming `flag`, the file and the key). */
export async function loadBenchConfig(path: string, flag: '--config' | '--vs-config'): Promise<ServeConfig | string> {
  if (path === '') return `${flag} needs a file path`;
  const loaded = await loadServeConfig(path);
  // The loader's messages say "--config": say the flag the user typed.
  if (typeof loaded === 'string') return loaded.replace('--config', flag);
  const where = `${flag} ${JSON.stringify(path)}`;
  for (const [section, options] of Object.entries(loaded) as [keyof ServeConfig, Record<string, unknown>][]) {
    const owned = BENCH_OWNED[section].find((k) => Object.hasOwn(options, k));
    if (owned !== undefined) {
      return `${where}: ${section}.${owned} is set by nmcp bench per transport; leave it out of the file`;
    }
    try {
      checkSection(section, options);
    } catch (err) {
      if (err instanceof NmcpError) return `${where}: ${err.message}`;
      throw err;
    }
  }
  return loaded;
}

/** Throws the transport's own NMCP_ERR_INVALID_OPTION (scoped by the section name, so it reads as the file's key path). */
function checkSection(section: keyof ServeConfig, options: Record<string, unknown>): void {
  if (section === 'stdio') {
    resolveOptions('stdio', DEFAULT_STREAM_TRANSPORT_OPTIONS, STREAM_TRANSPORT_RULES, options);
  } else if (section === 'tcp') {
    const hooks = ['onConnection', 'onDisconnect', 'onRefused', 'onError'];
    const { objects, primitives } = splitOptions('tcp', options, DEFAULT_TCP_SERVER_OPTIONS, hooks);
    const hook = Object.keys(objects)[0];
    if (hook !== undefined) throw new NmcpError(ErrorCode.INVALID_OPTION, `tcp.${hook} is a function: not from a file`);
    resolveTcpServerOptions('tcp', primitives as Partial<TcpServerOptions>);
  } else {
    resolveHttpOptions('http', options, HTTP_SERVER_KEYS);
    const keepAlive = options.keepAliveTimeoutMs;
    if (keepAlive !== undefined && (!Number.isInteger(keepAlive) || (keepAlive as number) < 0)) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'http.keepAliveTimeoutMs must be a non-negative integer (ms)');
    }
    if (options.logger !== undefined && typeof options.logger !== 'boolean') {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'http.logger must be a boolean');
    }
  }
}
