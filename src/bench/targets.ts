/**
 * The seed's performance targets as a report card (`nmcp bench --targets`), judged on nmcp's own cases in a report.
 * From the erlmcp performance tuning guide, "Performance Targets / Primary Objectives":
 *   Throughput  10,000+ messages/second per transport
 *   Latency     <1ms P99 for local operations      (an open-loop figure: at 10,000 msg/s offered, corrected for
 *                                                   coordinated omission — a closed loop's p99 says nothing about it)
 *   Memory      <50MB growth under sustained load  (the soak)
 *   CPU         <80% utilization under peak load   (the server process at the target rate, in % of one core)
 * A row passes only on a measured figure, which it quotes; anything the report did not measure says so.
 */
import type { BenchReport, BenchTransport } from './report.js';
import { fmtSoakDuration, fmtTrend } from './soak-summary.js';
import {
  type CaseGroup,
  fmtBytes,
  fmtInt,
  fmtLoad,
  fmtPercent,
  fmtRatio,
  fmtUs,
  groupCases,
  ratiosFromCases,
} from './summary.js';

export const TARGET_MSG_PER_S = 10_000;
export const TARGET_P99_US = 1000;
export const TARGET_MEMORY_GROWTH_BYTES = 50_000_000;
export const TARGET_CPU_PERCENT = 80;

/** Every transport `nmcp bench` serves: the report card lists each, so one left unmeasured shows as such. */
export const ALL_TRANSPORTS: readonly BenchTransport[] = ['stdio', 'tcp', 'tcp-ndjson', 'unix', 'http', 'http2'];

export type TargetId = 'throughput' | 'p99' | 'memory' | 'cpu' | 'ratio';

/**
 * The ratio targets of the benchmark issue on a 2-core machine (nmcp ÷ peer throughput, echo-200b, closed loop, 64 in
 * flight, same run): stdio ≥ 5× SDK 1.x and at or above the bare Node floor; HTTP ≥ 4× SDK 1.x and ≥ 90% of a bare
 * fastify JSON echo.
 */
export const RATIO_TARGETS: readonly {
  readonly transport: BenchTransport;
  readonly peer: 'sdk1' | 'bare';
  readonly atLeast: number;
  readonly peerName: string;
}[] = [
  { transport: 'stdio', peer: 'sdk1', atLeast: 5, peerName: 'SDK 1.x' },
  { transport: 'stdio', peer: 'bare', atLeast: 1, peerName: 'the bare Node floor' },
  { transport: 'http', peer: 'sdk1', atLeast: 4, peerName: 'SDK 1.x' },
  { transport: 'http', peer: 'bare', atLeast: 0.9, peerName: 'the bare fastify echo' },
];

interface RowBase {
  readonly id: TargetId;
  /** What is required, e.g. "≥ 10,000 msg/s (stdio)". */
  readonly target: string;
  readonly transport: BenchTransport | undefined;
}

/** A judged row always carries the figure it was judged on. */
export interface MeasuredTargetRow extends RowBase {
  readonly pass: boolean;
  readonly value: number;
  /** The figure as quoted, e.g. "48,210 msg/s". */
  readonly figure: string;
  /** Where the figure comes from (workload, load, runs) and anything that failed it besides the figure. */
  readonly detail: string;
}

export interface UnmeasuredTargetRow extends RowBase {
  readonly pass: 'not measured';
  readonly value: undefined;
  readonly figure: undefined;
  /** What run would measure it. */
  readonly detail: string;
}

export type TargetRow = MeasuredTargetRow | UnmeasuredTargetRow;

const notMeasured = (id: TargetId, target: string, transport: BenchTransport | undefined, detail: string) =>
  ({ id, target, transport, pass: 'not measured', value: undefined, figure: undefined, detail }) as const;

const runsNote = (g: CaseGroup) => (g.runs.length > 1 ? `median of ${g.runs.length} runs` : '1 run');
const integrity = (g: CaseGroup) =>
  g.errors === 0 && g.lost === 0 ? '' : `; ${fmtInt(g.errors)} errors, ${fmtInt(g.lost)} lost (must be 0)`;

/** Whether an open-loop case kept up with what it offered (5% slack for the ramp at the edges of the window). */
const sustained = (g: CaseGroup) => g.perSecond >= 0.95 * (g.offeredRate ?? Number.POSITIVE_INFINITY);

