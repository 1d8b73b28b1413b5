/**
 * runBench(): the benchmark engine behind `nmcp bench`. For each run, each workload, each transport, each server
 * (nmcp, then the peers, interleaved so that drift on a shared machine hits every server alike) it starts a fresh
 * server, opens the connections, runs the loop and reads the server's CPU and RSS, and returns a BenchReport.
 */
import { splitCommand } from '../cli/split-command.js';
import { computeAbRatios } from './ab.js';
import { loadBenchConfig } from './ab-config.js';
import { runChurn } from './churn.js';
import type { Driver } from './driver.js';
import { runFanout, subscribeAll } from './fanout.js';
import { type LoopResult, runLoop } from './load-loop.js';
import { machineInfo } from './machine.js';
import { UsageMeter } from './proc-usage.js';
import {
  BENCH_REPORT_VERSION,
  type BenchAb,
  type BenchCase,
  type BenchFailure,
  type BenchRatio,
  type BenchReport,
  type BenchServer,
  type BenchSkip,
  type BenchTransport,
  type BenchWorkload,
  type ServerUsage,
} from './report.js';
import { type Era, requestTemplate } from './requests.js';
import { isUrlTarget, launch, nmcpPlan, peerPlan, type ServerPlan, targetPlan } from './servers.js';

export const BENCH_WORKLOADS: readonly BenchWorkload[] = [
  'echo-200b',
  'echo-4k',
  'echo-64k',
  'echo-1m',
  'tools-list-1000',
  'fanout',
  'churn',
];
export const BENCH_TRANSPORTS: readonly BenchTransport[] = ['stdio', 'tcp', 'tcp-ndjson', 'unix', 'http', 'http2'];
const PEERS = ['sdk1', 'sdk2', 'bare'] as const;
/** Sessions opened (connect + handshake) at a time before a case's load starts. */
const OPEN_BATCH = 16;

export interface BenchProgress {
  /** 1-based index of the case running, and how many there are. */
  readonly caseIndex: number;
  readonly caseCount: number;
  /** "echo-200b stdio nmcp run 1/3". */
  readonly label: string;
  /** Elapsed warm-up + measurement of this case, and what it will take. */
  readonly elapsedMs: number;
  readonly caseMs: number;
}

export interface BenchOptions {
  /** Default ['echo-200b']. */
  workloads?: readonly BenchWorkload[];
  /** Default ['stdio'] (a URL --target: the transports its scheme allows). */
  transports?: readonly BenchTransport[];
  /** Default 'closed'. */
  mode?: 'closed' | 'open';
  /** Sessions per case (default 1; fanout: 100 subscribed sessions; churn: concurrent workers). */
  connections?: number;
  /** Closed loop: requests in flight per connection (default 64). */
  inFlight?: number;
  /** Open loop: offered requests per second over all connections (default 10,000). */
  rate?: number;
  /** Measured window per case, ms (default 5,000). */
  durationMs?: number;
  /** Warm-up before the window, ms (default 1,000). */
  warmupMs?: number;
  /** Runs of every case (default 3); ratios are medians over runs. */
  runs?: number;
  /** Also run the peers (SDK 1.x, SDK 2.x, bare floor) and report nmcp ÷ each. */
  peers?: boolean;
  /** Load this server instead of nmcp: a command line (spoken to over stdio) or a URL (http(s)://, tcp://, unix:). */
  target?: string;
  /** legacy (initialize per connection, default) or modern (the 2026-07-28 envelope on every request). */
  era?: Era;
  /** A `nmcp serve --config` file for nmcp's server (variant A of an A/B). Not with a target. */
  config?: string;
  /**
   * A/B: also serve nmcp under this config file (variant B, server 'nmcp-b') in every run, back to back with A, and
   * report B ÷ A (report.ab). Without `config`, A is nmcp's defaults. Runs default to 5. Not with a target.
   */
  vsConfig?: string;
  /** How long the last answers are waited for before they count as lost (default 10,000 ms). */
  drainTimeoutMs?: number;
  /** Environment of the server processes (default process.env), e.g. NMCP_NATIVE=0 to measure the twin. */
  env?: NodeJS.ProcessEnv;
  onProgress?: (progress: BenchProgress) => void;
  /** Called after each case (or its failure), e.g. to log it. */
  onCase?: (result: BenchCase | BenchFailure) => void;
}

