/**
 * Profiling a running process (issue 7, point 4; the seed's fprof/eprof section done the Node way): CPU profiles via
 * the inspector's Profiler domain (the `.cpuprofile` JSON that `node --cpu-prof` writes and Chrome DevTools and
 * speedscope open), sampling heap profiles through HeapProfiler sampling (`.heapprofile`, what `node --heap-prof`
 * writes), full heap snapshots through `v8.writeHeapSnapshot` (`.heapsnapshot`), and a signal (SIGUSR2) that takes a
 * heap snapshot and a CPU profile of the next N ms of a live process.
 *
 * Files go to `options.dir`, else `NMCP_PROFILE_DIR`, else the working directory (created if missing), named as Node
 * names its own: `CPU.20261127.063400.4242.0.001.cpuprofile` (date, time, pid, thread 0, sequence number).
 *
 * One CPU profile (and one sampling heap profile) at a time per process: a second start while one runs is refused with
 * NMCP_ERR_INVALID_STATE. Nothing here writes to stdout: over stdio, stdout is the protocol.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { writeHeapSnapshot as v8WriteHeapSnapshot } from 'node:v8';
import { ErrorCode, NmcpError } from '../errors.js';

/** Where profiles go; see {@link profileDir}. */
export interface ProfileFileOptions {
  /** The directory to write into (created if missing). Default: `NMCP_PROFILE_DIR`, else `process.cwd()`. */
  dir?: string;
}

export interface CpuProfileOptions extends ProfileFileOptions {
  /** Microseconds between samples (default 1000, as `node --cpu-prof-interval`). */
  samplingIntervalUs?: number;
}

export interface HeapProfileOptions extends ProfileFileOptions {
  /** Average bytes allocated between samples (default 524288, as `node --heap-prof-interval`). */
  samplingIntervalBytes?: number;
}

/** A running profile: `stop()` ends it, writes the file and resolves with its path (the same promise on every call). */
export interface ProfileHandle {
  /** The directory the file will be written to. */
  readonly dir: string;
  /** When the profile started (Date.now()). */
  readonly startedAt: number;
  stop(): Promise<string>;
}

export interface ProfilingSignalOptions {
  /** The signal to listen for (default SIGUSR2; SIGUSR1 is Node's debugger signal). */
  signal?: NodeJS.Signals;
  /** Length of the CPU profile taken after the heap snapshot (default 10,000 ms). */
  cpuMs?: number;
  /** false: the signal writes the heap snapshot only (a whole-run CPU profile, --cpu-prof, runs). Default true. */
  cpu?: boolean;
  /** Where the files go (default: `NMCP_PROFILE_DIR`, else the working directory). */
  dir?: string;
  /** One line per event (paths written, a signal ignored, a failure). Default: stderr. Never stdout. */
  log?: (line: string) => void;
}

/** What `nmcp serve` asks for: `--cpu-prof`, `--heap-prof`, `--profile-dir`, and the SIGUSR2 trigger. */
export interface ProcessProfilingOptions {
  /** A CPU profile from now until `stop()` (`--cpu-prof`). */
  cpuProf?: boolean;
  /** A sampling heap profile from now until `stop()` (`--heap-prof`). */
  heapProf?: boolean;
  dir?: string;
  /** The signal for a heap snapshot + CPU profile of the next `cpuMs` (default SIGUSR2; snapshot only with cpuProf). */
  signal?: NodeJS.Signals;
  /** Default: `NMCP_PROFILE_CPU_MS`, else 10,000. */
  cpuMs?: number;
  log?: (line: string) => void;
}

export interface ProcessProfiling {
  /** Removes the signal listener, ends the profiles (a signal's early), writes them, logs the paths. Never rejects. */
  stop(): Promise<void>;
}

export const DEFAULT_PROFILE_CPU_MS = 10_000;

let sequence = 0;

/** Where profiles go: `dir`, else `NMCP_PROFILE_DIR` (when set and not empty), else the working directory. */
export function profileDir(dir?: string): string {
  const env = process.env.NMCP_PROFILE_DIR;
  return resolve(dir ?? (env !== undefined && env !== '' ? env : process.cwd()));
}

