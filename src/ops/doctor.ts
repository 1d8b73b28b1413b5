/**
 * `nmcp doctor`: the host and the process against the seed's OS and VM guidance, translated to Node and Linux
 * (docs/doctor.md says what each check means and why; docs/tuning.md maps the seed's flags). Each check is a small
 * pure function of DoctorInputs — file reads, environment, limits, V8 figures, the core — so tests inject them; the
 * real ones come from defaultDoctorInputs(). Read-only and root-free: a file that cannot be read is a `warn` that
 * says so, never a crash.
 *
 * `warn` is "below the guidance, nmcp still works"; `fail` is "nmcp will not run as configured". Only a contradiction
 * fails today: NMCP_REQUIRE_NATIVE=1 while the TypeScript twin serves.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { CoreInfo } from '../native/index.js';
import { BUFFER_SIZE_MAX } from './buffer-size.js';

export type DoctorStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable id (nofile, somaxconn, …): what scripts match on. */
  readonly id: string;
  /** What is checked, in words. */
  readonly title: string;
  readonly status: DoctorStatus;
  /** The value found ('unknown' when it could not be read). */
  readonly value: string;
  /** What nmcp recommends, and where the figure comes from. */
  readonly recommended: string;
  /** The exact command(s) that fix it, one per line; '' when the check is ok. */
  readonly fix: string;
  /** Why it matters, and anything found on the way (an unreadable file, where a flag came from). */
  readonly detail: string;
}

export interface DoctorSummary {
  readonly ok: number;
  readonly warn: number;
  readonly fail: number;
}

export interface DoctorReport {
  readonly checks: readonly DoctorCheck[];
  readonly summary: DoctorSummary;
}

/** Soft and hard limits; Infinity for "unlimited". */
export interface ResourceLimit {
  readonly soft: number;
  readonly hard: number;
}