interface Resolved {
  workloads: readonly BenchWorkload[];
  transports: readonly BenchTransport[];
  mode: 'closed' | 'open';
  connections: number | undefined;
  inFlight: number;
  rate: number;
  durationMs: number;
  warmupMs: number;
  runs: number;
  peers: boolean;
  target: string | undefined;
  era: Era;
  drainTimeoutMs: number;
  config: string | undefined;
  vsConfig: string | undefined;
}

/** Checks options; returns what is wrong, or the options with defaults. */
export function resolveBenchOptions(o: BenchOptions): Resolved | string {
  const workloads = o.workloads ?? ['echo-200b'];
  for (const w of workloads) if (!BENCH_WORKLOADS.includes(w)) return `unknown workload ${JSON.stringify(w)}`;
  const urlTarget = o.target !== undefined && isUrlTarget(o.target);
  let transports = o.transports;
  if (transports === undefined) {
    if (urlTarget) {
      const scheme = (o.target as string).split(':')[0];
      transports = scheme === 'tcp' ? ['tcp'] : scheme === 'unix' ? ['unix'] : ['http'];
    } else transports = ['stdio'];
  }
  for (const t of transports) if (!BENCH_TRANSPORTS.includes(t)) return `unknown transport ${JSON.stringify(t)}`;
  if (workloads.length === 0 || transports.length === 0) return 'at least one workload and one transport';
  const mode = o.mode ?? 'closed';
  if (mode !== 'closed' && mode !== 'open') return `mode must be closed or open, got ${JSON.stringify(mode)}`;
  const int = (name: string, v: number | undefined, min: number, def: number): number | string => {
    const n = v ?? def;
    return Number.isInteger(n) && n >= min ? n : `${name} must be a whole number ≥ ${min}, got ${v}`;
  };
  const fields = {
    inFlight: int('inFlight', o.inFlight, 1, 64),
    rate: int('rate', o.rate, 1, 10_000),
    durationMs: int('durationMs', o.durationMs, 50, 5000),
    warmupMs: int('warmupMs', o.warmupMs, 0, 1000),
    // An A/B's verdict needs every run on one side of 1: at 3 runs chance alone does that 25% of the time, at 5, 6%.
    runs: int('runs', o.runs, 1, o.vsConfig === undefined ? 3 : 5),
    drainTimeoutMs: int('drainTimeoutMs', o.drainTimeoutMs, 100, 10_000),
  };
  for (const v of Object.values(fields)) if (typeof v === 'string') return v;
  if (o.connections !== undefined && (!Number.isInteger(o.connections) || o.connections < 1)) {
    return `connections must be a whole number ≥ 1, got ${o.connections}`;
  }
  if (o.peers && o.target !== undefined) return 'peers are compared with nmcp: a target and peers do not go together';
  if ((o.config !== undefined || o.vsConfig !== undefined) && o.target !== undefined) {
    return "--config and --vs-config configure nmcp's own server, not a --target";
  }
  if (o.config === '' || o.vsConfig === '') return '--config and --vs-config need a file path';
  if (o.target !== undefined && !urlTarget) {
    if (transports.some((t) => t !== 'stdio')) return 'a command target is spoken to over stdio only';
    try {
      if (splitCommand(o.target).length === 0) return 'the target command is empty';
    } catch (err) {
      return `cannot split the target command: ${(err as Error).message}`;
    }
  }
  if (urlTarget && transports.includes('stdio')) return 'a URL target is reached over the network, not stdio';
  const era = o.era ?? 'legacy';
  if (era !== 'legacy' && era !== 'modern') return `era must be legacy or modern, got ${JSON.stringify(era)}`;
  if (mode === 'open' && workloads.some((w) => w === 'fanout' || w === 'churn')) {
    return 'the open loop applies to the request workloads (echo-*, tools-list-1000), not fanout or churn';
  }
  if (era === 'modern' && workloads.includes('fanout')) {
    return 'fanout uses legacy resources/subscribe; run it without the modern era';
  }
  return {
    workloads,
    transports,
    mode,
    connections: o.connections,
    inFlight: fields.inFlight as number,
    rate: fields.rate as number,
    durationMs: fields.durationMs as number,
    warmupMs: fields.warmupMs as number,
    runs: fields.runs as number,
    peers: o.peers === true,
    target: o.target,
    era,
    drainTimeoutMs: fields.drainTimeoutMs as number,
    config: o.config,
    vsConfig: o.vsConfig,
  };
}