/** `CPU.20261127.063400.4242.0.001.cpuprofile`: Node's own naming (local date and time, pid, thread, sequence). */
function fileName(prefix: 'CPU' | 'Heap', extension: string): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
  const time = `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  sequence += 1;
  return `${prefix}.${date}.${time}.${process.pid}.0.${p(sequence, 3)}.${extension}`;
}

function prepareDir(dir: string | undefined): string {
  const target = profileDir(dir);
  mkdirSync(target, { recursive: true });
  return target;
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${name} must be a whole number ≥ 1, got ${String(value)}`, {
      option: name,
      value,
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One kind of inspector profile: how to start it, how to stop it and get its JSON, where it goes. */
interface ProfileKind {
  /** 'a CPU profile', 'a sampling heap profile': for the error when one runs already. */
  readonly what: string;
  readonly prefix: 'CPU' | 'Heap';
  readonly extension: 'cpuprofile' | 'heapprofile';
  start(session: Session): Promise<void>;
  stop(session: Session): Promise<unknown>;
}

/** The kinds running now (one of each at a time per process: V8 has one profiler of each). */
const running = new Set<ProfileKind['prefix']>();

/** Starts an inspector profile of `kind` in a session of its own; its handle writes the file once, on stop(). */
async function startProfile(kind: ProfileKind, dirOption: string | undefined): Promise<ProfileHandle> {
  if (running.has(kind.prefix)) {
    throw new NmcpError(
      ErrorCode.INVALID_STATE,
      `${kind.what} is already running in this process; stop it first (one at a time)`,
    );
  }
  running.add(kind.prefix);
  const session = new Session();
  let dir: string;
  try {
    dir = prepareDir(dirOption);
    session.connect();
    await kind.start(session);
  } catch (err) {
    session.disconnect();
    running.delete(kind.prefix);
    throw err;
  }
  const startedAt = Date.now();
  let stopped: Promise<string> | undefined;
  const finish = async (): Promise<string> => {
    try {
      const profile = await kind.stop(session);
      const path = join(dir, fileName(kind.prefix, kind.extension));
      await writeFile(path, JSON.stringify(profile));
      return path;
    } finally {
      session.disconnect();
      running.delete(kind.prefix);
    }
  };
  return {
    dir,
    startedAt,
    stop: () => {
      stopped ??= finish();
      return stopped;
    },
  };
}

/**
 * Starts a CPU profile of the whole process. Rejects with NMCP_ERR_INVALID_STATE while another one (started here)
 * runs, NMCP_ERR_INVALID_OPTION for a bad option.
 */
export async function startCpuProfile(options: CpuProfileOptions = {}): Promise<ProfileHandle> {
  positiveInteger('samplingIntervalUs', options.samplingIntervalUs);
  return startProfile(
    {
      what: 'a CPU profile',
      prefix: 'CPU',
      extension: 'cpuprofile',
      start: async (session) => {
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: options.samplingIntervalUs ?? 1000 });
        await session.post('Profiler.start');
      },
      stop: async (session) => (await session.post('Profiler.stop')).profile,
    },
    options.dir,
  );
}

/** A CPU profile of the next `ms` milliseconds; resolves with the `.cpuprofile`'s path. */
export async function profileCpuFor(ms: number, options: CpuProfileOptions = {}): Promise<string> {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `the profile length must be a number of ms ≥ 0, got ${ms}`, {
      option: 'ms',
      value: ms,
    });
  }
  const handle = await startCpuProfile(options);
  await new Promise((r) => setTimeout(r, ms));
  return handle.stop();
}

/**
 * Starts a sampling heap profile (allocations still live when it stops, by stack; what `node --heap-prof` writes).
 * Rejects with NMCP_ERR_INVALID_STATE while another one (started here) runs.
 */
export async function startHeapProfile(options: HeapProfileOptions = {}): Promise<ProfileHandle> {
  positiveInteger('samplingIntervalBytes', options.samplingIntervalBytes);
  return startProfile(
    {
      what: 'a sampling heap profile',
      prefix: 'Heap',
      extension: 'heapprofile',
      start: async (session) => {
        await session.post('HeapProfiler.enable');
        await session.post('HeapProfiler.startSampling', {
          samplingInterval: options.samplingIntervalBytes ?? 512 * 1024,
        });
      },
      stop: async (session) => (await session.post('HeapProfiler.stopSampling')).profile,
    },
    options.dir,
  );
}

/**
 * Writes a full heap snapshot (`.heapsnapshot`) and returns its path. Synchronous: the process stops while V8 walks the
 * heap (about a second per few hundred MB) and the snapshot can need as much memory again as the heap.
 */
export function writeHeapSnapshot(options: ProfileFileOptions = {}): string {
  const dir = prepareDir(options.dir);
  return v8WriteHeapSnapshot(join(dir, fileName('Heap', 'heapsnapshot')));
}

/**
 * On `signal` (default SIGUSR2): writes a heap snapshot, then a CPU profile of the next `cpuMs` ms; logs both paths.
 * A signal that arrives while that runs is ignored (logged). Failures are logged, never thrown: profiling does not end
 * the process. Returns the uninstall function: it removes the listener and, if a CPU profile runs, ends it early and
 * writes it; its promise resolves when that is done (never rejects).
 */
