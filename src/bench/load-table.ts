/**
 * What `nmcp load` prints: the conditions, one row of figures (the same ones `nmcp bench` reports, with RSS as start /
 * peak / end since memory under many sessions is half of what a load test is for), then a one-line verdict.
 */
import { int, mb, us } from './console-table.js';
import type { BenchCase, BenchReport } from './report.js';

/** A clean run: the case completed, every response a success, none lost. */
export function loadIsClean(report: BenchReport): boolean {
  return (
    (report.failures?.length ?? 0) === 0 &&
    report.cases.length > 0 &&
    report.cases.every((c) => c.errors === 0 && c.lost === 0)
  );
}

function conditions(report: BenchReport): string {
  const o = report.options;
  const c = report.cases[0];
  const transport = c?.transport ?? (o.transports as readonly string[] | undefined)?.[0] ?? '?';
  const server = c?.serverLabel ?? (o.target === undefined ? 'nmcp' : String(o.target));
  const workload = c?.workload ?? (o.workloads as readonly string[] | undefined)?.[0] ?? '?';
  const loop =
    o.mode === 'open'
      ? `open loop at ${int(Number(o.rate))} req/s offered by all clients together (latency from the intended send time)`
      : `closed loop, ${String(o.inFlight)} request${o.inFlight === 1 ? '' : 's'} in flight per client`;
  return `nmcp load — ${int(Number(o.clients ?? o.connections))} clients → ${server} over ${transport}, ${workload}; ${loop}; ${Number(o.durationMs) / 1000} s (+${Number(o.warmupMs) / 1000} s warm-up); era ${String(o.era)}`;
}

function row(c: BenchCase): string[] {
  const rss = c.usage.rssBytes;
  return [
    int(c.connections),
    int(c.perSecond),
    us(c.latencyUs.p50),
    us(c.latencyUs.p90),
    us(c.latencyUs.p99),
    us(c.latencyUs.p999),
    us(c.latencyUs.max),
    c.usage.cpuPercent === undefined ? 'n/a' : `${c.usage.cpuPercent.toFixed(0)}%`,
    rss === undefined ? 'n/a' : `${mb(rss.start)} / ${mb(rss.peak)} / ${mb(rss.end)}`,
    c.loadGeneratorCpuPercent === undefined ? 'n/a' : `${c.loadGeneratorCpuPercent.toFixed(0)}%`,
    String(c.errors),
    String(c.lost),
  ];
}

export function loadTable(report: BenchReport): string {
  const mi = report.machine;
  const lines = [
    conditions(report),
    `${mi.cpus} × ${mi.cpuModel}, ${mb(mi.memoryBytes)}; node ${mi.node}, ${mi.platform}-${mi.arch}; nmcp ${mi.nmcpVersion}, core ${mi.core}`,
    '',
  ];
  const header = [
    'clients',
    'msg/s',
    'p50',
    'p90',
    'p99',
    'p99.9',
    'max',
    'server CPU',
    'server RSS start / peak / end',
    'gen CPU',
    'errors',
    'lost',
  ];
  if (report.cases.length > 0) {
    lines.push(`| ${header.join(' | ')} |`);
    lines.push(`|${header.map(() => '---:').join('|')}|`);
    for (const c of report.cases) lines.push(`| ${row(c).join(' | ')} |`);
    lines.push('');
    lines.push(
      'server CPU: 100% = one core (n/a for a URL target: not our process); gen CPU: this load generator, on the same machine.',
    );
    const lag = report.cases[0]?.scheduleLagUs;
    // An open loop's latency counts from the due time: the generator's own lateness must be small beside it.
    if (lag !== undefined) {
      lines.push(
        `schedule lag (write time − due time): p50 ${us(lag.p50)}, p99 ${us(lag.p99)}, max ${us(lag.max)}${lag.p99 > 1000 ? ' — the generator or the machine fell behind: part of the latency is its own' : ''}`,
      );
    }
  } else lines.push('(the load test did not complete)');
  for (const f of report.failures ?? []) lines.push(`FAILED: ${f.error.split('\n')[0]}`);
  lines.push(loadSummary(report));
  return `${lines.join('\n')}\n`;
}

/** One line: clean or not, and the figures that say so. */
export function loadSummary(report: BenchReport): string {
  const c = report.cases[0];
  if (c === undefined) return 'nmcp load: NOT clean — the load test failed before it measured anything';
  const verdict = loadIsClean(report) ? 'clean' : 'NOT clean';
  const offered = c.offeredRate === undefined ? '' : ` of ${int(c.offeredRate)} offered`;
  return `nmcp load: ${verdict} — ${int(c.connections)} clients, ${int(c.messages)} responses in ${(c.durationMs / 1000).toFixed(1)} s (${int(c.perSecond)} msg/s${offered}), p99 ${us(c.latencyUs.p99)}, max ${us(c.latencyUs.max)}; errors ${c.errors}, lost ${c.lost}`;
}
