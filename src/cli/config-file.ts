/**
 * `--config FILE` of `nmcp serve`: a JSON object with sections of NmcpConfig (src/config/runtime-config.ts; the
 * transport sections are the transports' own options):
 *
 *   { "logging": { "level": "warn" }, "stdio": { "readTimeoutMs": 10000 }, "tcp": { "maxConnections": 500 },
 *     "http": { "sessionIdleTimeoutMs": 60000 } }
 *
 * loadConfig reads it for `nmcp serve` (with NMCP_ENV, NMCP_* variables and flags on top). This file holds what is
 * particular to `nmcp serve`: which flag sets which key (serveOverrides), and the live reload of a running server
 * (startLiveReload: SIGHUP or a change of the file). loadServeConfig reads the transport sections alone, for
 * `nmcp bench --config` (whose files are handed to `nmcp serve --config`).
 */

import type { NmcpLogger } from '../config/logger.js';
import { type ApplyConfig, type ApplyOutcome, ConfigReloader, watchConfigFile } from '../config/reload.js';
import type { ConfigOverride, LoadedConfig, NmcpConfig } from '../config/runtime-config.js';
import { NmcpError } from '../errors.js';
import { isJsonObject, readConfigJson } from './args.js';

export const CONFIG_SECTIONS = ['stdio', 'tcp', 'http'] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];
export type ServeConfig = { [K in ConfigSection]?: Record<string, unknown> };

/** Reads and checks a config file; returns the config, or a message saying what is wrong and where. */
export async function loadServeConfig(path: string): Promise<ServeConfig | string> {
  const read = await readConfigJson(path);
  if ('problem' in read) return read.problem;
  const value = read.value;
  if (!isJsonObject(value)) {
    return `--config ${JSON.stringify(path)} must hold a JSON object with sections ${CONFIG_SECTIONS.join(', ')}`;
  }
  const config: ServeConfig = {};
  for (const [key, section] of Object.entries(value)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      return `--config ${JSON.stringify(path)}: unknown section ${JSON.stringify(key)} (known: ${CONFIG_SECTIONS.join(', ')})`;
    }
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      return `--config ${JSON.stringify(path)}: section ${JSON.stringify(key)} must be an object of options`;
    }
    config[key as ConfigSection] = section as Record<string, unknown>;
  }
  return config;
}

/** The transport `nmcp serve` serves; unix uses the tcp section. */
export type ServeKind = 'stdio' | 'tcp' | 'unix' | 'http';

/** The flags of `nmcp serve` that set config keys (parsed and checked by serve's own flag checks first). */
export interface ServeFlagValues {
  metricsPort?: number;
  processes?: number;
  maxMessageSize?: number;
  port?: number;
  host?: string;
  framing?: 'ndjson' | 'length-prefixed';
  http2?: boolean;
}

/** The section `kind` reads. */
export function sectionOfKind(kind: ServeKind): 'stdio' | 'tcp' | 'http' {
  return kind === 'unix' ? 'tcp' : kind;
}

/** Which key each flag sets, for loadConfig's overrides (so `--print-config` shows `flag:--framing`). */
export function serveOverrides(kind: ServeKind | undefined, flags: ServeFlagValues): ConfigOverride[] {
  const out: ConfigOverride[] = [];
  if (flags.metricsPort !== undefined) {
    out.push({ key: 'metrics.port', value: flags.metricsPort, flag: '--metrics-port' });
  }
  if (kind === undefined) return out;
  if (flags.processes !== undefined) {
    out.push({ key: 'cluster.processes', value: flags.processes, flag: '--processes' });
  }
  const section = sectionOfKind(kind);
  if (flags.maxMessageSize !== undefined) {
    out.push({ key: `${section}.maxMessageSize`, value: flags.maxMessageSize, flag: '--max-message-size' });
  }
  if (flags.framing !== undefined && section === 'tcp') {
    out.push({ key: 'tcp.framing', value: flags.framing, flag: '--framing' });
  }
  if (section === 'http') {
    if (flags.port !== undefined) out.push({ key: 'http.port', value: flags.port, flag: '--http' });
    if (flags.host !== undefined) out.push({ key: 'http.host', value: flags.host, flag: '--host' });
    if (flags.http2) out.push({ key: 'http.http2', value: true, flag: '--http2' });
  }
  return out;
}

