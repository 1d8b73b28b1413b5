/**
 * The A/B of two nmcp configurations (`nmcp bench --config A --vs-config B`): B ÷ A per run — the two measured back to
 * back, so drift on a shared machine hits both alike — then the median and the spread over runs, and the lines and
 * table every output shows. A verdict is given only when every run agrees, since one run's ratio is mostly noise.
 */
import type { Table } from './render-rows.js';
import type { BenchAb, BenchAbRatio, BenchCase, BenchReport, BenchSpread } from './report.js';

/** Fewer runs than this never give a verdict: 2 runs on one side of 1 happen by chance half the time. */
export const AB_VERDICT_MIN_RUNS = 3;

export function spreadOf(values: readonly number[]): BenchSpread | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number };
}

/** Which side of 1 the whole spread is on, if any, or that there are too few runs to say. */
function side(spread: BenchSpread | undefined, runs: number): 'above' | 'below' | 'few' | undefined {
  if (spread === undefined) return undefined;
  if (runs < AB_VERDICT_MIN_RUNS) return 'few';
  return spread.min > 1 ? 'above' : spread.max < 1 ? 'below' : undefined;
}

/** B ÷ A per workload × transport × mode, paired by run (and identical load), over the runs where both completed. */
export function computeAbRatios(cases: readonly BenchCase[]): BenchAbRatio[] {
  const slot = (c: BenchCase) =>
    `${c.workload}|${c.transport}|${c.mode}|${c.connections}|${c.inFlight ?? ''}|${c.offeredRate ?? ''}`;
  const out: BenchAbRatio[] = [];
  const seen = new Set<string>();
  for (const first of cases) {
    if (first.server !== 'nmcp' || seen.has(slot(first))) continue;
    seen.add(slot(first));
    const perSecond: number[] = [];
    const cpu: number[] = [];
    const p99: number[] = [];
    let cpuEveryRun = true;
    for (const a of cases.filter((c) => c.server === 'nmcp' && slot(c) === slot(first))) {
      const b = cases.find((c) => c.server === 'nmcp-b' && c.run === a.run && slot(c) === slot(a));
      if (b === undefined || a.perSecond <= 0) continue;
      perSecond.push(b.perSecond / a.perSecond);
      if (a.latencyUs.p99 > 0) p99.push(b.latencyUs.p99 / a.latencyUs.p99);
      const ca = a.usage.cpuUsPerMessage;
      const cb = b.usage.cpuUsPerMessage;
      if (ca !== undefined && cb !== undefined && ca > 0) cpu.push(cb / ca);
      else cpuEveryRun = false;
    }
    const throughput = spreadOf(perSecond);
    if (throughput === undefined) continue;
    const runs = perSecond.length;
    // A CPU spread over only some of the runs would not be the same comparison as the throughput's.
    const cpuSpread = cpuEveryRun ? spreadOf(cpu) : undefined;
    const t = side(throughput, runs);
    const c = side(cpuSpread, runs);
    out.push({
      workload: first.workload,
      transport: first.transport,
      mode: first.mode,
      runs,
      perSecond: throughput,
      cpuUsPerMessage: cpuSpread,
      p99: spreadOf(p99) ?? { median: Number.NaN, min: Number.NaN, max: Number.NaN },
      verdict:
        t === 'above' ? 'B faster' : t === 'below' ? 'B slower' : t === 'few' ? 'too few runs' : 'no clear difference',
      cpuVerdict:
        c === 'below'
          ? 'B cheaper'
          : c === 'above'
            ? 'B costlier'
            : c === 'few'
              ? 'too few runs'
              : 'no clear difference',
    });
  }
  return out;
}

const x = (n: number) => `${n.toFixed(2)}×`;
const range = (s: BenchSpread) => `${x(s.median)} [${s.min.toFixed(2)} … ${s.max.toFixed(2)}]`;

/** "A = nmcp (defaults), B = nmcp (b.json)". */
export function abSides(ab: BenchAb): string {
  return `A = ${ab.a.configPath ?? 'nmcp defaults'}, B = ${ab.b.configPath ?? 'nmcp defaults'}`;
}

/** "B faster, B cheaper per message": the throughput verdict, and the CPU one when it says something. */
export function verdictText(r: BenchAbRatio): string {
  if (r.verdict === 'too few runs') return `too few runs for a verdict (${AB_VERDICT_MIN_RUNS}+; 5 recommended)`;
  return r.cpuVerdict === 'B cheaper' || r.cpuVerdict === 'B costlier'
    ? `${r.verdict}, ${r.cpuVerdict} per message`
    : r.verdict;
}

/** The terminal's A/B lines: one per workload × transport, with the verdicts that every run supports. */
export function abLines(report: BenchReport): string[] {
  const ab = report.ab;
  if (ab === undefined) return [];
  const lines = [
    `A/B (${abSides(ab)}; each run measures both back to back, in the order A B, then B A; B ÷ A median [min … max]):`,
  ];
  if (ab.ratios.length === 0) lines.push('  no run completed both A and B');
  for (const r of ab.ratios) {
    const cpu = r.cpuUsPerMessage === undefined ? 'CPU/msg n/a' : `CPU/msg ${range(r.cpuUsPerMessage)}`;
    lines.push(
      `  A/B ${r.workload} ${r.transport}${r.mode === 'open' ? ' open' : ''}: B÷A throughput ${range(r.perSecond)} over ${r.runs} run${r.runs === 1 ? '' : 's'}; ${cpu}; p99 ${x(r.p99.median)} → ${verdictText(r)}`,
    );
  }
  return lines;
}

/** The A/B table of the Markdown and HTML reports. */
export function abTable(report: BenchReport): Table | undefined {
  const ab = report.ab;
  if (ab === undefined) return undefined;
  return {
    headers: ['workload', 'transport', 'mode', 'runs', 'msg/s B ÷ A', 'CPU µs/msg B ÷ A', 'p99 B ÷ A', 'verdict'],
    numeric: [false, false, false, true, true, true, true, false],
    rows: ab.ratios.map((r) => [
      r.workload,
      r.transport,
      r.mode,
      String(r.runs),
      range(r.perSecond),
      r.cpuUsPerMessage === undefined ? '—' : range(r.cpuUsPerMessage),
      range(r.p99),
      verdictText(r),
    ]),
  };
}

/** The note above the A/B table: what was compared and how to read it. */
export function abNote(ab: BenchAb): string {
  return (
    `${abSides(ab)}. Each run measures A and B back to back (A B, then B A, alternating), so drift on a shared machine ` +
    'hits both; the ratio is per run, then the median and the smallest and largest over runs. A verdict is given only ' +
    `when every run's ratio is on the same side of 1, over ${AB_VERDICT_MIN_RUNS} runs or more. ` +
    `A: ${JSON.stringify(ab.a.config)}; B: ${JSON.stringify(ab.b.config)}.`
  );
}