export function installProfilingSignal(options: ProfilingSignalOptions = {}): () => Promise<void> {
  const signal = options.signal ?? 'SIGUSR2';
  const cpuMs = options.cpuMs ?? DEFAULT_PROFILE_CPU_MS;
  if (!Number.isFinite(cpuMs) || cpuMs < 0) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `cpuMs must be a number of ms ≥ 0, got ${cpuMs}`, {
      option: 'cpuMs',
      value: cpuMs,
    });
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const say = (line: string) => {
    try {
      log(line);
    } catch {
      // A failing logger must not end the process either.
    }
  };
  const cpu = options.cpu ?? true;
  let cycle: Promise<void> | undefined;
  let finishNow: (() => void) | undefined;
  let uninstalled = false;

  const run = async (): Promise<void> => {
    say(
      cpu
        ? `${signal}: writing a heap snapshot, then a CPU profile of the next ${cpuMs} ms`
        : `${signal}: writing a heap snapshot (the whole-run CPU profile is written at exit)`,
    );
    try {
      say(`heap snapshot written to ${writeHeapSnapshot({ dir: options.dir })}`);
    } catch (err) {
      say(`heap snapshot failed: ${describe(err)}`);
    }
    if (!cpu || uninstalled) return;
    let handle: ProfileHandle;
    try {
      handle = await startCpuProfile({ dir: options.dir });
    } catch (err) {
      say(`CPU profile not taken: ${describe(err)}`);
      return;
    }
    await new Promise<void>((done) => {
      const timer = setTimeout(done, cpuMs);
      finishNow = () => {
        clearTimeout(timer);
        done();
      };
      if (uninstalled) finishNow();
    });
    finishNow = undefined;
    try {
      say(`CPU profile written to ${await handle.stop()}`);
    } catch (err) {
      say(`CPU profile failed: ${describe(err)}`);
    }
  };

  const onSignal = () => {
    if (cycle) {
      say(`${signal} ignored: a profile is already being taken`);
      return;
    }
    cycle = run()
      .catch((err: unknown) => say(`profiling failed: ${describe(err)}`))
      .finally(() => {
        cycle = undefined;
      });
  };
  try {
    process.on(signal, onSignal);
  } catch (err) {
    // A signal this platform cannot listen for (libuv refuses it): no trigger, but the process goes on.
    say(`${signal} cannot trigger profiling here: ${describe(err)}`);
    uninstalled = true;
  }

  return async () => {
    if (uninstalled) return;
    uninstalled = true;
    process.off(signal, onSignal);
    finishNow?.();
    await cycle;
  };
}

/** NMCP_PROFILE_CPU_MS: undefined when unset or empty, the length in ms, or what is wrong with it. */
export function profileCpuMsFromEnv(text: string | undefined): number | undefined | string {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    return `NMCP_PROFILE_CPU_MS must be a whole number of milliseconds ≥ 1, got ${JSON.stringify(text)}`;
  }
  return Number(text);
}

/**
 * What `nmcp serve` runs: the signal trigger always, a CPU profile (`cpuProf`) and a sampling heap profile (`heapProf`)
 * from now until `stop()`. Rejects (before anything started) when NMCP_PROFILE_CPU_MS is malformed or a profile cannot
 * start; `stop()` never rejects, it logs.
 */
export async function installProcessProfiling(options: ProcessProfilingOptions = {}): Promise<ProcessProfiling> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let cpuMs = options.cpuMs;
  if (cpuMs === undefined) {
    const fromEnv = profileCpuMsFromEnv(process.env.NMCP_PROFILE_CPU_MS);
    if (typeof fromEnv === 'string') {
      throw new NmcpError(ErrorCode.INVALID_OPTION, fromEnv, { option: 'NMCP_PROFILE_CPU_MS' });
    }
    cpuMs = fromEnv;
  }
  const dir = options.dir;
  const handles: { what: string; handle: ProfileHandle }[] = [];
  const stopAll = async () => {
    for (const { what, handle } of handles.splice(0)) {
      try {
        log(`${what} written to ${await handle.stop()}`);
      } catch (err) {
        log(`${what} failed: ${describe(err)}`);
      }
    }
  };
  try {
    if (options.cpuProf) handles.push({ what: 'CPU profile', handle: await startCpuProfile({ dir }) });
    if (options.heapProf) handles.push({ what: 'heap profile', handle: await startHeapProfile({ dir }) });
  } catch (err) {
    await stopAll();
    throw err;
  }
  const uninstall = installProfilingSignal({
    ...(options.signal ? { signal: options.signal } : {}),
    ...(cpuMs === undefined ? {} : { cpuMs }),
    ...(dir === undefined ? {} : { dir }),
    cpu: !options.cpuProf,
    log,
  });
  let stopped: Promise<void> | undefined;
  return {
    stop: () => {
      stopped ??= (async () => {
        await uninstall();
        await stopAll();
      })();
      return stopped;
    },
  };
}