interface Planned {
  workload: BenchWorkload;
  transport: BenchTransport;
  plan: ServerPlan;
  /** An A/B's nmcp under --config (a) or --vs-config (b); planned next to each other. */
  variant?: 'a' | 'b';
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const r = resolveBenchOptions(options);
  if (typeof r === 'string') throw new TypeError(`runBench: ${r}`);
  const ab = await loadAbConfigs(r);
  const startedAt = new Date().toISOString();
  const skipped: BenchSkip[] = [];
  const planned: Planned[] = [];
  for (const workload of r.workloads) {
    for (const transport of r.transports) {
      const server: BenchServer = r.target === undefined ? 'nmcp' : 'target';
      if (workload === 'fanout' && transport === 'stdio') {
        skipped.push({
          workload,
          transport,
          server,
          reason: 'fanout needs many sessions on one server: stdio has one session per process',
        });
        continue;
      }
      if (r.target !== undefined) planned.push({ workload, transport, plan: targetPlan(r.target, transport) });
      else if (r.vsConfig === undefined) planned.push({ workload, transport, plan: nmcpPlan(transport, workload, r) });
      else {
        planned.push({
          workload,
          transport,
          plan: nmcpPlan(transport, workload, { ...r, variant: 'a' }),
          variant: 'a',
        });
        const b = nmcpPlan(transport, workload, { config: r.vsConfig, variant: 'b' });
        planned.push({ workload, transport, plan: b, variant: 'b' });
      }
      if (!r.peers) continue;
      for (const peer of PEERS) {
        if (peer === 'sdk1' && r.era === 'modern') {
          skipped.push({
            workload,
            transport,
            server: peer,
            reason: 'no peer for the modern era (SDK 1.x is legacy only)',
          });
          continue;
        }
        const p = peerPlan(peer, transport, workload);
        if (typeof p === 'string') skipped.push({ workload, transport, server: peer, reason: p });
        else planned.push({ workload, transport, plan: p });
      }
    }
  }
  const caseCount = planned.length * r.runs;
  const cases: BenchCase[] = [];
  const failures: BenchFailure[] = [];
  let index = 0;
  for (let run = 1; run <= r.runs; run++) {
    for (const p of abOrder(planned, run)) {
      index++;
      const label = `${p.workload} ${p.transport} ${p.plan.server} run ${run}/${r.runs}`;
      const caseMs = r.warmupMs + r.durationMs;
      options.onProgress?.({ caseIndex: index, caseCount, label, elapsedMs: 0, caseMs });
      try {
        const c = await runCase(r, p, run, options.env, (elapsedMs) =>
          options.onProgress?.({ caseIndex: index, caseCount, label, elapsedMs: Math.min(elapsedMs, caseMs), caseMs }),
        );
        cases.push(c);
        options.onCase?.(c);
      } catch (err) {
        const f: BenchFailure = {
          workload: p.workload,
          transport: p.transport,
          server: p.plan.server,
          run,
          error: (err as Error).message,
        };
        failures.push(f);
        options.onCase?.(f);
      }
    }
  }
  return {
    version: BENCH_REPORT_VERSION,
    tool: 'nmcp bench',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    options: { ...r },
    cases,
    ratios: computeRatios(cases),
    skipped,
    failures,
    ...(ab === undefined ? {} : { ab: { ...ab, ratios: computeAbRatios(cases) } }),
  };
}

