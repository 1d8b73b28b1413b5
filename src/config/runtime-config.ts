/**
 * NmcpConfig: the whole runtime configuration of a process (logging, metrics, memory monitor, route registry, and the
 * stdio / tcp / http transports' options), with the seed's values as defaults, and loadConfig(), which layers
 *
 *   defaults  <  config file (--config FILE, or config/<NMCP_ENV>.json)  <  NMCP_<SECTION>_<KEY> variables  <  flags
 *
 * validating each layer as it goes, so that an error names the key path, the value, what is allowed and where the value
 * came from (the file, the variable or the flag). The transport sections are checked by the transports' own option
 * resolvers, so a bad transport key fails at load, not at listen. `sources` says where each value came from
 * (`nmcp serve --print-config`). docs/configuration.md is the reference.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { ErrorCode, NmcpError } from '../errors.js';
import {
  DEFAULT_HTTP_OPTIONS,
  type HttpScalarOptions,
  resolveHttpOptions,
} from '../transport/http/server/http-options.js';
import {
  DEFAULT_STREAM_TRANSPORT_OPTIONS,
  STREAM_TRANSPORT_RULES,
  type StreamTransportOptions,
} from '../transport/stream-transport.js';
import {
  DEFAULT_TCP_SERVER_OPTIONS,
  resolveTcpServerOptions,
  splitOptions,
  type TcpServerOptions,
} from '../transport/tcp/options.js';
import { DEFAULT_ROUTE_REGISTRY_OPTIONS, ROUTE_REGISTRY_RULES, type RouteRegistryOptions } from './defaults.js';
import { type EnvValueType, envVarName, readEnvEntries } from './env.js';
import { type NumberRule, resolveOptions } from './options.js';

const GiB = 1024 * 1024 * 1024;

/** pino's levels. The seed's `warning` is `warn`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LoggingConfig = {
  /** Least severe level written. Default 'info'; 'warn' when NMCP_ENV=production (the seed's production `warning`). */
  level: LogLevel;
};

export type MetricsConfig = {
  /** Record and serve Prometheus metrics (the seed's enable_metrics). Default true. */
  enableMetrics: boolean;
  /** How often sampled gauges are refreshed, ms (the seed's metrics_interval). Default 5,000; 100 … 3,600,000. */
  metricsIntervalMs: number;
  /** A separate listener for /metrics, /health, /ready, /live. Default 0: none (the HTTP transport's server serves them). */
  port: number;
};

export type MemoryConfig = {
  /** How often process.memoryUsage() is sampled, ms. Default 1,000; 10 … 3,600,000. */
  memoryCheckIntervalMs: number;
  /** RSS above which a warning is logged, bytes. Default 1 GiB (the seed's); 0 = no warning. */
  memoryWarningBytes: number;
  /** RSS above which new sessions and requests are refused until it falls back, bytes. Default 0 = no shedding. */
  memoryShedBytes: number;
};

export type ClusterConfig = {
  /**
   * Server processes `nmcp serve --tcp/--unix/--http` runs on the one port (node:cluster; `--processes N` sets it).
   * Default: the machine's cores (os.availableParallelism()); 1 = the server in the `nmcp serve` process itself.
   * stdio is always one process.
   */
  processes: number;
};

/** The HTTP listener's own keys (McpHttpServer's; `nmcp serve --http PORT --host H --http2` set them too). */
export type HttpListenerConfig = {
  /** TCP port; 0 picks a free one. Default 3000 (`--http PORT` wins). */
  port: number;
  /** Address to bind. Default '127.0.0.1' (loopback only). */
  host: string;
  /** Serve HTTP/2 (h2c, or h2 with TLS). Default false. */
  http2: boolean;
  /** How long an idle HTTP/1.1 keep-alive connection stays open, ms. Default 72,000 (fastify's). */
  keepAliveTimeoutMs: number;
  /** fastify's request logger. Default false. */
  logger: boolean;
};

