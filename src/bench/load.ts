/**
 * runLoad(): `nmcp load` as a library — many concurrent clients against ONE server (the seed's
 * run_load_test(ClientCount, Duration)), measured by the bench engine (runBench) as one case with
 * connections = clients. A client behaves like a user of the server: one session of its own, one request in flight at a
 * time by default (the next one sent when the answer comes), or, with a rate, requests arriving on a schedule spread
 * over all clients whatever the answers do (the open loop, latency from the intended send time).
 *
 * Bounded on purpose: a load test is a denial of service. At most MAX_CLIENTS clients for at most MAX_DURATION_MS, and
 * a URL target must be on this machine (loopback or a Unix socket) unless allowRemote says otherwise.
 */
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import type { BenchReport, BenchTransport, BenchWorkload } from './report.js';
import type { Era } from './requests.js';
import { type BenchOptions, runBench } from './run-bench.js';
import { isUrlTarget, parseAddress } from './servers.js';

/**
 * The network transports. Not stdio: a stdio server has one session per process, so N clients would be N servers
 * (one process each), not one server under load.
 */
export const LOAD_TRANSPORTS = [
  'tcp',
  'tcp-ndjson',
  'unix',
  'http',
  'http2',
] as const satisfies readonly BenchTransport[];
export type LoadTransport = (typeof LOAD_TRANSPORTS)[number];

/** The request workloads (fanout and churn measure something else than many clients making requests). */
export const LOAD_WORKLOADS = [
  'echo-200b',
  'echo-4k',
  'echo-64k',
  'echo-1m',
  'tools-list-1000',
] as const satisfies readonly BenchWorkload[];
export type LoadWorkload = (typeof LOAD_WORKLOADS)[number];

/** nmcp's TCP server and HTTP session table both default to 10,000 (maxConnections, maxSessions). */
export const MAX_CLIENTS = 10_000;
export const MAX_DURATION_MS = 3_600_000;
export const MAX_WARMUP_MS = 600_000;
export const MAX_IN_FLIGHT = 1000;
export const MAX_RATE = 1_000_000;

export const LOAD_DEFAULTS = {
  clients: 100,
  durationMs: 60_000,
  warmupMs: 1000,
  inFlight: 1,
  // TCP, not HTTP: nmcp's own framed transport, and the cheaper one for the load generator that shares the machine.
  transport: 'tcp',
  workload: 'echo-200b',
} as const;

/**
 * Open loop over HTTP/1.1, a request in flight is a socket: each client's connection pool is capped at this (+1), as
 * a browser caps its connections per origin, so that a stalled server makes requests queue (and their latency, counted
 * from when they were due, grow) rather than open thousands of sockets.
 */
export const OPEN_LOOP_SOCKETS_PER_CLIENT = 4;

export interface LoadOptions {
  /** Concurrent clients, each its own session on the one server (default 100, at most 10,000). */
  clients?: number;
  /** Measured window, ms (default 60,000, at most 3,600,000). */
  durationMs?: number;
  /** Warm-up before the window, ms (default 1,000). */
  warmupMs?: number;
  /** Open loop: requests per second offered by all clients together. Without it, the closed loop. */
  rate?: number;
  /** Closed loop: requests each client keeps in flight (default 1: a user waiting for each answer). */
  inFlight?: number;
  /** Default 'tcp'; a URL target: the transport its scheme implies. */
  transport?: LoadTransport;
  workload?: LoadWorkload;
  era?: Era;
  /** A running server's URL: http(s)://HOST:PORT/mcp, tcp://HOST:PORT or unix:/path. Default: nmcp's own. */
  target?: string;
  /** Allow a target that is not on this machine. */
  allowRemote?: boolean;
  /** How long the last answers are waited for before they count as lost (default 10,000 ms). */
  drainTimeoutMs?: number;
  /** Environment of nmcp's server process (default process.env). */
  env?: NodeJS.ProcessEnv;
  onProgress?: BenchOptions['onProgress'];
  onCase?: BenchOptions['onCase'];
}

/** What is wrong with a LoadOptions, and what to do about it. */
export interface LoadProblem {
  readonly problem: string;
  readonly fix: string;
}