/** Reads and checks both config files of an A/B (a programming error here: the CLI checks them first, as usage). */
async function loadAbConfigs(r: Resolved): Promise<Omit<BenchAb, 'ratios'> | undefined> {
  const a = r.config === undefined ? {} : await loadBenchConfig(r.config, '--config');
  if (typeof a === 'string') throw new TypeError(`runBench: ${a}`);
  if (r.vsConfig === undefined) return undefined;
  const b = await loadBenchConfig(r.vsConfig, '--vs-config');
  if (typeof b === 'string') throw new TypeError(`runBench: ${b}`);
  return { a: { configPath: r.config, config: a }, b: { configPath: r.vsConfig, config: b } };
}

/**
 * The order of a run's cases: as planned, except that on even runs each A/B pair runs B first. Within a run A and B
 * stay back to back (so they share the machine's state); alternating which goes first (A B, B A, A B …) cancels any
 * advantage of going first or second, e.g. caches warmed by the case before.
 */
function abOrder(planned: readonly Planned[], run: number): Planned[] {
  const order = [...planned];
  if (run % 2 === 1) return order;
  for (let i = 0; i + 1 < order.length; i++) {
    if (order[i]?.variant === 'a' && order[i + 1]?.variant === 'b') {
      [order[i], order[i + 1]] = [order[i + 1] as Planned, order[i] as Planned];
      i++;
    }
  }
  return order;
}

