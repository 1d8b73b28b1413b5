/**
 * The rows every renderer shows, computed once: the cases table and the ratios table as cells of plain text, so the
 * terminal, Markdown and HTML outputs cannot disagree on a figure. Each renderer only escapes and lays them out.
 */
import type { BenchCase, BenchReport } from './report.js';
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
    fmtInt(c.perSecond),
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