/** Everything the checks read, injectable. */
export interface DoctorInputs {
  /** Reads a text file (a /proc path). Throws when it cannot: the check then warns, naming the file and the error. */
  readFile(path: string): string;
  /** The environment the server would start with (UV_THREADPOOL_SIZE, NMCP_*, NODE_OPTIONS). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The open-file limit (RLIMIT_NOFILE). Absent: parsed from readFile('/proc/self/limits'). */
  limits?(): ResourceLimit;
  /** CPUs this process may use (os.availableParallelism()). */
  readonly cpus: number;
  /** V8's heap limit, bytes (v8.getHeapStatistics().heap_size_limit). */
  readonly heapSizeLimit: number;
  /** process.execArgv (where --max-old-space-size may come from besides NODE_OPTIONS). */
  readonly execArgv: readonly string[];
  /** The active core, or the error loading it threw (NMCP_REQUIRE_NATIVE=1 with no addon). */
  readonly core: CoreInfo | Error;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The guidance, in one place (the seed's figures; docs/doctor.md). */
export const DOCTOR_THRESHOLDS = Object.freeze({
  openFiles: 65_536, // soft RLIMIT_NOFILE at least
  somaxconn: 4_096, // nmcp's TCP backlog default (the seed's backlog)
  tcpBufferMax: BUFFER_SIZE_MAX, // 16 MiB: the seed's buffer ceiling (recommendedBufferSize's clamp)
  netdevMaxBacklog: 5_000, // the seed's
  swappiness: 10, // at most; the seed sets 1
  threadpoolDefault: 4, // libuv's UV_THREADPOOL_SIZE when unset
  threadpoolMax: 1_024, // libuv's ceiling
  heapLimit: 1 * GiB, // at least: the seed's memory warning threshold (memoryWarningBytes)
});

const SYSCTL_FILE = '/etc/sysctl.d/90-nmcp.conf';
const LIMITS_FILE = '/proc/self/limits';

const n = (x: number): string => (x === Number.POSITIVE_INFINITY ? 'unlimited' : x.toLocaleString('en-US'));

/** 16777216 → "16,777,216 (16 MiB)"; non-multiples of 1 MiB in bytes only. */
function bytes(x: number): string {
  if (x >= MiB && x % MiB === 0) return `${n(x)} (${x / MiB} MiB)`;
  if (x >= KiB && x % KiB === 0) return `${n(x)} (${x / KiB} KiB)`;
  return n(x);
}

/** The sysctl key of a /proc/sys path: /proc/sys/net/core/somaxconn → net.core.somaxconn. */
function sysctlKey(path: string): string {
  return path.replace('/proc/sys/', '').replaceAll('/', '.');
}

/** Set now (root) and persist in /etc/sysctl.d. */
export function sysctlFix(key: string, value: string): string {
  const quoted = value.includes(' ') ? `"${value}"` : value;
  return [
    `sudo sysctl -w ${key}=${quoted}`,
    `echo '${key} = ${value}' | sudo tee -a ${SYSCTL_FILE}   # keep it across reboots`,
  ].join('\n');
}

function check(
  id: string,
  title: string,
  status: DoctorStatus,
  value: string,
  recommended: string,
  fix: string,
  detail: string,
): DoctorCheck {
  return { id, title, status, value, recommended, fix: status === 'ok' ? '' : fix, detail };
}

/** The warn of a check whose file could not be read. */
function unreadable(id: string, title: string, path: string, err: unknown, recommended: string): DoctorCheck {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return check(
    id,
    title,
    'warn',
    'unknown',
    recommended,
    path.startsWith('/proc/sys/') ? `sysctl ${sysctlKey(path)}   # read it by hand` : `cat ${path}`,
    `cannot read ${path} (${reason}): not Linux, /proc not mounted, or not allowed here; this check was skipped`,
  );
}

/** Reads /proc/sys/… as whole numbers (one, or several separated by whitespace); a thrown error or a non-number is returned. */
function readNumbers(inputs: DoctorInputs, path: string): number[] | Error {
  try {
    const text = inputs.readFile(path).trim();
    const values = text.split(/\s+/).map(Number);
    if (text === '' || values.some((v) => !Number.isInteger(v))) {
      return new Error(`unexpected content ${JSON.stringify(text.slice(0, 40))}`);
    }
    return values;
  } catch (err) {
    return err as Error;
  }
}

/** Parses the "Max open files" line of /proc/self/limits. */
export function parseOpenFileLimit(text: string): ResourceLimit | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const num = (s: string) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  const soft = num(m[1] as string);
  const hard = num(m[2] as string);
  return Number.isNaN(soft) || Number.isNaN(hard) ? undefined : { soft, hard };
}

export function checkOpenFiles(inputs: DoctorInputs): DoctorCheck {
  const id = 'nofile';
  const title = 'open-file limit (ulimit -n)';
  const want = DOCTOR_THRESHOLDS.openFiles;
  const recommended = `soft ≥ ${n(want)} (the seed sets 1,048,576)`;
  let limit: ResourceLimit | undefined;
  try {
    limit = inputs.limits ? inputs.limits() : parseOpenFileLimit(inputs.readFile(LIMITS_FILE));
  } catch (err) {
    return unreadable(id, title, LIMITS_FILE, err, recommended);
  }
  if (!limit) return unreadable(id, title, LIMITS_FILE, new Error('no "Max open files" line'), recommended);
  const fix =
    limit.hard >= want
      ? [
          `ulimit -n ${want}   # in the shell or start script that runs nmcp (the hard limit, ${n(limit.hard)}, allows it)`,
          `LimitNOFILE=${want}   # systemd: in the service's [Service] section, then systemctl daemon-reload`,
        ].join('\n')
      : [
          `LimitNOFILE=${want}   # systemd: in the service's [Service] section, then systemctl daemon-reload`,
          `echo '* soft nofile ${want}' | sudo tee -a /etc/security/limits.conf`,
          `echo '* hard nofile ${want}' | sudo tee -a /etc/security/limits.conf   # then log in again; ulimit -n ${want}`,
          `docker run --ulimit nofile=${want}:${want} …   # in a container`,
        ].join('\n');
  return check(
    id,
    title,
    limit.soft >= want ? 'ok' : 'warn',
    `soft ${n(limit.soft)}, hard ${n(limit.hard)}`,
    recommended,
    fix,
    'Every TCP/HTTP connection, Unix socket, stdio upstream (3 pipes) and open file takes a descriptor; at the soft ' +
      'limit accept() and spawn() fail with EMFILE. nmcp serves up to maxConnections (10,000) TCP connections and ' +
      'maxSessions (10,000) HTTP sessions by default. This is the limit of this process: a server started the same ' +
      'way gets the same.',
  );
}

interface AtLeast {
  readonly id: string;
  readonly title: string;
  readonly path: string;
  readonly want: number;
  readonly recommended: string;
  /** How the value prints (default: a grouped number). */
  readonly show?: (value: number) => string;
  readonly detail: (value: number) => string;
}

/** A /proc/sys setting holding one number that should be at least `want`; the fix sets it to `want`. */
function atLeast(inputs: DoctorInputs, spec: AtLeast): DoctorCheck {
  const { id, title, path, want, recommended } = spec;
  const v = readNumbers(inputs, path);
  if (v instanceof Error) return unreadable(id, title, path, v, recommended);
  const value = v[0] as number;
  const status = value >= want ? 'ok' : 'warn';
  const fix = sysctlFix(sysctlKey(path), String(want));
  return check(id, title, status, (spec.show ?? n)(value), recommended, fix, spec.detail(value));
}

export function checkSomaxconn(inputs: DoctorInputs): DoctorCheck {
  const want = DOCTOR_THRESHOLDS.somaxconn;
  return atLeast(inputs, {
    id: 'somaxconn',
    title: 'listen backlog ceiling (net.core.somaxconn)',
    path: '/proc/sys/net/core/somaxconn',
    want,
    recommended: `≥ ${n(want)} (nmcp's TCP backlog default; the seed's)`,
    detail: () =>
      `The kernel silently caps every listen(backlog) at somaxconn: below ${n(want)} a burst of connects ` +
      '(reconnecting clients, nmcp load) overflows the accept queue and clients see SYN retries (1 s, 3 s, …) as ' +
      'latency. Per network namespace: in a container, docker run --sysctl net.core.somaxconn=4096.',
  });
}

/** tcp_rmem / tcp_wmem: "min default max"; the max bounds autotuning (sockets without an explicit SO_RCVBUF/SO_SNDBUF). */
function checkTcpMem(inputs: DoctorInputs, which: 'rmem' | 'wmem'): DoctorCheck {
  const path = `/proc/sys/net/ipv4/tcp_${which}`;
  const key = sysctlKey(path);
  const want = DOCTOR_THRESHOLDS.tcpBufferMax;
  const id = `tcp-${which}`;
  const title = `TCP ${which === 'rmem' ? 'receive' : 'send'} buffer autotuning (${key}) max`;
  const recommended = `max ≥ ${bytes(want)}, the seed's buffer ceiling (its sysctl: 4096 131072 33554432)`;
  const v = readNumbers(inputs, path);
  if (v instanceof Error) return unreadable(id, title, path, v, recommended);
  if (v.length !== 3) return unreadable(id, title, path, new Error(`expected 3 numbers, got ${v.length}`), recommended);
  const [min, def, max] = v as [number, number, number];
  return check(
    id,
    title,
    max >= want ? 'ok' : 'warn',
    `min ${n(min)}, default ${n(def)}, max ${bytes(max)}`,
    recommended,
    sysctlFix(key, `${min} ${def} ${want}`),
    `The kernel grows a socket's ${which === 'rmem' ? 'receive' : 'send'} buffer up to this max when the socket ` +
      `did not set its own size: nmcp TCP with ${which === 'rmem' ? 'recvBufferSize' : 'sendBufferSize'} 0, ` +
      'TCP on the TypeScript twin, HTTP. On a long fat path (bandwidth × RTT × 2 above the max) throughput ' +
      'per connection is capped near max ÷ RTT.',
  );
}

export function checkTcpRmem(inputs: DoctorInputs): DoctorCheck {
  return checkTcpMem(inputs, 'rmem');
}

export function checkTcpWmem(inputs: DoctorInputs): DoctorCheck {
  return checkTcpMem(inputs, 'wmem');
}

/** net.core.rmem_max / wmem_max: the cap on an explicit SO_RCVBUF / SO_SNDBUF, which nmcp's native TCP sets. */
function checkCoreMemMax(inputs: DoctorInputs, which: 'rmem' | 'wmem'): DoctorCheck {
  const path = `/proc/sys/net/core/${which}_max`;
  const key = sysctlKey(path);
  const want = DOCTOR_THRESHOLDS.tcpBufferMax;
  const option = which === 'rmem' ? 'recvBufferSize' : 'sendBufferSize';
  return atLeast(inputs, {
    id: `${which}-max`,
    title: `explicit socket ${which === 'rmem' ? 'receive' : 'send'} buffer cap (${key})`,
    path,
    want,
    recommended: `≥ ${bytes(want)}, so that any ${option} recommendedBufferSize() gives is honoured (the seed sets 33,554,432)`,
    show: bytes,
    detail: (value) =>
      `nmcp's TCP transport sets SO_${which === 'rmem' ? 'RCVBUF' : 'SNDBUF'} itself (${option}, default 131,072, ` +
      `native core), which turns autotuning off for that socket; the kernel silently caps the size at ${key}, so a ` +
      `larger ${option} is cut to ${bytes(value)}.`,
  });
}

export function checkRmemMax(inputs: DoctorInputs): DoctorCheck {
  return checkCoreMemMax(inputs, 'rmem');
}

export function checkWmemMax(inputs: DoctorInputs): DoctorCheck {
  return checkCoreMemMax(inputs, 'wmem');
}

export function checkNetdevMaxBacklog(inputs: DoctorInputs): DoctorCheck {
  const want = DOCTOR_THRESHOLDS.netdevMaxBacklog;
  return atLeast(inputs, {
    id: 'netdev-max-backlog',
    title: 'packets queued per CPU before the stack (net.core.netdev_max_backlog)',
    path: '/proc/sys/net/core/netdev_max_backlog',
    want,
    recommended: `≥ ${n(want)} (the seed's)`,
    detail: () =>
      'Packets the NIC delivered but the kernel has not processed yet, per CPU; beyond it they are dropped ' +
      '(the second column of /proc/net/softnet_stat, drops, grows) and TCP retransmits. Matters at high packet ' +
      'rates on a real network, not on loopback.',
  });
}

export function checkSwappiness(inputs: DoctorInputs): DoctorCheck {
  const path = '/proc/sys/vm/swappiness';
  const max = DOCTOR_THRESHOLDS.swappiness;
  const title = 'tendency to swap (vm.swappiness)';
  const recommended = `≤ ${max} (the seed sets 1)`;
  const v = readNumbers(inputs, path);
  if (v instanceof Error) return unreadable('swappiness', title, path, v, recommended);
  const value = v[0] as number;
  const why =
    'A V8 heap partly swapped out makes each garbage collection, which walks the heap, wait on disk: ' +
    'latency spikes of seconds. vm.swappiness is not per container: set it on the host.';
  if (value <= max) return check('swappiness', title, 'ok', n(value), recommended, '', why);
  let swaps: string | undefined;
  try {
    swaps = inputs.readFile('/proc/swaps');
  } catch {
    swaps = undefined; // unknown: judge by swappiness alone
  }
  const noSwap = swaps !== undefined && swaps.trim().split('\n').length <= 1;
  return check(
    'swappiness',
    title,
    noSwap ? 'ok' : 'warn',
    noSwap ? `${n(value)} (no swap in use)` : n(value),
    recommended,
    sysctlFix('vm.swappiness', '1'),
    noSwap ? `${why} No swap is in use (/proc/swaps lists none), so it has no effect now.` : why,
  );
}

export function checkThreadpool(inputs: DoctorInputs): DoctorCheck {
  const title = "libuv thread pool (UV_THREADPOOL_SIZE; the seed's +A)";
  const { threadpoolDefault, threadpoolMax } = DOCTOR_THRESHOLDS;
  const size = Math.min(Math.max(inputs.cpus, threadpoolDefault), threadpoolMax);
  const recommended =
    inputs.cpus > threadpoolDefault
      ? `${size}: one thread per CPU (libuv's default is ${threadpoolDefault})`
      : `libuv's default, ${threadpoolDefault}: at least one thread per CPU (${inputs.cpus} here)`;
  const fix = [
    `UV_THREADPOOL_SIZE=${size} nmcp serve …   # set before node starts; libuv reads it once`,
    `Environment=UV_THREADPOOL_SIZE=${size}   # systemd: in the service's [Service] section`,
  ].join('\n');
  const why =
    "The pool runs what is not socket I/O: zlib (the HTTP transport's compression, on by default above 1 KiB), " +
    'dns.lookup (dialling upstreams and pool targets by host name), file I/O and crypto in your handlers. Sockets ' +
    'and pipes never use it. Sized below the CPUs, those queue behind each other while cores idle.';
  const raw = inputs.env.UV_THREADPOOL_SIZE;
  if (raw === undefined || raw === '') {
    return check(
      'uv-threadpool',
      title,
      inputs.cpus > threadpoolDefault ? 'warn' : 'ok',
      `unset (libuv's default ${threadpoolDefault}; ${inputs.cpus} CPUs)`,
      recommended,
      fix,
      why,
    );
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1) {
    return check(
      'uv-threadpool',
      title,
      'warn',
      JSON.stringify(raw),
      recommended,
      fix,
      `libuv ignores a value that is not a whole number ≥ 1 and uses ${threadpoolDefault}. ${why}`,
    );
  }
  if (value > threadpoolMax) {
    return check(
      'uv-threadpool',
      title,
      'warn',
      `${n(value)} (libuv uses ${n(threadpoolMax)})`,
      recommended,
      fix,
      `libuv caps the pool at ${n(threadpoolMax)}. ${why}`,
    );
  }
  return check('uv-threadpool', title, 'ok', `${n(value)} (${inputs.cpus} CPUs)`, recommended, fix, why);
}

/** Where --max-old-space-size comes from: execArgv (later wins), else NODE_OPTIONS; undefined when unset. */
function maxOldSpaceSource(inputs: DoctorInputs): string | undefined {
  const flag = /--max[-_]old[-_]space[-_]size(?:=|\s+)(\d+)/g;
  const last = (text: string) => [...text.matchAll(flag)].at(-1)?.[1];
  const fromArgv = last(inputs.execArgv.join(' '));
  if (fromArgv !== undefined) return `--max-old-space-size=${fromArgv} on the node command line`;
  const fromEnv = last(inputs.env.NODE_OPTIONS ?? '');
  if (fromEnv !== undefined) return `--max-old-space-size=${fromEnv} from NODE_OPTIONS`;
  return undefined;
}

export function checkHeapLimit(inputs: DoctorInputs): DoctorCheck {
  const title = 'V8 heap limit (--max-old-space-size)';
  const min = DOCTOR_THRESHOLDS.heapLimit;
  const limitMiB = Math.round(inputs.heapSizeLimit / MiB);
  const source = maxOldSpaceSource(inputs) ?? "V8's default, from the memory this machine or container has";
  return check(
    'heap-limit',
    title,
    inputs.heapSizeLimit >= min ? 'ok' : 'warn',
    `${n(limitMiB)} MiB (${source})`,
    `≥ ${n(min / MiB)} MiB: the seed's memory warning threshold (memoryWarningBytes); about 75% of the memory the process may use`,
    [
      'NODE_OPTIONS=--max-old-space-size=4096 nmcp serve …   # MiB; or node --max-old-space-size=4096 …',
      'Environment=NODE_OPTIONS=--max-old-space-size=4096   # systemd: in the [Service] section',
    ].join('\n'),
    'heap_size_limit from v8.getHeapStatistics(). Below the 1 GiB warning threshold a growing heap dies of ' +
      '"JavaScript heap out of memory" before the memory monitor ever warns. Buffers (socket data, frames) are ' +
      'outside this limit: leave room for them.',
  );
}

export function checkNativeCore(inputs: DoctorInputs): DoctorCheck {
  const title = 'native core (Rust addon) loaded';
  const required = inputs.env.NMCP_REQUIRE_NATIVE === '1';
  const recommended = 'native (the TypeScript twin is correct but slower on the frame hot path)';
  const build = [
    'npm run build:native   # from a checkout: needs a Rust toolchain (rustup.rs)',
    'npm install nmcp   # from npm: reinstall, which fetches the prebuilt addon (nmcp-<platform>, e.g. nmcp-linux-x64-gnu)',
  ].join('\n');
  const { core } = inputs;
  if (core instanceof Error) {
    return check('native-core', title, 'fail', 'not loaded', recommended, build, core.message);
  }
  if (core.kind === 'native') {
    return check(
      'native-core',
      title,
      'ok',
      `native (nmcp-core ${core.version})`,
      recommended,
      '',
      'Frame decoding and encoding and route lookups run in Rust (`nmcp core` says the same).',
    );
  }
  const choseTwin = core.reason === 'NMCP_NATIVE=0';
  if (required) {
    return check(
      'native-core',
      title,
      'fail',
      `TypeScript twin (${core.reason ?? 'no reason given'})`,
      recommended,
      choseTwin ? 'unset NMCP_NATIVE   # NMCP_REQUIRE_NATIVE=1 asks for native, NMCP_NATIVE=0 for the twin' : build,
      'NMCP_REQUIRE_NATIVE=1 is set, and the twin serves.',
    );
  }
  return check(
    'native-core',
    title,
    'warn',
    `TypeScript twin (${core.reason ?? 'no reason given'})`,
    recommended,
    choseTwin ? 'unset NMCP_NATIVE   # NMCP_NATIVE=0 chooses the twin' : build,
    choseTwin
      ? 'The twin was chosen with NMCP_NATIVE=0.'
      : 'The addon did not load; nmcp fell back to the twin. NMCP_REQUIRE_NATIVE=1 makes that an error.',
  );
}

/** The checks, in the order they print. */
export const DOCTOR_CHECKS: readonly ((inputs: DoctorInputs) => DoctorCheck)[] = [
  checkOpenFiles,
  checkSomaxconn,
  checkTcpRmem,
  checkTcpWmem,
  checkRmemMax,
  checkWmemMax,
  checkNetdevMaxBacklog,
  checkSwappiness,
  checkThreadpool,
  checkHeapLimit,
  checkNativeCore,
];

export function runDoctor(inputs: DoctorInputs): DoctorReport {
  const checks = DOCTOR_CHECKS.map((run) => run(inputs));
  const count = (s: DoctorStatus) => checks.filter((c) => c.status === s).length;
  return { checks, summary: { ok: count('ok'), warn: count('warn'), fail: count('fail') } };
}

/** 0 when no check failed (warnings allowed), 1 otherwise. */
export function doctorExitCode(report: DoctorReport): number {
  return report.summary.fail > 0 ? 1 : 0;
}

/** The real inputs: /proc, process.env, this process's V8, the core (loaded now, its error caught). */
export async function defaultDoctorInputs(): Promise<DoctorInputs> {
  let core: CoreInfo | Error;
  try {
    core = (await import('../native/index.js')).activeCore();
  } catch (err) {
    core = err as Error;
  }
  // process.getrlimit is not in Node 20; used when a runtime has it, else /proc/self/limits.
  const getrlimit = (process as { getrlimit?: (resource: string) => ResourceLimit }).getrlimit;
  return {
    readFile: (path) => readFileSync(path, 'utf8'),
    env: process.env,
    ...(typeof getrlimit === 'function' ? { limits: () => getrlimit('nofile') } : {}),
    cpus: availableParallelism(),
    heapSizeLimit: getHeapStatistics().heap_size_limit,
    execArgv: process.execArgv,
    core,
  };
}