/** What a live reload can change on a running `nmcp serve`. */
export interface LiveTargets {
  /** The TCP/Unix server (McpTcpServer.updateOptions). */
  tcp?: { updateOptions(update: Record<string, unknown>): unknown };
  /** The stdio transport (StreamTransport.updateOptions). */
  stdio?: { updateOptions(update: Record<string, unknown>): void };
  /** The memory monitor (its options change live; returns the keys it changed). */
  operations?: { update(next: NmcpConfig): string[] };
}

/** Keys fixed for the life of a server (McpTcpServer / StreamTransport refuse to change them live). */
const FIXED: Readonly<Record<string, readonly string[]>> = {
  tcp: ['framing', 'maxMessageSize', 'backlog'],
  stdio: ['framing', 'maxMessageSize'],
};

/**
 * The apply callback of `nmcp serve`: logging.level on the logger; the served transport's live keys through its
 * updateOptions (stdio, tcp/unix); its fixed keys (framing, maxMessageSize, backlog) and every http key (McpHttpServer
 * has no live update) need a restart; the other transports' sections, and metrics / memory / registry (nothing in
 * `nmcp serve` reads them yet), are unused.
 */
export function serveApply(kind: ServeKind, targets: LiveTargets, logger: NmcpLogger): ApplyConfig {
  const served = sectionOfKind(kind);
  return (next: NmcpConfig, _prev: NmcpConfig, changed: readonly string[]): ApplyOutcome => {
    const restartNeeded: string[] = [];
    const unused: string[] = [];
    const update: Record<string, unknown> = {};
    let level = false;
    for (const path of changed) {
      const dot = path.indexOf('.');
      const section = path.slice(0, dot);
      const key = path.slice(dot + 1);
      if (path === 'logging.level') level = true;
      else if (section === 'memory' && targets.operations)
        continue; // applied below, all keys at once
      else if (section === 'metrics' || section === 'cluster') restartNeeded.push(path);
      else if (section !== served) unused.push(path);
      else if (section === 'http' || FIXED[section]?.includes(key)) restartNeeded.push(path);
      else update[key] = (next[section as 'tcp' | 'stdio'] as Readonly<Record<string, unknown>>)[key];
    }
    if (Object.keys(update).length > 0) {
      // Both check every key before changing anything: a throw leaves the old options in force (the reload fails).
      if (served === 'tcp') targets.tcp?.updateOptions(update);
      else if (served === 'stdio') targets.stdio?.updateOptions(update);
    }
    // Checks every memory key before changing any: a bad one throws and the reload fails with the old config kept.
    targets.operations?.update(next);
    if (level) logger.level = next.logging.level;
    return { restartNeeded, unused };
  };
}

export interface LiveReloadOptions {
  readonly initial: LoadedConfig;
  /** loadConfig with the same file, environment and flags. */
  readonly load: () => Promise<LoadedConfig>;
  readonly kind: ServeKind;
  readonly targets: LiveTargets;
  readonly logger: NmcpLogger;
  /** Debounce of file changes, ms. Default 100. */
  readonly debounceMs?: number;
}

/**
 * Reloads the config of a running `nmcp serve` on SIGHUP and when its file changes, applies what it can live and logs
 * the outcome: `config reloaded` (info) with the keys applied, `config changes need a restart` (warn), or
 * `config reload failed` (error; the old config stays, the server keeps serving). Returns the reloader and a stop
 * function. Without a file (no --config, no NMCP_ENV) there is nothing to reload: SIGHUP keeps its default.
 */
export function startLiveReload(options: LiveReloadOptions): { reloader: ConfigReloader; stop: () => void } {
  const { initial, load, kind, targets, logger } = options;
  const reloader = new ConfigReloader(initial, { load, apply: serveApply(kind, targets, logger) });
  const file = initial.file;
  if (file === undefined) return { reloader, stop: () => {} };
  const reload = (trigger: 'SIGHUP' | 'file change') => {
    void reloader.reload().then((result) => {
      if (!result.ok) {
        const details = result.error instanceof NmcpError ? result.error.details : {};
        logger.error(
          { trigger, file, key: details.key, source: details.source, fix: details.fix },
          `config reload failed, the old config stays in force: ${result.error.message}`,
        );
        return;
      }
      const { applied, restartNeeded, unused } = result;
      logger.info({ trigger, file, applied, restartNeeded, unused }, 'config reloaded');
      if (restartNeeded.length > 0) {
        logger.warn({ keys: restartNeeded }, `config changes need a restart: ${restartNeeded.join(', ')}`);
      }
    });
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const unwatch = watchConfigFile(file, () => reload('file change'), options.debounceMs);
  return {
    reloader,
    stop: () => {
      process.off('SIGHUP', onHup);
      unwatch();
    },
  };
}
