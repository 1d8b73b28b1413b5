/**
 * runSoak(): the engine behind `nmcp bench soak`. One server, one connection, an open loop at a fixed rate for a long
 * window (default 10 minutes at 10,000 msg/s), with the server's memory sampled all along: RSS from /proc (any local
 * server process), the V8 heap from the server's own `nmcp serve: memory {…}` lines on stderr (nmcp asked with
 * NMCP_REPORT_MEMORY_MS; a --target that does not print them has no heap figure). The result is a BenchReport with
 * one case (the window's throughput and latency) and `soak` (memory start/peak/end, growth, trend, samples), which
 * the report card judges against the seed's "< 50 MB growth under sustained load".
 */
import { splitCommand } from '../cli/split-command.js';
import type { Driver } from './driver.js';
import { type LoopResult, runLoop } from './load-loop.js';
import { machineInfo } from './machine.js';
import { processRssBytes, UsageMeter } from './proc-usage.js';
import {
  BENCH_REPORT_VERSION,
  type BenchCase,
  type BenchFailure,
  type BenchReport,
  type BenchTransport,
  type BenchWorkload,
  type SoakSummary,
} from './report.js';
import { type Era, requestTemplate } from './requests.js';
import { BENCH_TRANSPORTS } from './run-bench.js';
import { isUrlTarget, launch, nmcpPlan, targetPlan } from './servers.js';
import { MemoryLineReader, type SoakSample, summarizeSamples } from './soak-summary.js';

/** The request workloads a soak can send (fanout and churn are not a steady stream of requests on one session). */
export const SOAK_WORKLOADS: readonly BenchWorkload[] = [
  'echo-200b',
  'echo-4k',
  'echo-64k',
  'echo-1m',
  'tools-list-1000',
];

export interface SoakProgress {
  readonly phase: 'warm-up' | 'soak' | 'drain';
  /** Elapsed warm-up + soak, ms, and what both take. */
  readonly elapsedMs: number;
  readonly totalMs: number;
  /** The server's RSS now (undefined when it cannot be read), and its last reported heap. */
  readonly rssBytes: number | undefined;
  readonly heapUsedBytes: number | undefined;
}

export interface SoakOptions {
  /** Default 'stdio' (one server process per connection: its RSS is the session's server, nothing else). */
  transport?: BenchTransport;
  /** Default 'echo-200b'. */
  workload?: BenchWorkload;
  /** Offered requests per second, open loop (default 10,000). */
  rate?: number;
  /** The measured soak, ms (default 600,000: ten minutes). */
  durationMs?: number;
  /** Before memory's `start` is taken, ms (default 10,000): start-up growth is not what a soak looks for. */
  warmupMs?: number;
  /** Memory sampling interval, ms (default 1,000; at least 10). */
  sampleIntervalMs?: number;
  /** Soak this server instead of nmcp: a command line, spoken to over stdio (its process is read in /proc). */
  target?: string;
  /** legacy (default) or modern. */
  era?: Era;
  /** How long the last answers are waited for before they count as lost (default 10,000 ms). */
  drainTimeoutMs?: number;
  /** Environment of the server process (default process.env); NMCP_REPORT_MEMORY_MS is set on top. */
  env?: NodeJS.ProcessEnv;
  /** About every 250 ms. */
  onProgress?: (progress: SoakProgress) => void;
  /** Each memory sample as it is taken. */
  onSample?: (sample: SoakSample) => void;
}

interface Resolved {
  transport: BenchTransport;
  workload: BenchWorkload;
  rate: number;
  durationMs: number;
  warmupMs: number;
  sampleIntervalMs: number;
  target: string | undefined;
  era: Era;
  drainTimeoutMs: number;
}