/** The http section: the handler's scalar options, the listener's, and the Host/Origin allow-lists (unset = loopback rules). */
export type HttpConfig = HttpScalarOptions &
  HttpListenerConfig & {
    /** Host header values accepted. Default: unset (loopback names on a loopback address; any Host otherwise). */
    allowedHosts?: readonly string[];
    /** Origin header values accepted. Default: unset (loopback origins on a loopback address; same origin otherwise). */
    allowedOrigins?: readonly string[];
  };

/** The runtime configuration: one section per component. Every section is complete (defaults filled) and frozen. */
export interface NmcpConfig {
  readonly logging: Readonly<LoggingConfig>;
  readonly metrics: Readonly<MetricsConfig>;
  readonly memory: Readonly<MemoryConfig>;
  /** How many server processes `nmcp serve` runs on a TCP, Unix or HTTP port (docs/cluster.md). */
  readonly cluster: Readonly<ClusterConfig>;
  readonly registry: Readonly<RouteRegistryOptions>;
  /** StdioServerTransport's options (docs/stdio.md). */
  readonly stdio: Readonly<StreamTransportOptions>;
  /** McpTcpServer's options, also for Unix sockets (docs/tcp.md). */
  readonly tcp: Readonly<TcpServerOptions>;
  /** McpHttpServer's options (docs/http.md). */
  readonly http: Readonly<HttpConfig>;
}

export type ConfigSectionName = keyof NmcpConfig;
export const CONFIG_SECTION_NAMES: readonly ConfigSectionName[] = Object.freeze([
  'logging',
  'metrics',
  'memory',
  'cluster',
  'registry',
  'stdio',
  'tcp',
  'http',
]);

export const DEFAULT_LOGGING_CONFIG: Readonly<LoggingConfig> = Object.freeze({ level: 'info' });

export const DEFAULT_METRICS_CONFIG: Readonly<MetricsConfig> = Object.freeze({
  enableMetrics: true, // the seed's enable_metrics
  metricsIntervalMs: 5_000, // ms (the seed's metrics_interval)
  port: 0, // 0 = no separate metrics listener
});

export const DEFAULT_MEMORY_CONFIG: Readonly<MemoryConfig> = Object.freeze({
  memoryCheckIntervalMs: 1_000, // ms
  memoryWarningBytes: 1 * GiB, // 1 GiB (the seed's)
  memoryShedBytes: 0, // bytes, 0 = no shedding
});

export const DEFAULT_CLUSTER_CONFIG: Readonly<ClusterConfig> = Object.freeze({
  processes: availableParallelism(), // every core (the seed's +S schedulers:cores)
});

const DEFAULT_HTTP_LISTENER_CONFIG: Readonly<HttpListenerConfig> = Object.freeze({
  port: 3000,
  host: '127.0.0.1', // loopback only
  http2: false,
  keepAliveTimeoutMs: 72_000, // ms (fastify's)
  logger: false,
});

export const DEFAULT_HTTP_CONFIG: Readonly<HttpConfig> = Object.freeze({
  ...DEFAULT_HTTP_OPTIONS,
  ...DEFAULT_HTTP_LISTENER_CONFIG,
});

/** The seed's values (camelCased), every section frozen. */
export const DEFAULT_NMCP_CONFIG: NmcpConfig = Object.freeze({
  logging: DEFAULT_LOGGING_CONFIG,
  metrics: DEFAULT_METRICS_CONFIG,
  memory: DEFAULT_MEMORY_CONFIG,
  cluster: DEFAULT_CLUSTER_CONFIG,
  registry: DEFAULT_ROUTE_REGISTRY_OPTIONS,
  stdio: DEFAULT_STREAM_TRANSPORT_OPTIONS,
  tcp: DEFAULT_TCP_SERVER_OPTIONS,
  http: DEFAULT_HTTP_CONFIG,
});

