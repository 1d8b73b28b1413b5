/**
 * The rows every renderer shows, computed once: the cases table and the ratios table as cells of plain text, so the
 * terminal, Markdown and HTML outputs cannot disagree on a figure. Each renderer only escapes and lays them out.
 */
import type { BenchCase, BenchReport } from './report.js';
import { fmtSoakDuration, fmtTrend } from './soak-summary.js';
import { fmtBytes, fmtInt, fmtLoad, fmtPercent, fmtRatio, fmtUs, groupCases } from './summary.js';

export interface Table {
  readonly headers: readonly string[];
  /** true = right-aligned (numbers). */
  readonly numeric: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

const usOrDash = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(x < 10 ? 2 : 1));

/** One row per measured case (each run of a repeated case is its own row: the spread stays visible). */
export function casesTable(report: BenchReport): Table {
  const multiRun = report.cases.some((c) => c.run > 1);
  const headers = [
    'workload',
    'transport',
    'server',
    'mode',
    ...(multiRun ? ['run'] : []),
    'msg/s',
    'p50',
    'p99',
    'p99.9',
    'max',
    'CPU %',
    'CPU µs/msg',
    'RSS peak',
    'errors',
    'lost',
  ];
  const numeric = headers.map((h) => !['workload', 'transport', 'server', 'mode'].includes(h));
  // Cases in grouped order: the runs of one case next to each other.
  const ordered: BenchCase[] = groupCases(report.cases).flatMap((g) => [...g.runs].sort((a, b) => a.run - b.run));
  const rows = ordered.map((c) => [
    c.workload,
    c.transport,
    c.serverLabel,
    `${c.mode} (${fmtLoad(c)})`,
    ...(multiRun ? [String(c.run)] : []),
    c.unit === 'notifications' || c.unit === 'sessions' ? `${fmtInt(c.perSecond)} (${c.unit})` : fmtInt(c.perSecond),
    fmtUs(c.latencyUs.p50),
    fmtUs(c.latencyUs.p99),
    fmtUs(c.latencyUs.p999),
    fmtUs(c.latencyUs.max),
    fmtPercent(c.usage.cpuPercent),
    usOrDash(c.usage.cpuUsPerMessage),
    c.usage.rssBytes ? fmtBytes(c.usage.rssBytes.peak) : '—',
    fmtInt(c.errors),
    fmtInt(c.lost),
  ]);
  return { headers, numeric, rows };
}

const PEER_NAMES: Readonly<Record<string, string>> = {
  bare: 'bare floor',
  sdk1: 'SDK 1.x',
  sdk2: 'SDK 2.x',
  target: 'target',
  nmcp: 'nmcp',
  'nmcp-b': 'nmcp B',
};

/** nmcp ÷ each peer, throughput, median over the runs with the min–max spread. */
export function ratiosTable(report: BenchReport): Table {
  const headers = ['workload', 'transport', 'mode', 'nmcp ÷', 'median', 'spread (min – max)'];
  const rows = report.ratios.map((r) => [
    r.workload,
    r.transport,
    r.mode,
    PEER_NAMES[r.peer] ?? r.peer,
    fmtRatio(r.median),
    `${fmtRatio(r.min)} – ${fmtRatio(r.max)}`,
  ]);
  return { headers, numeric: [false, false, false, false, true, true], rows };
}

/** Cases the engine did not run, and why (a peer that does not exist for a transport is said, never faked). */
export function skippedTable(report: BenchReport): Table | undefined {
  const skipped = report.skipped ?? [];
  if (skipped.length === 0) return undefined;
  return {
    headers: ['workload', 'transport', 'server', 'why not run'],
    numeric: [false, false, false, false],
    rows: skipped.map((s) => [s.workload, s.transport, s.server, s.reason]),
  };
}

/** Cases that started and failed: a report with any is not a clean run. */
export function failuresTable(report: BenchReport): Table | undefined {
  const failures = report.failures ?? [];
  if (failures.length === 0) return undefined;
  return {
    headers: ['workload', 'transport', 'server', 'run', 'error'],
    numeric: [false, false, false, true, false],
    rows: failures.map((f) => [f.workload, f.transport, f.server, String(f.run), f.error]),
  };
}

/** The soak's memory figures (RSS and, where reported, heap): start, peak, end, growth and the late trend. */
export function soakTable(report: BenchReport): Table | undefined {
  const soak = report.soak;
  if (!soak) return undefined;
  const row = (what: string, m: { start: number; peak: number; end: number }, trend: number | undefined) => [
    what,
    fmtBytes(m.start),
    fmtBytes(m.peak),
    fmtBytes(m.end),
    `${((m.end - m.start) / 1e6).toFixed(1)} MB`,
    fmtTrend(trend),
  ];
  return {
    headers: ['memory', 'start', 'peak', 'end', 'growth (end − start)', 'trend (2nd half)'],
    numeric: [false, true, true, true, true, true],
    rows: [
      row('RSS', soak.rssBytes, soak.rssTrendBytesPerMinute),
      // Only a server that says its heap has one (nmcp serve with NMCP_REPORT_MEMORY_MS): /proc cannot see it.
      soak.heapUsedBytes
        ? row('V8 heap used', soak.heapUsedBytes, soak.heapUsedTrendBytesPerMinute)
        : ['V8 heap used', 'not reported', '—', '—', '—', '—'],
    ],
  };
}

/** One line describing the soak run. */
export function soakLine(report: BenchReport): string | undefined {
  const soak = report.soak;
  if (!soak) return undefined;
  const rate = soak.offeredRate === undefined ? 'closed loop' : `${fmtInt(soak.offeredRate)} msg/s offered`;
  const how = [
    soak.workload,
    soak.warmupMs === undefined ? undefined : `after ${fmtSeconds(soak.warmupMs)} of warm-up`,
    soak.sampleIntervalMs === undefined ? undefined : `memory sampled every ${fmtSeconds(soak.sampleIntervalMs)}`,
  ].filter((x) => x !== undefined);
  return `Soak: ${soak.server} over ${soak.transport}, ${fmtSoakDuration(soak.durationMs)} at ${rate}${how.length > 0 ? ` (${how.join(', ')})` : ''}; ${fmtInt(soak.messages)} responses (${fmtInt(soak.durationMs > 0 ? (soak.messages * 1000) / soak.durationMs : 0)} msg/s${soak.latencyUs ? `, p99 ${fmtUs(soak.latencyUs.p99)}` : ''}), ${fmtInt(soak.errors)} errors, ${fmtInt(soak.lost)} lost.`;
}

const fmtSeconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toPrecision(3))} s`);