/** The nmcp open-loop group on a transport that the rate targets are judged at: the lowest offered rate ≥ 10,000/s. */
function atTargetRate(groups: readonly CaseGroup[], transport: BenchTransport): CaseGroup | undefined {
  return groups
    .filter((g) => g.transport === transport && g.mode === 'open' && (g.offeredRate ?? 0) >= TARGET_MSG_PER_S)
    .sort((a, b) => (a.offeredRate ?? 0) - (b.offeredRate ?? 0))[0];
}

export interface EvaluateOptions {
  /** Also judge the issue's nmcp ÷ peer ratio targets (RATIO_TARGETS). Default true. */
  readonly ratios?: boolean;
}

export function evaluateTargets(report: BenchReport, options: EvaluateOptions = {}): TargetRow[] {
  const groups = groupCases(report.cases).filter((g) => g.server === 'nmcp');
  const rows: TargetRow[] = [];

  for (const transport of ALL_TRANSPORTS) {
    const target = `≥ ${fmtInt(TARGET_MSG_PER_S)} msg/s (${transport})`;
    // The best closed-loop echo throughput on this transport: its capacity, whichever payload and load reached it. An
    // open loop is capped by the rate it offers, so it says nothing about capacity either way.
    const best = groups
      .filter((g) => g.transport === transport && g.mode === 'closed' && g.workload.startsWith('echo-'))
      .sort((a, b) => b.perSecond - a.perSecond)[0];
    if (!best) {
      rows.push(
        notMeasured('throughput', target, transport, `no closed-loop nmcp echo case on ${transport} in this report`),
      );
      continue;
    }
    rows.push({
      id: 'throughput',
      target,
      transport,
      pass: best.perSecond >= TARGET_MSG_PER_S && best.errors === 0 && best.lost === 0,
      value: best.perSecond,
      figure: `${fmtInt(best.perSecond)} msg/s`,
      detail: `${best.workload}, ${best.mode} loop, ${fmtLoad(best)}, ${runsNote(best)}${integrity(best)}`,
    });
  }

  for (const transport of ALL_TRANSPORTS) {
    const target = `P99 < ${fmtUs(TARGET_P99_US)} at ${fmtInt(TARGET_MSG_PER_S)} msg/s offered (${transport})`;
    const g = atTargetRate(groups, transport);
    if (!g) {
      rows.push(
        notMeasured(
          'p99',
          target,
          transport,
          `needs an nmcp open-loop case on ${transport} at ≥ ${fmtInt(TARGET_MSG_PER_S)} msg/s offered`,
        ),
      );
      continue;
    }
    rows.push({
      id: 'p99',
      target,
      transport,
      pass: g.p99Us < TARGET_P99_US && g.errors === 0 && g.lost === 0,
      value: g.p99Us,
      figure: `p99 ${fmtUs(g.p99Us)}`,
      detail: `${g.workload}, open loop, ${fmtLoad(g)}, achieved ${fmtInt(g.perSecond)} msg/s, ${runsNote(g)}${integrity(g)}`,
    });
  }

  const soak = report.soak;
  const memoryTarget = `< ${fmtInt(TARGET_MEMORY_GROWTH_BYTES / 1e6)} MB RSS growth in the soak`;
  if (!soak) {
    rows.push(notMeasured('memory', memoryTarget, undefined, 'no soak in this report (nmcp bench soak)'));
  } else {
    const growth = soak.rssBytes.end - soak.rssBytes.start;
    const rate = soak.offeredRate === undefined ? 'closed loop' : `${fmtInt(soak.offeredRate)} msg/s offered`;
    // The trend (slope over the second half) is quoted beside the growth: it is what says "still growing".
    const trend =
      soak.rssTrendBytesPerMinute === undefined ? '' : `, trend ${fmtTrend(soak.rssTrendBytesPerMinute)} (2nd half)`;
    rows.push({
      id: 'memory',
      target: memoryTarget,
      transport: soak.transport,
      // Memory held steady while answers went missing is not "under sustained load": errors and lost fail it too.
      pass: growth < TARGET_MEMORY_GROWTH_BYTES && soak.errors === 0 && soak.lost === 0,
      value: growth,
      figure: `${(growth / 1e6).toFixed(1)} MB`,
      detail:
        `${soak.transport}, ${soak.server}, ${fmtSoakDuration(soak.durationMs)} at ${rate}: RSS ` +
        `${fmtBytes(soak.rssBytes.start)} → ${fmtBytes(soak.rssBytes.end)} (peak ${fmtBytes(soak.rssBytes.peak)})${trend}, ` +
        `${fmtInt(soak.messages)} responses, ${fmtInt(soak.errors)} errors, ${fmtInt(soak.lost)} lost` +
        (soak.errors === 0 && soak.lost === 0 ? '' : ' (must be 0)'),
    });
  }

  const cpuTarget = (t: string) =>
    `CPU < ${TARGET_CPU_PERCENT}% of one core at ${fmtInt(TARGET_MSG_PER_S)} msg/s offered (${t})`;
  const measuredTransports = ALL_TRANSPORTS.filter((t) => groups.some((g) => g.transport === t));
  for (const transport of measuredTransports) {
    const g = atTargetRate(groups, transport);
    if (!g || g.cpuPercent === undefined) {
      rows.push(
        notMeasured(
          'cpu',
          cpuTarget(transport),
          transport,
          g
            ? 'the server CPU was not measurable for this case'
            : `needs an nmcp open-loop case on ${transport} at ≥ ${fmtInt(TARGET_MSG_PER_S)} msg/s offered`,
        ),
      );
      continue;
    }
    rows.push({
      id: 'cpu',
      target: cpuTarget(transport),
      transport,
      // A server that did not keep up with the offered rate was not "at the target rate": its CPU figure cannot pass.
      pass: g.cpuPercent < TARGET_CPU_PERCENT && sustained(g),
      value: g.cpuPercent,
      figure: `${fmtPercent(g.cpuPercent)} CPU`,
      detail: `${g.workload}, open loop, ${fmtLoad(g)}, achieved ${fmtInt(g.perSecond)} msg/s${sustained(g) ? '' : ' (did not sustain the offered rate)'}, ${runsNote(g)}`,
    });
  }
  if (measuredTransports.length === 0) {
    rows.push(notMeasured('cpu', cpuTarget('any transport'), undefined, 'no nmcp case in this report'));
  }
  if (options.ratios ?? true) rows.push(...ratioRows(report));
  return rows;
}