export const LOGGING_RULES = { level: LOG_LEVELS } as const;

export const METRICS_RULES = {
  metricsIntervalMs: { min: 100, max: 3_600_000, what: 'milliseconds' },
  port: { min: 0, max: 65_535, what: 'a TCP port, 0 = no separate listener' },
} as const;

export const CLUSTER_RULES = {
  processes: { min: 1, max: 1_024, what: 'server processes (1 = no cluster)' },
} as const;

const MAX_BYTES = 2 ** 50; // 1 PiB: beyond any real memory, still a safe integer

export const MEMORY_RULES = {
  memoryCheckIntervalMs: { min: 10, max: 3_600_000, what: 'milliseconds' },
  memoryWarningBytes: { min: 0, max: MAX_BYTES, what: 'bytes, 0 = no warning' },
  memoryShedBytes: { min: 0, max: MAX_BYTES, what: 'bytes, 0 = no shedding' },
} as const;

const HTTP_LISTENER_RULES: { readonly [K in keyof HttpListenerConfig]?: NumberRule } = {
  port: { min: 0, max: 65_535, what: 'a TCP port, 0 = any free port' },
  keepAliveTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds' },
};

const HTTP_LIST_KEYS = ['allowedHosts', 'allowedOrigins'] as const;
const HTTP_LISTENER_KEYS = Object.keys(DEFAULT_HTTP_LISTENER_CONFIG);

/** Where a value came from: the default, a file, an environment variable or a command-line flag. */
export type ConfigSource = 'default' | `file:${string}` | `env:${string}` | `flag:${string}`;

/** Key path ('tcp.maxConnections') → where its value came from. */
export type ConfigSources = Readonly<Record<string, ConfigSource>>;

/** One command-line flag's value for one key (flags win over everything). */
export interface ConfigOverride {
  /** Key path, e.g. 'tcp.framing'. */
  readonly key: string;
  readonly value: unknown;
  /** The flag as typed, e.g. '--framing'. */
  readonly flag: string;
}

export interface LoadConfigOptions {
  /** A config file (JSON, sections of NmcpConfig). Default: config/<NMCP_ENV>.json when NMCP_ENV is set, else none. */
  file?: string;
  /** Where NMCP_* variables are read. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Flags: they win over the file and the environment. */
  overrides?: readonly ConfigOverride[];
  /** Directory that config/<NMCP_ENV>.json is relative to. Default process.cwd(). */
  cwd?: string;
}

export interface LoadedConfig {
  readonly config: NmcpConfig;
  readonly sources: ConfigSources;
  /** The file read (absolute path), if any: what a live reload watches. */
  readonly file: string | undefined;
  /** NMCP_ENV, if set. */
  readonly environment: string | undefined;
}

type Scalar = number | string | boolean;
type SectionValues = Record<string, unknown>;

interface SectionSpec {
  /** Every key's type, for NMCP_* parsing (and the list of known keys). */
  readonly types: Readonly<Record<string, EnvValueType>>;
  /** Checks `merged` (a whole section) with the component's rules; returns it resolved. Throws NMCP_ERR_INVALID_OPTION. */
  resolve(merged: SectionValues): SectionValues;
}

function typesOf(
  defaults: Readonly<Record<string, Scalar>>,
  lists: readonly string[] = [],
): Record<string, EnvValueType> {
  const out: Record<string, EnvValueType> = {};
  for (const [key, value] of Object.entries(defaults)) out[key] = typeof value as 'number' | 'string' | 'boolean';
  for (const key of lists) out[key] = 'list';
  return out;
}

function plain<T extends Record<string, Scalar>>(
  section: string,
  defaults: Readonly<T>,
  rules: { readonly [K in keyof T]?: NumberRule | readonly string[] },
): SectionSpec {
  return {
    types: typesOf(defaults),
    resolve: (merged) => ({ ...resolveOptions(section, defaults, rules, merged as Partial<T>) }),
  };
}