/** True for a URL on this machine: 127.0.0.0/8, ::1 (or ::ffff:127.x), localhost, or a Unix socket. */
export function isLoopbackTarget(target: string): boolean {
  let host: string;
  try {
    const a = parseAddress(target);
    if (a.kind === 'unix') return true;
    host = a.kind === 'http' ? a.url.hostname : a.host;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIPv4(v4) && v4.startsWith('127.');
}

const n = (v: number) => v.toLocaleString('en-US');
const ms = (v: number) =>
  v >= 3_600_000 && v % 3_600_000 === 0
    ? `${v / 3_600_000} h`
    : v >= 60_000 && v % 60_000 === 0
      ? `${v / 60_000} min`
      : v >= 1000
        ? `${v / 1000} s`
        : `${v} ms`;

/** A bound, said in the unit it is given in (`show`), with the fix. */
function within(
  name: string,
  v: number | undefined,
  min: number,
  max: number,
  show: (v: number) => string,
  fix: string,
): LoadProblem | undefined {
  if (v === undefined || (Number.isInteger(v) && v >= min && v <= max)) return undefined;
  const got = Number.isFinite(v) ? show(v) : String(v);
  return { problem: `${name} must be a whole number from ${show(min)} to ${show(max)}, got ${got}`, fix };
}

/** Descriptors beside the clients' sockets: stdio, the server's pipes, Node's own (a margin, not a count). */
const FD_MARGIN = 100;

/**
 * Sockets one client holds, in this process and in the server alike: one over TCP, a Unix socket or HTTP/2; over
 * HTTP/1.1 one per request in flight plus one (the driver's pool keeps a socket for the session's GET stream, and the
 * handshake's two POSTs may use both).
 */
export function socketsPerClient(transport: LoadTransport, inFlight: number): number {
  return transport === 'http' ? inFlight + 1 : 1;
}

/** The soft limit on open files of this process (`ulimit -n`; nmcp's server inherits it), or undefined off Linux. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Too many clients for the open-file limit: refused before the run, since past it the connections fail with EMFILE
 * halfway through opening them. `limit` undefined (not Linux, or "unlimited"): not checked.
 */
export function descriptorProblem(
  clients: number,
  transport: LoadTransport,
  inFlight: number,
  limit: number | undefined,
): LoadProblem | undefined {
  const per = socketsPerClient(transport, inFlight);
  const needed = clients * per + FD_MARGIN;
  if (limit === undefined || needed <= limit) return undefined;
  const most = Math.max(0, Math.floor((limit - FD_MARGIN) / per));
  return {
    problem: `${n(clients)} clients over ${transport} need about ${n(needed)} open files here and in the server (${per} socket${per === 1 ? '' : 's'} per client), over the limit of ${n(limit)}`,
    fix: `Raise it (\`ulimit -n ${needed}\` in this shell, up to the hard limit), or use at most ${n(most)} clients${transport === 'http' ? ', or --transport http2 or tcp (one socket per client)' : ''}.`,
  };
}

/** Checks options; returns the problem, or the BenchOptions that run them (one case, connections = clients). */
export function resolveLoadOptions(o: LoadOptions): BenchOptions | LoadProblem {
  const bad =
    within(
      'clients',
      o.clients,
      1,
      MAX_CLIENTS,
      n,
      `e.g. --clients 200 (at most ${n(MAX_CLIENTS)}: one session each)`,
    ) ??
    within('duration', o.durationMs, 50, MAX_DURATION_MS, ms, 'e.g. --duration 60s (a load test is bounded in time)') ??
    within('warm-up', o.warmupMs, 0, MAX_WARMUP_MS, ms, 'e.g. --warmup 1s') ??
    within('in-flight', o.inFlight, 1, MAX_IN_FLIGHT, n, 'e.g. --in-flight 1 (requests each client waits on)') ??
    within('rate', o.rate, 1, MAX_RATE, n, 'e.g. --rate 10000 (requests per second, all clients together)');
  if (bad) return bad;
  if (o.rate !== undefined && o.inFlight !== undefined) {
    return {
      problem: 'in-flight applies to the closed loop, rate to the open loop: not both',
      fix: 'Leave out --in-flight to offer a rate, or --rate to have each client wait for its answers.',
    };
  }
  const transport = o.transport;
  if (transport !== undefined && !(LOAD_TRANSPORTS as readonly string[]).includes(transport)) {
    return {
      problem:
        (transport as string) === 'stdio'
          ? 'stdio has one session per server process: N clients would be N servers, not one under load'
          : `unknown transport ${JSON.stringify(transport)}`,
      fix: `Use one of ${LOAD_TRANSPORTS.join(', ')}.`,
    };
  }
  const workload = o.workload ?? LOAD_DEFAULTS.workload;
  if (!(LOAD_WORKLOADS as readonly string[]).includes(workload)) {
    return {
      problem: `unknown workload ${JSON.stringify(workload)} (a load test runs a request workload)`,
      fix: `Use one of ${LOAD_WORKLOADS.join(', ')}.`,
    };
  }
  if (o.era !== undefined && o.era !== 'legacy' && o.era !== 'modern') {
    return { problem: `era must be legacy or modern, got ${JSON.stringify(o.era)}`, fix: 'e.g. --era modern' };
  }
  let transports: BenchTransport[] = [transport ?? LOAD_DEFAULTS.transport];
  if (o.target !== undefined) {
    if (!isUrlTarget(o.target)) {
      return {
        problem:
          'a command target is spoken to over stdio, one process per client: a load test needs one server that listens',
        fix: 'Start the server listening and give its URL: http://127.0.0.1:PORT/mcp, tcp://127.0.0.1:PORT or unix:/path.',
      };
    }
    const scheme = o.target.slice(0, o.target.indexOf(':'));
    const fits: readonly LoadTransport[] =
      scheme === 'tcp' ? ['tcp', 'tcp-ndjson'] : scheme === 'unix' ? ['unix'] : ['http', 'http2'];
    if (transport !== undefined && !fits.includes(transport)) {
      return {
        problem: `a ${scheme}: target is reached over ${fits.join(' or ')}, not ${transport}`,
        fix: `Use --transport ${fits.join(' or --transport ')}, or leave --transport out.`,
      };
    }
    transports = [transport ?? (fits[0] as LoadTransport)];
    try {
      parseAddress(o.target);
    } catch (err) {
      return { problem: (err as Error).message, fix: 'e.g. --target http://127.0.0.1:3000/mcp' };
    }
    if (!o.allowRemote && !isLoopbackTarget(o.target)) {
      return {
        problem: `${o.target} is not on this machine: a load test is a denial of service to anyone else's server`,
        fix: 'Load a server you run on loopback (127.0.0.1, ::1, localhost, unix:), or add --allow-remote if it is yours to load.',
      };
    }
  }
  const open = o.rate !== undefined;
  const inFlight = open ? OPEN_LOOP_SOCKETS_PER_CLIENT : (o.inFlight ?? LOAD_DEFAULTS.inFlight);
  const clients = o.clients ?? LOAD_DEFAULTS.clients;
  const fds = descriptorProblem(clients, transports[0] as LoadTransport, inFlight, openFileLimit());
  if (fds) return fds;
  return {
    workloads: [workload],
    transports,
    mode: open ? 'open' : 'closed',
    connections: clients,
    inFlight,
    ...(open ? { rate: o.rate } : {}),
    durationMs: o.durationMs ?? LOAD_DEFAULTS.durationMs,
    warmupMs: o.warmupMs ?? LOAD_DEFAULTS.warmupMs,
    runs: 1,
    ...(o.target === undefined ? {} : { target: o.target }),
    era: o.era ?? 'legacy',
    ...(o.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: o.drainTimeoutMs }),
    ...(o.env === undefined ? {} : { env: o.env }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
    ...(o.onCase === undefined ? {} : { onCase: o.onCase }),
  };
}

/**
 * Runs the load test; the report is a BenchReport with one case (or one failure), its options marked as nmcp load's
 * (command, clients) so that a saved report says what produced it. Throws a TypeError on bad options.
 */
export async function runLoad(options: LoadOptions = {}): Promise<BenchReport> {
  const bench = resolveLoadOptions(options);
  if ('problem' in bench) throw new TypeError(`runLoad: ${bench.problem} (${bench.fix})`);
  const report = await runBench(bench);
  return {
    ...report,
    options: {
      ...report.options,
      command: 'nmcp load',
      clients: bench.connections,
      allowRemote: options.allowRemote === true,
    },
  };
}
