/**
 * Helpers shared by the readers of a BenchReport (renderers, baselines, report card): grouping the repeated runs of a
 * case, medians, and the number formats every output uses, so that a figure reads the same in the terminal, the
 * Markdown, the HTML page and the regression verdict.
 */
import type { BenchCase, BenchRatio, BenchReport, BenchServer, BenchTransport, BenchWorkload } from './report.js';
import { BENCH_REPORT_VERSION } from './report.js';

/** Everything that identifies a case except its run number: runs of the same key are repeats of one measurement. */
export function caseKey(c: BenchCase): string {
  const load =
    c.mode === 'closed' ? `${c.connections}x${c.inFlight ?? '?'}` : `${c.connections}c@${c.offeredRate ?? '?'}/s`;
  return `${c.workload} ${c.transport} ${c.server} ${c.mode} ${load}`;
}

export function ratioKey(r: BenchRatio): string {
  return `${r.workload} ${r.transport} ${r.mode} nmcp÷${r.peer}`;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The runs of one case, with the medians the comparisons and the report card use. */
export interface CaseGroup {
  readonly key: string;
  readonly workload: BenchWorkload;
  readonly transport: BenchTransport;
  readonly server: BenchServer;
  readonly serverLabel: string;
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  readonly inFlight: number | undefined;
  readonly offeredRate: number | undefined;
  readonly runs: readonly BenchCase[];
  readonly perSecond: number;
  readonly p99Us: number;
  /** Median over the runs that measured it; undefined when none did. */
  readonly cpuPercent: number | undefined;
  readonly cpuUsPerMessage: number | undefined;
  readonly errors: number;
  readonly lost: number;
}

function medianOfDefined(xs: readonly (number | undefined)[]): number | undefined {
  const defined = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return defined.length === 0 ? undefined : median(defined);
}

/** Groups the cases by key, in first-seen order. Errors and lost responses are summed over the runs (never hidden). */
export function groupCases(cases: readonly BenchCase[]): CaseGroup[] {
  const byKey = new Map<string, BenchCase[]>();
  for (const c of cases) {
    const key = caseKey(c);
    const list = byKey.get(key);
    if (list) list.push(c);
    else byKey.set(key, [c]);
  }
  return [...byKey].map(([key, runs]) => {
    const first = runs[0]!;
    return {
      key,
      workload: first.workload,
      transport: first.transport,
      server: first.server,
      serverLabel: first.serverLabel,
      mode: first.mode,
      connections: first.connections,
      inFlight: first.inFlight,
      offeredRate: first.offeredRate,
      runs,
      perSecond: median(runs.map((r) => r.perSecond)),
      p99Us: median(runs.map((r) => r.latencyUs.p99)),
      cpuPercent: medianOfDefined(runs.map((r) => r.usage.cpuPercent)),
      cpuUsPerMessage: medianOfDefined(runs.map((r) => r.usage.cpuUsPerMessage)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
      lost: runs.reduce((n, r) => n + r.lost, 0),
    };
  });
}

/**
 * nmcp ÷ each peer's throughput for every workload × transport × mode measured against both, median over the runs
 * paired by run number (run k of nmcp ÷ run k of the peer: the engine interleaves servers within a run, so a pair
 * shares the machine's state). For an engine that leaves `ratios` empty, and for building reports in tests.
 */
export function ratiosFromCases(cases: readonly BenchCase[]): BenchRatio[] {
  const slot = (c: BenchCase) => `${c.workload} ${c.transport} ${c.mode}`;
  const nmcp = cases.filter((c) => c.server === 'nmcp');
  const out: BenchRatio[] = [];
  const seen = new Set<string>();
  for (const peer of ['bare', 'sdk1', 'sdk2'] as const) {
    for (const n of nmcp) {
      const id = `${slot(n)} ${peer}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const mine = nmcp.filter((c) => slot(c) === slot(n));
      const theirs = cases.filter((c) => c.server === peer && slot(c) === slot(n));
      const values: number[] = [];
      for (const m of mine) {
        const t = theirs.find(
          (x) =>
            x.run === m.run &&
            x.connections === m.connections &&
            x.inFlight === m.inFlight &&
            x.offeredRate === m.offeredRate,
        );
        if (t && t.perSecond > 0) values.push(m.perSecond / t.perSecond);
      }
      if (values.length === 0) continue;
      out.push({
        workload: n.workload,
        transport: n.transport,
        mode: n.mode,
        peer,
        metric: 'perSecond',
        median: median(values),
        min: Math.min(...values),
        max: Math.max(...values),
      });
    }
  }
  return out;
}

/** Throws a clear error unless `value` is a BenchReport of the version this build reads. */
export function assertBenchReport(value: unknown, what = 'the report'): asserts value is BenchReport {
  if (typeof value !== 'object' || value === null) throw new Error(`${what} is not a JSON object`);
  const v = value as { version?: unknown; tool?: unknown; cases?: unknown; ratios?: unknown; machine?: unknown };
  if (v.tool !== 'nmcp bench') throw new Error(`${what} is not an nmcp bench report (tool: ${JSON.stringify(v.tool)})`);
  if (v.version !== BENCH_REPORT_VERSION) {
    throw new Error(
      `${what} is a version ${JSON.stringify(v.version)} bench report; this nmcp reads version ${BENCH_REPORT_VERSION}. ` +
        'Re-measure it with this nmcp (e.g. --save-baseline NAME again) rather than comparing across formats.',
    );
  }
  if (!Array.isArray(v.cases) || !Array.isArray(v.ratios) || typeof v.machine !== 'object' || v.machine === null) {
    throw new Error(`${what} lacks cases, ratios or machine`);
  }
}

// ---- formats

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

/** Microseconds as µs below 1 ms, ms with two (below 10 ms) or one decimal below 1 s, else seconds. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const mib = bytes / 1024 / 1024;
  return `${mib.toFixed(mib < 10 && mib > -10 ? 1 : 0)} MiB`;
}

export const fmtPercent = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(0)}%`);
export const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
export const fmtChange = (x: number): string =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : '—';

/** "64 in flight × 1 conn" or "10,000/s offered × 4 conn". */
export function fmtLoad(c: {
  mode: 'closed' | 'open';
  connections: number;
  inFlight: number | undefined;
  offeredRate: number | undefined;
}): string {
  const conns = `${c.connections} conn`;
  return c.mode === 'closed'
    ? `${c.inFlight ?? '?'} in flight × ${conns}`
    : `${c.offeredRate === undefined ? '?' : fmtInt(c.offeredRate)}/s offered × ${conns}`;
}

/** A one-line description of the machine, for headers and verdicts. */
export function fmtMachine(m: BenchReport['machine']): string {
  return `${m.cpuModel} × ${m.cpus}, ${fmtBytes(m.memoryBytes)} RAM, ${m.platform}/${m.arch}, Node ${m.node}, nmcp ${m.nmcpVersion} (${m.core}), host ${m.hostname}`;
}