const SECTIONS: Readonly<Record<ConfigSectionName, SectionSpec>> = {
  logging: plain('logging', DEFAULT_LOGGING_CONFIG, LOGGING_RULES),
  metrics: plain('metrics', DEFAULT_METRICS_CONFIG, METRICS_RULES),
  memory: plain('memory', DEFAULT_MEMORY_CONFIG, MEMORY_RULES),
  cluster: plain('cluster', DEFAULT_CLUSTER_CONFIG, CLUSTER_RULES),
  registry: plain('registry', DEFAULT_ROUTE_REGISTRY_OPTIONS, ROUTE_REGISTRY_RULES),
  // StdioServerTransport resolves exactly so (StreamTransport with kind 'stdio').
  stdio: plain('stdio', DEFAULT_STREAM_TRANSPORT_OPTIONS, STREAM_TRANSPORT_RULES),
  tcp: {
    types: typesOf(DEFAULT_TCP_SERVER_OPTIONS),
    // McpTcpServer's own checks: splitOptions names every known key (and the sendTimeoutMs hint), then the rules.
    resolve: (merged) => {
      const { primitives } = splitOptions('tcp', merged, DEFAULT_TCP_SERVER_OPTIONS, []);
      return { ...resolveTcpServerOptions('tcp', primitives as Partial<TcpServerOptions>) };
    },
  },
  http: {
    types: typesOf({ ...DEFAULT_HTTP_OPTIONS, ...DEFAULT_HTTP_LISTENER_CONFIG }, HTTP_LIST_KEYS),
    // McpHttpServer's checks: resolveHttpOptions for the handler's keys and lists, the listener's keys beside.
    resolve: (merged) => {
      const handler: Record<string, unknown> = {};
      const listener: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(merged)) {
        (HTTP_LISTENER_KEYS.includes(key) ? listener : handler)[key] = value;
      }
      const resolved = resolveHttpOptions('http', handler);
      const server = resolveOptions('http', DEFAULT_HTTP_LISTENER_CONFIG, HTTP_LISTENER_RULES, listener);
      if (server.host === '') {
        throw new NmcpError(ErrorCode.INVALID_OPTION, 'http.host must be a non-empty address, got ""', {
          key: 'http.host',
          value: '',
        });
      }
      const out: SectionValues = { ...resolved.scalars, ...server };
      for (const key of HTTP_LIST_KEYS)
        if (merged[key] !== undefined) out[key] = Object.freeze([...(merged[key] as string[])]);
      return out;
    },
  },
};

/** One value of a layer and where it came from. */
interface LayerEntry {
  readonly section: string;
  readonly key: string;
  readonly value: unknown;
  readonly source: ConfigSource;
}

/** How a source reads in a message: `--config "x.json"`, `NMCP_TCP_BACKLOG`, `--framing`. */
export function describeSource(source: ConfigSource): string {
  if (source === 'default') return 'the default';
  if (source.startsWith('file:')) return `the file ${JSON.stringify(source.slice(5))}`;
  if (source.startsWith('env:')) return `the environment variable ${source.slice(4)}`;
  return `the flag ${source.slice(5)}`;
}

function fixFor(source: ConfigSource, path: string): string {
  if (source.startsWith('file:')) {
    return `Fix ${path} in ${source.slice(5)}, or remove it to use the default (docs/configuration.md lists every key).`;
  }
  if (source.startsWith('env:')) return `Fix or unset ${source.slice(4)}.`;
  if (source.startsWith('flag:')) return `Fix ${source.slice(5)} (nmcp serve --help).`;
  return 'See docs/configuration.md.';
}