/** Checks options; returns what is wrong, or the options with defaults. */
export function resolveSoakOptions(o: SoakOptions): Resolved | string {
  const transport = o.transport ?? 'stdio';
  if (!BENCH_TRANSPORTS.includes(transport)) {
    return `unknown transport ${JSON.stringify(transport)}; use one of ${BENCH_TRANSPORTS.join(', ')}`;
  }
  const workload = o.workload ?? 'echo-200b';
  if (!SOAK_WORKLOADS.includes(workload)) {
    return `a soak sends one request workload: ${SOAK_WORKLOADS.join(', ')} (got ${JSON.stringify(workload)})`;
  }
  const int = (name: string, v: number | undefined, min: number, def: number): number | string => {
    const n = v ?? def;
    return Number.isInteger(n) && n >= min ? n : `${name} must be a whole number ≥ ${min}, got ${v}`;
  };
  const fields = {
    rate: int('rate', o.rate, 1, 10_000),
    durationMs: int('durationMs', o.durationMs, 100, 600_000),
    warmupMs: int('warmupMs', o.warmupMs, 0, 10_000),
    sampleIntervalMs: int('sampleIntervalMs', o.sampleIntervalMs, 10, 1000),
    drainTimeoutMs: int('drainTimeoutMs', o.drainTimeoutMs, 100, 10_000),
  };
  for (const v of Object.values(fields)) if (typeof v === 'string') return v;
  const durationMs = fields.durationMs as number;
  const sampleIntervalMs = fields.sampleIntervalMs as number;
  // A trend needs points: five samples is the least that says anything about a second half.
  if (durationMs < 5 * sampleIntervalMs) {
    return `the soak (${durationMs} ms) must hold at least 5 memory samples of ${sampleIntervalMs} ms: lengthen it or sample more often`;
  }
  if (o.target !== undefined) {
    if (isUrlTarget(o.target)) {
      return 'a URL target is not a process of ours, so its memory cannot be read: give the command that starts it (spoken to over stdio)';
    }
    if (transport !== 'stdio') return 'a command target is spoken to over stdio only';
    try {
      if (splitCommand(o.target).length === 0) return 'the target command is empty';
    } catch (err) {
      return `cannot split the target command: ${(err as Error).message}`;
    }
  }
  const era = o.era ?? 'legacy';
  if (era !== 'legacy' && era !== 'modern') return `era must be legacy or modern, got ${JSON.stringify(era)}`;
  return {
    transport,
    workload,
    rate: fields.rate as number,
    durationMs,
    warmupMs: fields.warmupMs as number,
    sampleIntervalMs,
    target: o.target,
    era,
    drainTimeoutMs: fields.drainTimeoutMs as number,
  };
}

/** Sum of VmRSS over the pids, or undefined when any cannot be read (a process gone, not Linux). */
function rssOf(pids: readonly number[]): number | undefined {
  if (pids.length === 0) return undefined;
  let sum = 0;
  for (const pid of pids) {
    const r = processRssBytes(pid);
    if (r === undefined) return undefined;
    sum += r;
  }
  return sum;
}

