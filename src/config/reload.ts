/**
 * Live reload of NmcpConfig: ConfigReloader holds the config in force, re-loads it on request (SIGHUP, a change of the
 * file: watchConfigFile), and hands what changed to an `apply(next, prev, changed)` callback that applies each key it
 * can live and names the ones that need a restart. An invalid config changes nothing: the old one stays in force.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type ConfigSource, diffConfig, type LoadedConfig, type NmcpConfig } from './runtime-config.js';

/** What an apply callback reports: changed keys it could not apply live, and changed keys nothing here uses. */
export interface ApplyOutcome {
  /** Key paths that take effect only after a restart (their old values stay in force and in `config`). */
  readonly restartNeeded?: readonly string[];
  /** Key paths that nothing in this process reads (stdio.* on a TCP server): kept in `config`, no effect now. */
  readonly unused?: readonly string[];
}

/**
 * Applies `next` to the running components. `changed` lists the key paths whose value differs from `prev`. Throwing
 * fails the reload (the old config stays current); the callback should check before it changes anything.
 */
export type ApplyConfig = (
  next: NmcpConfig,
  prev: NmcpConfig,
  changed: readonly string[],
) => ApplyOutcome | undefined | Promise<ApplyOutcome | undefined>;

export type ReloadResult =
  | {
      readonly ok: true;
      /** Key paths applied live. */
      readonly applied: readonly string[];
      /** Key paths that need a restart (still at their old values). */
      readonly restartNeeded: readonly string[];
      /** Key paths that changed but nothing in this process uses. */
      readonly unused: readonly string[];
      /** The config now in force. */
      readonly config: NmcpConfig;
    }
  | {
      readonly ok: false;
      /** Why the reload failed (an NMCP_ERR_INVALID_OPTION naming the key, or the apply callback's error). */
      readonly error: Error;
      /** The config still in force (the old one). */
      readonly config: NmcpConfig;
    };

export interface ConfigReloaderOptions {
  /** Loads the next config (loadConfig with the same file, environment and flags). */
  load: () => Promise<LoadedConfig>;
  apply: ApplyConfig;
}

/**
 * Holds the config in force and reloads it. Reloads never overlap: one requested while another runs waits for it, and
 * requests made meanwhile are merged into one.
 *
 *   const reloader = new ConfigReloader(await loadConfig(opts), { load: () => loadConfig(opts), apply });
 *   process.on('SIGHUP', () => void reloader.reload().then(log));
 */
export class ConfigReloader {
  #current: LoadedConfig;
  readonly #load: () => Promise<LoadedConfig>;
  readonly #apply: ApplyConfig;
  #running: Promise<ReloadResult> | undefined;
  #queued: Promise<ReloadResult> | undefined;

  constructor(initial: LoadedConfig, options: ConfigReloaderOptions) {
    this.#current = initial;
    this.#load = options.load;
    this.#apply = options.apply;
  }

  /** The config in force. */
  get config(): NmcpConfig {
    return this.#current.config;
  }

  /** The config in force with its sources. */
  get loaded(): LoadedConfig {
    return this.#current;
  }

  /** Loads the config again and applies what changed. Never rejects: a failure is `{ ok: false, error }`. */
  reload(): Promise<ReloadResult> {
    if (this.#running === undefined) {
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    if (this.#queued === undefined) {
      const after = this.#running;
      this.#queued = after.then(() => {
        this.#queued = undefined;
        return this.reload();
      });
    }
    return this.#queued;
  }

  /** Applies an already loaded config (what reload() does after loading). Never rejects. */
  async applyLoaded(next: LoadedConfig): Promise<ReloadResult> {
    const prev = this.#current;
    const changed = diffConfig(prev.config, next.config);
    let outcome: ApplyOutcome | undefined;
    try {
      outcome = changed.length === 0 ? undefined : await this.#apply(next.config, prev.config, changed);
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err : new Error(String(err)), config: prev.config };
    }
    const restartNeeded = changed.filter((k) => outcome?.restartNeeded?.includes(k));
    const unused = changed.filter((k) => !restartNeeded.includes(k) && outcome?.unused?.includes(k));
    const applied = changed.filter((k) => !restartNeeded.includes(k) && !unused.includes(k));
    this.#current = restartNeeded.length === 0 ? next : keepOld(next, prev, restartNeeded);
    return { ok: true, applied, restartNeeded, unused, config: this.#current.config };
  }

  async #run(): Promise<ReloadResult> {
    let next: LoadedConfig;
    try {
      next = await this.#load();
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err : new Error(String(err)), config: this.#current.config };
    }
    return this.applyLoaded(next);
  }
}

/** `next` with the values (and sources) of `keys` taken from `prev`: what is really in force after a partial apply. */
function keepOld(next: LoadedConfig, prev: LoadedConfig, keys: readonly string[]): LoadedConfig {
  const config: Record<string, Record<string, unknown>> = {};
  for (const [section, values] of Object.entries(next.config)) config[section] = { ...values };
  const sources: Record<string, ConfigSource> = { ...next.sources };
  for (const path of keys) {
    const dot = path.indexOf('.');
    const section = path.slice(0, dot);
    const key = path.slice(dot + 1);
    const target = config[section] as Record<string, unknown>;
    const old = (prev.config as unknown as Record<string, Record<string, unknown>>)[section]?.[key];
    if (old === undefined) delete target[key];
    else target[key] = old;
    const oldSource = prev.sources[path];
    if (oldSource === undefined) delete sources[path];
    else sources[path] = oldSource;
  }
  for (const section of Object.values(config)) Object.freeze(section);
  return Object.freeze({
    ...next,
    config: Object.freeze(config) as unknown as NmcpConfig,
    sources: Object.freeze(sources),
  });
}

/**
 * Calls `onChange` (debounced by `debounceMs`) when the file at `path` changes. Watches the directory, so an editor
 * that saves by writing a new file and renaming it over the old one is seen too. Returns a function that stops
 * watching. The watcher does not keep the process alive.
 */
export function watchConfigFile(path: string, onChange: () => void, debounceMs = 100): () => void {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename.toString() !== name) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        onChange();
      }, debounceMs);
      timer.unref();
    });
    watcher.on('error', () => {});
  } catch {
    // No watching on this file system (SIGHUP still reloads).
  }
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    watcher?.close();
  };
}