function configError(message: string, path: string, value: unknown, source: ConfigSource, cause?: unknown): NmcpError {
  return new NmcpError(
    ErrorCode.INVALID_OPTION,
    `${message} (from ${describeSource(source)})`,
    { key: path, value, source, fix: fixFor(source, path) },
    cause === undefined ? undefined : { cause },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entries of a config file's value (sections of NmcpConfig), its shape checked. */
function fileEntries(value: unknown, source: ConfigSource, shown: string): LayerEntry[] {
  if (!isObject(value)) {
    throw configError(
      `${shown} must hold a JSON object with sections ${CONFIG_SECTION_NAMES.join(', ')}`,
      '',
      value,
      source,
    );
  }
  const entries: LayerEntry[] = [];
  for (const [section, options] of Object.entries(value)) {
    if (!Object.hasOwn(SECTIONS, section)) {
      throw configError(
        `${shown}: unknown section ${JSON.stringify(section)} (known: ${CONFIG_SECTION_NAMES.join(', ')})`,
        section,
        options,
        source,
      );
    }
    if (!isObject(options)) {
      throw configError(
        `${shown}: section ${JSON.stringify(section)} must be an object of options, got ${JSON.stringify(options)}`,
        section,
        options,
        source,
      );
    }
    for (const [key, v] of Object.entries(options)) entries.push({ section, key, value: v, source });
  }
  return entries;
}

/** Reads a config file (JSON): its layer entries, or NMCP_ERR_INVALID_OPTION saying what is wrong with it. */
async function readFileEntries(path: string, shown: string, source: ConfigSource): Promise<LayerEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `cannot read ${shown}: ${(err as Error).message}`,
      { key: '', source, fix: 'Give the path of a readable JSON file.' },
      { cause: err },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `${shown} is not valid JSON: ${(err as Error).message}`,
      { key: '', source, fix: 'Fix the JSON syntax.' },
      { cause: err },
    );
  }
  return fileEntries(value, source, shown);
}

/**
 * Applies one layer on top of `current` (valid): each section it touches is re-resolved by its component's rules, so a
 * bad value fails naming its key, and the error says where the value came from.
 */
