/** loadConfig: defaults < file (--config or config/<NMCP_ENV>.json) < NMCP_* < flags, with sources; validation errors. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { envVarName, upperSnake } from '../../src/config/env.js';
import {
  CONFIG_SECTION_NAMES,
  configEnvVar,
  DEFAULT_NMCP_CONFIG,
  diffConfig,
  loadConfig,
} from '../../src/config/runtime-config.js';
import { NmcpError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nmcp-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function loadError(options: Parameters<typeof loadConfig>[0]): Promise<NmcpError> {
  try {
    await loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe('NMCP_ERR_INVALID_OPTION');
    return err as NmcpError;
  }
  throw new Error('loadConfig did not fail');
}

describe('DEFAULT_NMCP_CONFIG', () => {
  it("holds the seed's values, frozen", () => {
    expect(DEFAULT_NMCP_CONFIG.logging.level).toBe('info');
    expect(DEFAULT_NMCP_CONFIG.metrics).toEqual({ enableMetrics: true, metricsIntervalMs: 5000, port: 0 });
    expect(DEFAULT_NMCP_CONFIG.memory).toEqual({
      memoryCheckIntervalMs: 1000,
      memoryWarningBytes: 1024 ** 3,
      memoryShedBytes: 0,
    });
    expect(DEFAULT_NMCP_CONFIG.registry).toEqual({
      enableRouteCache: true,
      cacheTtlMs: 30_000,
      maxCacheEntries: 10_000,
      enableStatsCollection: true,
    });
    expect(DEFAULT_NMCP_CONFIG.tcp.maxConnections).toBe(10_000);
    expect(DEFAULT_NMCP_CONFIG.tcp.backlog).toBe(4096);
    expect(DEFAULT_NMCP_CONFIG.stdio.bufferSize).toBe(131_072);
    expect(DEFAULT_NMCP_CONFIG.http.path).toBe('/mcp');
    expect(Object.isFrozen(DEFAULT_NMCP_CONFIG)).toBe(true);
    for (const section of CONFIG_SECTION_NAMES) expect(Object.isFrozen(DEFAULT_NMCP_CONFIG[section])).toBe(true);
  });
});

describe('loadConfig precedence', () => {
  it('defaults < file < env < flag, each value with its source', async () => {
    const path = file('layers.json', {
      logging: { level: 'debug' },
      metrics: { metricsIntervalMs: 1000, port: 9100 },
      tcp: { maxConnections: 500, backlog: 128, framing: 'ndjson' },
    });
    const {
      config,
      sources,
      file: read,
    } = await loadConfig({
      file: path,
      env: {
        NMCP_METRICS_METRICS_INTERVAL_MS: '2000',
        NMCP_TCP_MAX_CONNECTIONS: '600',
        NMCP_REGISTRY_ENABLE_ROUTE_CACHE: 'false',
      },
      overrides: [{ key: 'tcp.maxConnections', value: 700, flag: '--max-connections' }],
    });
    expect(read).toBe(path);
    expect(config.logging.level).toBe('debug');
    expect(sources['logging.level']).toBe(`file:${path}`);
    expect(config.metrics.metricsIntervalMs).toBe(2000);
    expect(sources['metrics.metricsIntervalMs']).toBe('env:NMCP_METRICS_METRICS_INTERVAL_MS');
    expect(config.metrics.port).toBe(9100);
    expect(sources['metrics.port']).toBe(`file:${path}`);
    expect(config.tcp.maxConnections).toBe(700);
    expect(sources['tcp.maxConnections']).toBe('flag:--max-connections');
    expect(config.tcp.backlog).toBe(128);
    expect(config.tcp.framing).toBe('ndjson');
    expect(config.registry.enableRouteCache).toBe(false);
    expect(sources['registry.enableRouteCache']).toBe('env:NMCP_REGISTRY_ENABLE_ROUTE_CACHE');
    expect(config.memory.memoryWarningBytes).toBe(1024 ** 3);
    expect(sources['memory.memoryWarningBytes']).toBe('default');
    // Every key has a source.
    for (const section of CONFIG_SECTION_NAMES) {
      for (const key of Object.keys(config[section])) expect(sources[`${section}.${key}`]).toBeDefined();
    }
    expect(Object.isFrozen(config.tcp)).toBe(true);
  });

  it('no file, no env: the defaults, all from "default"', async () => {
    const { config, sources, file: read, environment } = await loadConfig({ env: {} });
    expect(config).toEqual(DEFAULT_NMCP_CONFIG);
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
    expect(read).toBeUndefined();
    expect(environment).toBeUndefined();
  });

  it('NMCP_ENV=production: config/production.json from the cwd, and logging.level defaults to warn', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'production.json'), JSON.stringify({ tcp: { maxConnections: 2000 } }));
    const { config, sources, file: read, environment } = await loadConfig({ env: { NMCP_ENV: 'production' }, cwd });
    expect(environment).toBe('production');
    expect(read).toBe(join(cwd, 'config', 'production.json'));
    expect(config.logging.level).toBe('warn');
    expect(sources['logging.level']).toBe('env:NMCP_ENV');
    expect(config.tcp.maxConnections).toBe(2000);
    expect(sources['tcp.maxConnections']).toBe('file:config/production.json');
    // The file and NMCP_LOGGING_LEVEL still win over the production default.
    const debug = await loadConfig({ env: { NMCP_ENV: 'production', NMCP_LOGGING_LEVEL: 'debug' }, cwd });
    expect(debug.config.logging.level).toBe('debug');
    // --config wins over config/<NMCP_ENV>.json; production still means warn.
    const other = await loadConfig({ env: { NMCP_ENV: 'production' }, cwd, file: file('other.json', {}) });
    expect(other.config.tcp.maxConnections).toBe(10_000);
    expect(other.config.logging.level).toBe('warn');
    // A missing environment file is an error naming it.
    const missing = await loadError({ env: { NMCP_ENV: 'staging' }, cwd });
    expect(missing.message).toMatch(/cannot read config\/staging\.json \(NMCP_ENV=staging\)/);
    const bad = await loadError({ env: { NMCP_ENV: '../etc' }, cwd });
    expect(bad.message).toMatch(/NMCP_ENV must be an environment name/);
  });

  it('the current `nmcp serve --config` format (stdio/tcp/http sections) still loads', async () => {
    const path = file('transports.json', {
      stdio: { readTimeoutMs: 10_000 },
      tcp: { maxConnections: 500 },
      http: { sessionIdleTimeoutMs: 60_000, allowedHosts: ['example.com'], host: '0.0.0.0' },
    });
    const { config } = await loadConfig({ file: path, env: {} });
    expect(config.stdio.readTimeoutMs).toBe(10_000);
    expect(config.tcp.maxConnections).toBe(500);
    expect(config.http.sessionIdleTimeoutMs).toBe(60_000);
    expect(config.http.allowedHosts).toEqual(['example.com']);
    expect(config.http.host).toBe('0.0.0.0');
  });

  it('the example environment files config/production.json and config/development.json pass validation', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const prod = await loadConfig({ env: { NMCP_ENV: 'production' }, cwd: root });
    expect(prod.config.logging.level).toBe('warn');
    expect(prod.file).toBe(join(root, 'config', 'production.json'));
    const dev = await loadConfig({ env: { NMCP_ENV: 'development' }, cwd: root });
    expect(dev.config.logging.level).toBe('debug');
  });
});

describe('NMCP_* variables', () => {
  it('are the upper snake case of the key', () => {
    expect(upperSnake('metricsIntervalMs')).toBe('METRICS_INTERVAL_MS');
    expect(envVarName('metrics', 'metricsIntervalMs')).toBe('NMCP_METRICS_METRICS_INTERVAL_MS');
    expect(configEnvVar('tcp.maxConnections')).toBe('NMCP_TCP_MAX_CONNECTIONS');
    expect(configEnvVar('http.http2')).toBe('NMCP_HTTP_HTTP2');
    expect(configEnvVar('tcp.keepAliveIntervalMs')).toBe('NMCP_TCP_KEEP_ALIVE_INTERVAL_MS');
  });

  it('parse numbers, booleans, strings and lists', async () => {
    const { config, sources } = await loadConfig({
      env: {
        NMCP_TCP_SEND_BUFFER_SIZE: '262144',
        NMCP_TCP_NO_DELAY: 'false',
        NMCP_METRICS_ENABLE_METRICS: '0',
        NMCP_STDIO_BATCH_MESSAGES: 'yes',
        NMCP_HTTP_PATH: '/rpc',
        NMCP_HTTP_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
        NMCP_MEMORY_MEMORY_SHED_BYTES: '2e9',
        NMCP_LOGGING_LEVEL: '',
        NMCP_NATIVE: '0',
      },
    });
    expect(config.tcp.sendBufferSize).toBe(262_144);
    expect(config.tcp.noDelay).toBe(false);
    expect(config.metrics.enableMetrics).toBe(false);
    expect(config.stdio.batchMessages).toBe(true);
    expect(config.http.path).toBe('/rpc');
    expect(config.http.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.memory.memoryShedBytes).toBe(2e9);
    expect(sources['http.allowedOrigins']).toBe('env:NMCP_HTTP_ALLOWED_ORIGINS');
    // An empty variable is unset; other NMCP_* variables (NMCP_NATIVE) are not config.
    expect(config.logging.level).toBe('info');
  });

  it('an unparsable value is an error naming the variable, the key and the value', async () => {
    const n = await loadError({ env: { NMCP_TCP_MAX_CONNECTIONS: 'lots' } });
    expect(n.message).toBe(
      'NMCP_TCP_MAX_CONNECTIONS must be a number such as 1000 (it sets tcp.maxConnections), got "lots"',
    );
    expect(n.details).toMatchObject({
      key: 'tcp.maxConnections',
      value: 'lots',
      source: 'env:NMCP_TCP_MAX_CONNECTIONS',
    });
    const b = await loadError({ env: { NMCP_TCP_NO_DELAY: 'maybe' } });
    expect(b.message).toMatch(/NMCP_TCP_NO_DELAY must be true or false .*tcp\.noDelay.*"maybe"/);
    const typo = await loadError({ env: { NMCP_TCP_MAX_CONNECTIONZ: '5' } });
    expect(typo.message).toMatch(
      /NMCP_TCP_MAX_CONNECTIONZ names no option of the tcp section .*NMCP_TCP_MAX_CONNECTIONS/,
    );
  });
});

describe('validation errors name the key path, the value, what is allowed and the source', () => {
  const cases: [string, Parameters<typeof loadConfig>[0] | (() => Parameters<typeof loadConfig>[0]), RegExp, string][] =
    [
      [
        'out of range, from the environment',
        { env: { NMCP_METRICS_METRICS_INTERVAL_MS: '5' } },
        /^metrics\.metricsIntervalMs must be an integer from 100 to 3600000 \(milliseconds\), got 5 \(from the environment variable NMCP_METRICS_METRICS_INTERVAL_MS\)$/,
        'env:NMCP_METRICS_METRICS_INTERVAL_MS',
      ],
      [
        'wrong type, from a file',
        () => ({ file: file('type.json', { registry: { cacheTtlMs: '30s' } }), env: {} }),
        /^registry\.cacheTtlMs must be a number, got "30s" \(from the file ".*type\.json"\)$/,
        'file:',
      ],
      [
        'unknown key, from a file',
        () => ({ file: file('key.json', { tcp: { maxConnectionz: 5 } }), env: {} }),
        /^tcp\.maxConnectionz is not a known option \(got 5; known: .*maxConnections.*\) \(from the file ".*key\.json"\)$/,
        'file:',
      ],
      [
        'unknown section, from a file',
        () => ({ file: file('section.json', { websocket: {} }), env: {} }),
        /unknown section "websocket" \(known: logging, metrics, memory, cluster, registry, stdio, tcp, http\)/,
        'file:',
      ],
      [
        'not one of the levels, from a file',
        () => ({ file: file('level.json', { logging: { level: 'warning' } }), env: {} }),
        /^logging\.level must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "warning"/,
        'file:',
      ],
      [
        'a transport key checked by the transport (tcp), from a flag',
        { env: {}, overrides: [{ key: 'tcp.keepAliveProbes', value: 500, flag: '--keepalive-probes' }] },
        /^tcp\.keepAliveProbes must be an integer from 1 to 127 \(probes\), got 500 \(from the flag --keepalive-probes\)$/,
        'flag:--keepalive-probes',
      ],
      [
        'a transport key checked by the transport (http path)',
        { env: { NMCP_HTTP_PATH: 'mcp' } },
        /^http\.path must start with "\/", got "mcp" \(from the environment variable NMCP_HTTP_PATH\)$/,
        'env:NMCP_HTTP_PATH',
      ],
      [
        'a transport key checked by the transport (stdio)',
        () => ({ file: file('stdio.json', { stdio: { bufferSize: 10 } }), env: {} }),
        /^stdio\.bufferSize must be an integer from 1024 to 67108864 \(bytes\), got 10/,
        'file:',
      ],
      [
        'http lists',
        () => ({ file: file('hosts.json', { http: { allowedHosts: 'example.com' } }), env: {} }),
        /^http\.allowedHosts must be an array of non-empty strings/,
        'file:',
      ],
      [
        'a writeTimeoutMs over TCP',
        () => ({ file: file('wt.json', { tcp: { writeTimeoutMs: 1000 } }), env: {} }),
        /over TCP it is called sendTimeoutMs/,
        'file:',
      ],
    ];
  for (const [name, options, message, source] of cases) {
    it(name, async () => {
      const err = await loadError(typeof options === 'function' ? options() : options);
      expect(err.message).toMatch(message);
      expect(String(err.details.source)).toContain(source);
      expect(typeof err.details.fix).toBe('string');
    });
  }

  it('a file that is not JSON, or not an object, or missing', async () => {
    expect((await loadError({ file: file('bad.json', '{ nope'), env: {} })).message).toMatch(/is not valid JSON/);
    expect((await loadError({ file: file('array.json', []), env: {} })).message).toMatch(/must hold a JSON object/);
    expect((await loadError({ file: join(dir, 'none.json'), env: {} })).message).toMatch(/cannot read --config/);
    const section = await loadError({ file: file('num.json', { tcp: 5 }), env: {} });
    expect(section.message).toMatch(/section "tcp" must be an object of options, got 5/);
  });
});

describe('diffConfig', () => {
  it('lists the changed key paths', async () => {
    const next = await loadConfig({ env: { NMCP_TCP_MAX_CONNECTIONS: '5', NMCP_LOGGING_LEVEL: 'debug' } });
    expect(diffConfig(DEFAULT_NMCP_CONFIG, next.config)).toEqual(['logging.level', 'tcp.maxConnections']);
    expect(diffConfig(next.config, next.config)).toEqual([]);
  });
});