/** The ratio targets, from the cases at exactly the stated load (echo-200b, closed, 64 in flight), paired by run. */
function ratioRows(report: BenchReport): TargetRow[] {
  const atLoad = report.cases.filter((c) => c.workload === 'echo-200b' && c.mode === 'closed' && c.inFlight === 64);
  const ratios = ratiosFromCases(atLoad);
  return RATIO_TARGETS.map((t) => {
    const target = `nmcp ≥ ${t.atLeast >= 1 ? `${t.atLeast}×` : `${t.atLeast * 100}% of`} ${t.peerName} (${t.transport}, echo-200b, 64 in flight)`;
    const r = ratios.find((x) => x.transport === t.transport && x.peer === t.peer);
    if (!r) {
      return notMeasured(
        'ratio',
        target,
        t.transport,
        `needs nmcp and ${t.peer} on ${t.transport} at echo-200b, closed loop, 64 in flight (--peers)`,
      );
    }
    const runs = atLoad.filter((c) => c.server === 'nmcp' && c.transport === t.transport).length;
    return {
      id: 'ratio',
      target,
      transport: t.transport,
      // Floating-point slack: a ratio exactly at the target (0.9 from 45,000 ÷ 50,000) passes.
      pass: r.median >= t.atLeast - 1e-9,
      value: r.median,
      figure: fmtRatio(r.median),
      detail: `median of ${runs} run(s), spread ${fmtRatio(r.min)} – ${fmtRatio(r.max)}`,
    } satisfies MeasuredTargetRow;
  });
}

/** ✅ / ❌ / "not measured": the mark every renderer shows for a row. */
export function targetMark(row: TargetRow): string {
  if (row.pass === 'not measured') return 'not measured';
  return row.pass ? '✅' : '❌';
}

/** The report card as plain text lines (terminal). */
export function formatTargets(rows: readonly TargetRow[]): string {
  const lines = ["Report card (the seed's targets and the nmcp ÷ peer ratio targets; figures from this report):"];
  for (const r of rows) {
    // ✅/❌ take two terminal columns but one UTF-16 unit: pad them by hand so the targets line up.
    if (r.pass === 'not measured') lines.push(`  not measured  ${r.target} (${r.detail})`);
    else lines.push(`  ${targetMark(r)}            ${r.target}: ${r.figure} (${r.detail})`);
  }
  return lines.join('\n');
}