function applyLayer(
  current: Record<string, SectionValues>,
  sources: Record<string, ConfigSource>,
  entries: readonly LayerEntry[],
): void {
  const bySection = new Map<string, LayerEntry[]>();
  for (const entry of entries) {
    const spec = SECTIONS[entry.section as ConfigSectionName];
    const path = `${entry.section}.${entry.key}`;
    if (spec === undefined) {
      throw configError(
        `unknown section ${JSON.stringify(entry.section)} (known: ${CONFIG_SECTION_NAMES.join(', ')})`,
        path,
        entry.value,
        entry.source,
      );
    }
    if (!Object.hasOwn(spec.types, entry.key)) {
      throw configError(
        `${path} is not a known option (got ${JSON.stringify(entry.value)}; known: ${Object.keys(spec.types).join(', ')})${entry.section === 'tcp' && entry.key === 'writeTimeoutMs' ? '; over TCP it is called sendTimeoutMs' : ''}`,
        path,
        entry.value,
        entry.source,
      );
    }
    const list = bySection.get(entry.section) ?? [];
    list.push(entry);
    bySection.set(entry.section, list);
  }
  for (const [section, list] of bySection) {
    const spec = SECTIONS[section as ConfigSectionName];
    const merged: SectionValues = { ...current[section] };
    for (const entry of list) merged[entry.key] = entry.value;
    let resolved: SectionValues;
    try {
      resolved = spec.resolve(merged);
    } catch (err) {
      if (!(err instanceof NmcpError)) throw err;
      const key = typeof err.details.key === 'string' ? err.details.key : '';
      const entry = list.find((e) => `${section}.${e.key}` === key) ?? list[0];
      const source = entry?.source ?? 'default';
      throw configError(err.message, key || section, entry?.value, source, err);
    }
    current[section] = resolved;
    for (const entry of list) sources[`${section}.${entry.key}`] = entry.source;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Loads the effective config: defaults < file (`file`, or config/<NMCP_ENV>.json) < NMCP_<SECTION>_<KEY> < overrides.
 * NMCP_ENV=production also makes logging.level default to 'warn'. Throws NMCP_ERR_INVALID_OPTION whose message names
 * the key path, the value, what is allowed and where the value came from; `details` holds `key`, `value`, `source`
 * and `fix` (what to do about it).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const { env = process.env, overrides = [], cwd = process.cwd() } = options;
  const current: Record<string, SectionValues> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const name of CONFIG_SECTION_NAMES) {
    current[name] = { ...DEFAULT_NMCP_CONFIG[name] };
    for (const key of Object.keys(DEFAULT_NMCP_CONFIG[name])) sources[`${name}.${key}`] = 'default';
  }

  const environment = env.NMCP_ENV === undefined || env.NMCP_ENV === '' ? undefined : env.NMCP_ENV;
  if (environment !== undefined && !ENV_NAME.test(environment)) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `NMCP_ENV must be an environment name such as production (letters, digits, _ . -), got ${JSON.stringify(environment)}`,
      {
        key: 'NMCP_ENV',
        value: environment,
        source: 'env:NMCP_ENV',
        fix: 'Set NMCP_ENV to e.g. production, or unset it.',
      },
    );
  }
  if (environment === 'production') {
    applyLayer(current, sources, [{ section: 'logging', key: 'level', value: 'warn', source: 'env:NMCP_ENV' }]);
  }

  let file: string | undefined;
  if (options.file !== undefined) {
    file = resolvePath(cwd, options.file);
    const source: ConfigSource = `file:${options.file}`;
    applyLayer(current, sources, await readFileEntries(file, `--config ${JSON.stringify(options.file)}`, source));
  } else if (environment !== undefined) {
    const relative = `config/${environment}.json`;
    file = resolvePath(cwd, relative);
    const source: ConfigSource = `file:${relative}`;
    applyLayer(current, sources, await readFileEntries(file, `${relative} (NMCP_ENV=${environment})`, source));
  }

  const types: Record<string, Readonly<Record<string, EnvValueType>>> = {};
  for (const name of CONFIG_SECTION_NAMES) types[name] = SECTIONS[name].types;
  const envEntries = readEnvEntries(env, types).map((e): LayerEntry => {
    const dot = e.path.indexOf('.');
    return { section: e.path.slice(0, dot), key: e.path.slice(dot + 1), value: e.value, source: `env:${e.variable}` };
  });
  applyLayer(current, sources, envEntries);

  applyLayer(
    current,
    sources,
    overrides.map((o): LayerEntry => {
      const dot = o.key.indexOf('.');
      return { section: o.key.slice(0, dot), key: o.key.slice(dot + 1), value: o.value, source: `flag:${o.flag}` };
    }),
  );

  return deepFreeze({
    config: current as unknown as NmcpConfig,
    sources,
    file,
    environment,
  });
}

/** The NMCP_* variable of a key path: configEnvVar('tcp.maxConnections') === 'NMCP_TCP_MAX_CONNECTIONS'. */
export function configEnvVar(path: string): string {
  const dot = path.indexOf('.');
  return envVarName(path.slice(0, dot), path.slice(dot + 1));
}

/** Every key path of `config` (sorted by section, then as the section lists them) whose value differs from `prev`'s. */
export function diffConfig(prev: NmcpConfig, next: NmcpConfig): string[] {
  const changed: string[] = [];
  for (const section of CONFIG_SECTION_NAMES) {
    const a = prev[section] as Readonly<Record<string, unknown>>;
    const b = next[section] as Readonly<Record<string, unknown>>;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) changed.push(`${section}.${key}`);
    }
  }
  return changed;
}

/** `--print-config`'s JSON: the effective config and where each value came from. */
export function formatConfig(loaded: LoadedConfig): string {
  const out = {
    config: loaded.config,
    sources: loaded.sources,
    file: loaded.file ?? null,
    environment: loaded.environment ?? null,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
