// Synthetic BenchReports for the readers' unit tests (renderers, report card, baseline compare). Every figure here is
// a test input chosen to sit on a known side of a threshold, not a measurement.
import { BENCH_REPORT_VERSION, type BenchCase, type BenchReport, type MachineInfo } from '../../src/bench/report.js';
import { ratiosFromCases } from '../../src/bench/summary.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export const MACHINE: MachineInfo = {
  hostname: 'ci-box',
  platform: 'linux',
  arch: 'x64',
  cpus: 2,
  cpuModel: 'Test CPU @ 2.0GHz',
  memoryBytes: 8 * 1024 ** 3,
  node: 'v20.19.0',
  core: 'native 0.1.0',
  nmcpVersion: '0.1.0',
};

export function makeCase(over: Partial<Mutable<BenchCase>> = {}): BenchCase {
  const perSecond = over.perSecond ?? 20_000;
  const durationMs = over.durationMs ?? 2000;
  return {
    workload: 'echo-200b',
    transport: 'stdio',
    server: 'nmcp',
    serverLabel: 'nmcp',
    mode: 'closed',
    connections: 1,
    inFlight: 64,
    offeredRate: undefined,
    durationMs,
    messages: Math.round((perSecond * durationMs) / 1000),
    perSecond,
    latencyUs: {
      p50: 300,
      p90: 500,
      p99: 800,
      p999: 1500,
      max: 4000,
      mean: 350,
      count: 40_000,
      distribution: [
        [0, 100],
        [50, 300],
        [90, 500],
        [99, 800],
        [99.9, 1500],
        [100, 4000],
      ],
    },
    errors: 0,
    lost: 0,
    usage: { cpuPercent: 60, cpuUsPerMessage: 30, rssBytes: { start: 50e6, peak: 60e6, end: 55e6 } },
    timeline: [
      { tMs: 0, messages: Math.round(perSecond / 2) },
      { tMs: 500, messages: Math.round(perSecond / 2) },
      { tMs: 1000, messages: Math.round(perSecond / 2) },
      { tMs: 1500, messages: Math.round(perSecond / 2) },
    ],
    run: 1,
    ...over,
  };
}

export function makeReport(cases: BenchCase[], over: Partial<Mutable<BenchReport>> = {}): BenchReport {
  return {
    version: BENCH_REPORT_VERSION,
    tool: 'nmcp bench',
    startedAt: '2026-11-27T02:00:00.000Z',
    finishedAt: '2026-11-27T02:01:00.000Z',
    machine: MACHINE,
    options: { peers: true, runs: 3 },
    cases,
    ratios: ratiosFromCases(cases),
    ...over,
  };
}

/** nmcp and the bare floor (and SDK 1.x) on stdio, `runs` runs each, nmcp at `nmcpRate` msg/s. */
export function pairReport(nmcpRate: number, runs = 3, over: Partial<Mutable<BenchReport>> = {}): BenchReport {
  const cases: BenchCase[] = [];
  for (let run = 1; run <= runs; run++) {
    // A little run-to-run spread, as a real machine has.
    const wobble = 1 + (run - 2) * 0.01;
    cases.push(makeCase({ run, perSecond: nmcpRate * wobble }));
    cases.push(makeCase({ run, server: 'bare', serverLabel: 'bare Node NDJSON echo', perSecond: 50_000 * wobble }));
    cases.push(makeCase({ run, server: 'sdk1', serverLabel: '@modelcontextprotocol/sdk 1.32.2', perSecond: 8000 }));
  }
  return makeReport(cases, over);
}