/** nmcp ÷ each peer, per run (the two were measured back to back), then the median and spread over runs. */
export function computeRatios(cases: readonly BenchCase[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  const key = (c: BenchCase) => `${c.workload}|${c.transport}|${c.mode}`;
  const groups = new Map<string, BenchCase[]>();
  for (const c of cases) {
    const g = groups.get(key(c));
    if (g) g.push(c);
    else groups.set(key(c), [c]);
  }
  for (const group of groups.values()) {
    const first = group[0] as BenchCase;
    for (const peer of PEERS) {
      const values: number[] = [];
      for (const n of group) {
        if (n.server !== 'nmcp') continue;
        const q = group.find((c) => c.server === peer && c.run === n.run);
        if (q && q.perSecond > 0) values.push(n.perSecond / q.perSecond);
      }
      if (values.length === 0) continue;
      values.sort((a, b) => a - b);
      ratios.push({
        workload: first.workload,
        transport: first.transport,
        mode: first.mode,
        peer,
        metric: 'perSecond',
        median: median(values),
        min: values[0] as number,
        max: values[values.length - 1] as number,
      });
    }
  }
  return ratios;
}

export function median(sorted: readonly number[]): number {
  const s = [...sorted].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function runCase(
  r: Resolved,
  p: Planned,
  run: number,
  env: NodeJS.ProcessEnv | undefined,
  onProgress: (elapsedMs: number) => void,
): Promise<BenchCase> {
  const { workload, transport, plan } = p;
  const targetCommand = r.target !== undefined && !isUrlTarget(r.target) ? splitCommand(r.target) : undefined;
  const server = await launch(plan, { transport, ...(targetCommand ? { targetCommand } : {}), env });
  const drivers: Driver[] = [];
  let meter: UsageMeter | undefined;
  let usage: ReturnType<UsageMeter['stop']> | undefined;
  let self0: NodeJS.CpuUsage | undefined;
  let selfPercent: number | undefined;
  const onMeasureStart = () => {
    meter = new UsageMeter(server.pids);
    meter.start();
    self0 = process.cpuUsage();
  };
  const onMeasureEnd = () => {
    usage = meter?.stop();
    if (self0 && usage) {
      const d = process.cpuUsage(self0);
      selfPercent = (100 * (d.user + d.system)) / 1000 / usage.wallMs;
    }
  };
  const connections = r.connections ?? (workload === 'fanout' ? 100 : 1);
  const common = {
    warmupMs: r.warmupMs,
    durationMs: r.durationMs,
    drainTimeoutMs: r.drainTimeoutMs,
    onMeasureStart,
    onMeasureEnd,
    onProgress,
  };
  let result: LoopResult;
  let inFlight: number | undefined;
  try {
    if (workload === 'churn') {
      const template = requestTemplate(workload, r.era);
      result = await runChurn({ ...common, open: () => server.connect(template, 1), era: r.era, workers: connections });
      // Over stdio every session is a process that is gone by the end: its CPU cannot be read from /proc.
      if (transport === 'stdio') usage = undefined;
    } else if (workload === 'fanout') {
      const open = async () => {
        const d = await server.connect(undefined, 1);
        drivers.push(d);
        await d.handshake('legacy');
        return d;
      };
      // Sessions are opened a few at a time: a burst of hundreds of simultaneous handshakes measures the accept queue.
      const subscribers: Driver[] = [];
      for (let i = 0; i < connections; i += OPEN_BATCH) {
        const batch = await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, connections - i) }, open));
        await subscribeAll(batch);
        subscribers.push(...batch);
      }
      const trigger = await open();
      result = await runFanout({ ...common, subscribers, trigger });
    } else {
      const template = requestTemplate(workload, r.era);
      inFlight = r.mode === 'closed' ? r.inFlight : undefined;
      // Opened OPEN_BATCH at a time (as fanout does): one by one, `nmcp load`'s thousands of clients take a handshake
      // round trip each before the load starts; all at once, the burst measures the accept queue. A driver is kept
      // as soon as it connects, and a batch is settled before a failure is thrown, so that every one gets closed.
      const open = async () => {
        const d = await server.connect(template, r.inFlight);
        drivers.push(d);
        await d.handshake(r.era);
      };
      for (let i = 0; i < connections; i += OPEN_BATCH) {
        const batch = await Promise.allSettled(Array.from({ length: Math.min(OPEN_BATCH, connections - i) }, open));
        const failed = batch.find((b) => b.status === 'rejected');
        if (failed) throw failed.reason;
      }
      result = await runLoop({ ...common, drivers, mode: r.mode, inFlight: r.inFlight, rate: r.rate });
    }
  } finally {
    await Promise.all(drivers.map((d) => d.close().catch(() => {})));
    await server.stop();
  }
  if (result.failure) throw result.failure;
  if (result.durationMs <= 0) throw new Error('no measured window (the warm-up did not finish)');
  const seconds = result.durationMs / 1000;
  const cpuMs = usage?.cpuMs;
  const serverUsage: ServerUsage = {
    cpuPercent: cpuMs === undefined || usage === undefined ? undefined : (100 * cpuMs) / usage.wallMs,
    cpuUsPerMessage: cpuMs === undefined || result.messages === 0 ? undefined : (cpuMs * 1000) / result.messages,
    rssBytes: usage?.rss,
  };
  return {
    workload,
    transport,
    server: plan.server,
    serverLabel: plan.label,
    mode: workload === 'fanout' || workload === 'churn' ? 'closed' : r.mode,
    connections,
    inFlight: workload === 'fanout' || workload === 'churn' ? undefined : inFlight,
    offeredRate:
      r.mode === 'open' && inFlight === undefined && workload !== 'fanout' && workload !== 'churn' ? r.rate : undefined,
    durationMs: result.durationMs,
    messages: result.messages,
    perSecond: result.messages / seconds,
    latencyUs: result.latency,
    errors: result.errors,
    lost: result.lost,
    usage: serverUsage,
    timeline: result.timeline,
    run,
    unit: workload === 'fanout' ? 'notifications' : workload === 'churn' ? 'sessions' : 'responses',
    era: r.era,
    unexpected: result.unexpected,
    ...(selfPercent === undefined ? {} : { loadGeneratorCpuPercent: selfPercent }),
    ...(result.scheduleLagUs === undefined ? {} : { scheduleLagUs: result.scheduleLagUs }),
  };
}
