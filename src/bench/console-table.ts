/**
 * The human summary `nmcp bench` prints on stdout: one row per workload × transport × server (medians over the runs,
 * with every run's figure so the spread is visible), then the ratios, then what was skipped or failed and why.
 * (The Markdown and HTML reports of --full-report are render-*.ts; this is the terminal's plain table.)
 */
import { abLines } from './ab.js';
import type { BenchCase, BenchReport } from './report.js';
import { median } from './run-bench.js';

// Exported for `nmcp load`'s table (load-table.ts): the same figures, formatted the same way.
export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const us = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} ms` : `${int(n)} µs`);
export const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(0)} MB`;

export function consoleTable(report: BenchReport): string {
  const groups = new Map<string, BenchCase[]>();
  for (const c of report.cases) {
    const k = `${c.workload}|${c.transport}|${c.mode}|${c.server}`;
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  const header = [
    'workload',
    'transport',
    'server',
    'msg/s (median)',
    'runs',
    'p50',
    'p99',
    'p99.9',
    'max',
    'CPU',
    'CPU µs/msg',
    'RSS peak',
    'gen CPU',
    'errors',
    'lost',
  ];
  const rows: string[][] = [];
  for (const g of groups.values()) {
    const c = g[0] as BenchCase;
    const m = (f: (x: BenchCase) => number | undefined) => {
      const xs = g.map(f).filter((x): x is number => x !== undefined);
      return xs.length === g.length ? median(xs) : undefined;
    };
    const cpu = m((x) => x.usage.cpuPercent);
    const cpuPerMsg = m((x) => x.usage.cpuUsPerMessage);
    const rss = m((x) => x.usage.rssBytes?.peak);
    const gen = m((x) => x.loadGeneratorCpuPercent);
    const unit = c.unit === 'sessions' ? ' sessions/s' : c.unit === 'notifications' ? ' notif./s' : '';
    rows.push([
      c.workload,
      c.transport,
      c.server === 'nmcp' || c.server === 'nmcp-b' || c.server === 'target'
        ? c.serverLabel
        : `${c.server}: ${c.serverLabel}`,
      `${int(m((x) => x.perSecond) ?? 0)}${unit}`,
      g.map((x) => int(x.perSecond)).join(' / '),
      us(m((x) => x.latencyUs.p50) ?? 0),
      us(m((x) => x.latencyUs.p99) ?? 0),
      us(m((x) => x.latencyUs.p999) ?? 0),
      us(Math.max(...g.map((x) => x.latencyUs.max))),
      cpu === undefined ? 'n/a' : `${cpu.toFixed(0)}%`,
      cpuPerMsg === undefined ? 'n/a' : cpuPerMsg.toFixed(1),
      rss === undefined ? 'n/a' : mb(rss),
      gen === undefined ? 'n/a' : `${gen.toFixed(0)}%`,
      String(g.reduce((n, x) => n + x.errors, 0)),
      String(g.reduce((n, x) => n + x.lost, 0)),
    ]);
  }
  const opts = report.options;
  const first = report.cases[0];
  const lines: string[] = [];
  lines.push(
    `nmcp bench — ${first?.mode === 'open' ? `open loop at ${int(Number(opts.rate))} req/s offered (latency from the intended send time)` : `closed loop, ${String(opts.inFlight)} in flight per connection`}; ${String(opts.runs)} run(s) × ${Number(opts.durationMs) / 1000} s (+${Number(opts.warmupMs) / 1000} s warm-up); era ${String(opts.era)}`,
  );
  const mi = report.machine;
  lines.push(
    `${mi.cpus} × ${mi.cpuModel}, ${mb(mi.memoryBytes)}; node ${mi.node}, ${mi.platform}-${mi.arch}; nmcp ${mi.nmcpVersion}, core ${mi.core}`,
  );
  lines.push('');
  lines.push(
    'CPU = the server process (100% = one core); gen CPU = this load generator, which shares the machine with it.',
  );
  if (rows.length > 0) {
    lines.push(`| ${header.join(' | ')} |`);
    lines.push(`|${header.map((_, i) => (i >= 3 && i !== 4 ? '---:' : '---')).join('|')}|`);
    for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  } else lines.push('(no case completed)');
  if (report.ratios.length > 0) {
    lines.push('');
    lines.push(
      'nmcp ÷ peer, messages/s (median of the per-run ratios; each run measured both back to back) [min … max]:',
    );
    for (const r of report.ratios) {
      lines.push(
        `  ${r.workload} ${r.transport}: nmcp/${r.peer} ${r.median.toFixed(2)}× [${r.min.toFixed(2)} … ${r.max.toFixed(2)}]`,
      );
    }
  }
  const lagged = report.cases.filter((c) => c.scheduleLagUs !== undefined);
  if (lagged.length > 0) {
    // An open loop's latency counts from the due time: the generator's own lateness must be small beside it.
    const worst = Math.max(...lagged.map((c) => c.scheduleLagUs?.p99 ?? 0));
    lines.push('');
    lines.push(
      `Load generator schedule lag (write time − due time), worst p99 over the cases: ${us(worst)}${worst > 100 ? ' — the generator or the machine fell behind: part of the latency above is its own' : ' (on schedule)'}.`,
    );
  }
  const ab = abLines(report);
  if (ab.length > 0) lines.push('', ...ab);
  const skipped = report.skipped ?? [];
  if (skipped.length > 0) {
    lines.push('');
    const seen = new Set<string>();
    for (const s of skipped) {
      const text = `  skipped ${s.workload} ${s.transport} ${s.server}: ${s.reason}`;
      if (!seen.has(text)) lines.push(text);
      seen.add(text);
    }
  }
  const failures = report.failures ?? [];
  if (failures.length > 0) {
    lines.push('');
    for (const f of failures) {
      lines.push(`  FAILED ${f.workload} ${f.transport} ${f.server} run ${f.run}: ${f.error.split('\n')[0]}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