export async function runSoak(options: SoakOptions = {}): Promise<BenchReport> {
  const r = resolveSoakOptions(options);
  if (typeof r === 'string') throw new TypeError(`runSoak: ${r}`);
  const startedAt = new Date().toISOString();
  const plan = r.target === undefined ? nmcpPlan(r.transport, r.workload) : targetPlan(r.target, r.transport);
  const heap = new MemoryLineReader();
  const samples: SoakSample[] = [];
  let result: LoopResult | undefined;
  let usage: ReturnType<UsageMeter['stop']> | undefined;
  let selfPercent: number | undefined;
  let failure: string | undefined;
  try {
    const server = await launch(plan, {
      transport: r.transport,
      ...(r.target === undefined ? {} : { targetCommand: splitCommand(r.target) }),
      // The server reports its heap as often as it is sampled: each sample then carries a report at most one interval old.
      env: { ...(options.env ?? process.env), NMCP_REPORT_MEMORY_MS: String(r.sampleIntervalMs) },
      onStderr: heap.push,
    });
    const drivers: Driver[] = [];
    let meter: UsageMeter | undefined;
    let sampler: NodeJS.Timeout | undefined;
    let self0: NodeJS.CpuUsage | undefined;
    let t0 = 0;
    let phase: SoakProgress['phase'] = 'warm-up';
    const sample = () => {
      const rssBytes = rssOf(server.pids);
      if (rssBytes === undefined) return;
      const heapUsedBytes = heap.latest?.heapUsed;
      const s = {
        tMs: Math.round(performance.now() - t0),
        rssBytes,
        ...(heapUsedBytes === undefined ? {} : { heapUsedBytes }),
      };
      samples.push(s);
      options.onSample?.(s);
    };
    try {
      const template = requestTemplate(r.workload, r.era);
      const d = await server.connect(template, 1);
      drivers.push(d);
      await d.handshake(r.era);
      result = await runLoop({
        drivers,
        mode: 'open',
        inFlight: 1,
        rate: r.rate,
        warmupMs: r.warmupMs,
        durationMs: r.durationMs,
        drainTimeoutMs: r.drainTimeoutMs,
        onMeasureStart() {
          phase = 'soak';
          t0 = performance.now();
          meter = new UsageMeter(server.pids);
          meter.start();
          self0 = process.cpuUsage();
          sample();
          sampler = setInterval(sample, r.sampleIntervalMs);
        },
        onMeasureEnd() {
          clearInterval(sampler);
          sample();
          phase = 'drain';
          usage = meter?.stop();
          if (self0 && usage) {
            const c = process.cpuUsage(self0);
            selfPercent = (100 * (c.user + c.system)) / 1000 / usage.wallMs;
          }
        },
        onProgress: options.onProgress
          ? (elapsedMs) =>
              options.onProgress?.({
                phase,
                elapsedMs: Math.min(elapsedMs, r.warmupMs + r.durationMs),
                totalMs: r.warmupMs + r.durationMs,
                rssBytes: rssOf(server.pids),
                heapUsedBytes: heap.latest?.heapUsed,
              })
          : undefined,
      });
    } finally {
      clearInterval(sampler);
      await Promise.all(drivers.map((d) => d.close().catch(() => {})));
      await server.stop();
    }
    if (result.failure) failure = result.failure.message;
    else if (result.durationMs <= 0) failure = 'no measured window (the warm-up did not finish)';
    else if (samples.length < 2) failure = "the server's RSS could not be read from /proc (a soak needs Linux)";
  } catch (err) {
    failure = (err as Error).message;
  }

  // mode and runs as runBench records them, so that what reads a report's options (the terminal table) reads these too.
  const recorded = { soak: true, mode: 'open', runs: 1, ...r };
  const base = {
    version: BENCH_REPORT_VERSION,
    tool: 'nmcp bench',
    startedAt,
    machine: machineInfo(),
    options: recorded,
    ratios: [],
    skipped: [],
  } as const;
  const figures = summarizeSamples(samples);
  if (failure !== undefined || result === undefined || figures === undefined) {
    const f: BenchFailure = {
      workload: r.workload,
      transport: r.transport,
      server: plan.server,
      run: 1,
      error: failure ?? 'the soak did not run',
    };
    return { ...base, finishedAt: new Date().toISOString(), cases: [], failures: [f] };
  }
  const cpuMs = usage?.cpuMs;
  const c: BenchCase = {
    workload: r.workload,
    transport: r.transport,
    server: plan.server,
    serverLabel: plan.label,
    mode: 'open',
    connections: 1,
    inFlight: undefined,
    offeredRate: r.rate,
    durationMs: result.durationMs,
    messages: result.messages,
    perSecond: result.messages / (result.durationMs / 1000),
    latencyUs: result.latency,
    errors: result.errors,
    lost: result.lost,
    usage: {
      cpuPercent: cpuMs === undefined || usage === undefined ? undefined : (100 * cpuMs) / usage.wallMs,
      cpuUsPerMessage: cpuMs === undefined || result.messages === 0 ? undefined : (cpuMs * 1000) / result.messages,
      rssBytes: usage?.rss,
    },
    timeline: result.timeline,
    run: 1,
    unit: 'responses',
    era: r.era,
    unexpected: result.unexpected,
    ...(selfPercent === undefined ? {} : { loadGeneratorCpuPercent: selfPercent }),
    // How late the load generator itself wrote requests: a stall of its own shows here, not as the server's latency.
    ...(result.scheduleLagUs === undefined ? {} : { scheduleLagUs: result.scheduleLagUs }),
  };
  const soak: SoakSummary = {
    transport: r.transport,
    server: plan.server,
    durationMs: result.durationMs,
    offeredRate: r.rate,
    messages: result.messages,
    errors: result.errors,
    lost: result.lost,
    ...figures,
    samples,
    workload: r.workload,
    latencyUs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      p999: result.latency.p999,
      max: result.latency.max,
    },
    sampleIntervalMs: r.sampleIntervalMs,
    warmupMs: r.warmupMs,
  };
  return { ...base, finishedAt: new Date().toISOString(), cases: [c], failures: [], soak };
}
