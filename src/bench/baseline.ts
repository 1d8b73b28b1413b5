/**
 * Baselines and the regression gate (`--save-baseline NAME`, `--compare NAME --threshold 10%`).
 *
 * A baseline is a whole BenchReport (figures and machine info) saved as bench/baselines/NAME.json. The gate compares a
 * new report with it on the **ratios measured within each run** — nmcp throughput ÷ the bare floor, ÷ SDK 1.x, ÷ SDK
 * 2.x, medians over the runs — because absolute msg/s depend on the machine (a CI runner is not a laptop) and on what
 * else it is doing at the time, while a ratio of two servers measured side by side cancels most of both. Absolute
 * figures are compared too: they gate (throughput only) when the baseline came from the same machine and setup, and
 * are shown for information otherwise. The verdict's text says which was done and why.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { BenchCase, BenchReport, MachineInfo } from './report.js';
import {
  assertBenchReport,
  fmtChange,
  fmtInt,
  fmtMachine,
  fmtRatio,
  fmtUs,
  groupCases,
  median,
  ratioKey,
} from './summary.js';

export const DEFAULT_BASELINE_DIR = 'bench/baselines';
export const DEFAULT_THRESHOLD = 0.1;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function baselinePath(name: string, dir: string): string {
  if (!NAME_RE.test(name)) {
    throw new Error(
      `baseline name ${JSON.stringify(name)} is not allowed: use letters, digits, '.', '_' and '-' (it becomes NAME.json in ${dir})`,
    );
  }
  return join(dir, `${name}.json`);
}

/** Writes the report as DIR/NAME.json (creating DIR) and returns the path. */
export async function saveBaseline(report: BenchReport, name: string, dir = DEFAULT_BASELINE_DIR): Promise<string> {
  assertBenchReport(report, 'the report to save');
  const path = baselinePath(name, dir);
  await mkdir(dir, { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

/**
 * Reads a baseline: NAME from DIR, or a path to a .json file. Refuses (with a clear error) a file that is missing, not
 * JSON, not a bench report, or of another report version.
 */
export async function loadBaseline(nameOrPath: string, dir = DEFAULT_BASELINE_DIR): Promise<BenchReport> {
  const path =
    nameOrPath.endsWith('.json') || isAbsolute(nameOrPath) ? resolve(nameOrPath) : baselinePath(nameOrPath, dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `no baseline at ${path} (save one with --save-baseline ${nameOrPath})`
        : `cannot read the baseline ${path}: ${(err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`the baseline ${path} is not valid JSON: ${(err as Error).message}`);
  }
  assertBenchReport(value, `the baseline ${path}`);
  return value;
}

export interface CompareOptions {
  /** The largest tolerated loss, as a fraction (0.10 = a metric may get 10% worse). Default 0.10. */
  readonly threshold?: number;
  /**
   * 'auto' (default): absolute throughput gates when the machine and setup are the same, else is information.
   * 'info': absolute figures never gate (ratios only).
   */
  readonly absolute?: 'auto' | 'info';
  /**
   * Also gate on the CPU-per-message ratios (peer's server CPU µs/msg ÷ nmcp's, same run, median). Default false: they
   * are shown for information. They do not depend on how much of the CPU each server got, but caches and frequency
   * still move them: in the first --peers runs on the 2-core VM they were as steady as the throughput ratios or
   * steadier (stdio ÷ bare: 1.43–1.62 against 1.42–2.12), not markedly so. They need /proc (Linux) on both sides.
   */
  readonly gateCpuRatios?: boolean;
}

export interface ComparedMetric {
  /** ratio: nmcp ÷ peer throughput; cpu-ratio: peer CPU µs/msg ÷ nmcp's (both higher = better for nmcp). */
  readonly kind: 'ratio' | 'cpu-ratio' | 'absolute';
  /** e.g. "echo-200b stdio closed nmcp÷bare" or "echo-200b stdio closed 1x64: nmcp msg/s". */
  readonly name: string;
  readonly unit: '×' | 'msg/s' | 'µs' | 'µs/msg';
  readonly higherIsBetter: boolean;
  readonly old: number;
  readonly new: number;
  /** new ÷ old − 1. */
  readonly change: number;
  /** Whether this metric can fail the gate (false: shown for information). */
  readonly gated: boolean;
  /** Within the threshold, in the metric's good direction; an information-only metric is judged the same way. */
  readonly pass: boolean;
  /** For ratios: the single-run [min, max] of each side. */
  readonly oldSpread?: readonly [number, number];
  readonly newSpread?: readonly [number, number];
}

export interface BaselineVerdict {
  /** True when at least one metric gated and none of the gated ones regressed. */
  readonly pass: boolean;
  readonly threshold: number;
  /** Same hardware and host (hostname, platform, arch, CPUs, CPU model, memory). */
  readonly sameMachine: boolean;
  /** Every machine/setup field that differs, "field: baseline → now". */
  readonly machineDifferences: readonly string[];
  /** Whether absolute throughput gated (same machine, Node and core, and not absolute: 'info'). */
  readonly absoluteGated: boolean;
  readonly metrics: readonly ComparedMetric[];
  /** Metric names present in only one of the two reports (not compared). */
  readonly onlyInBaseline: readonly string[];
  readonly onlyInReport: readonly string[];
  readonly baselineStartedAt: string;
  /** The verdict as text: what was compared and why, each metric, and the result. */
  readonly text: string;
}

const HARDWARE: readonly (keyof MachineInfo)[] = ['hostname', 'platform', 'arch', 'cpus', 'cpuModel', 'memoryBytes'];
/** Setup fields that move absolute figures without being a different machine; nmcpVersion is what is under test. */
const SETUP: readonly (keyof MachineInfo)[] = ['node', 'core'];

function judge(
  kind: ComparedMetric['kind'],
  name: string,
  unit: ComparedMetric['unit'],
  higherIsBetter: boolean,
  old: number,
  now: number,
  gated: boolean,
  threshold: number,
): ComparedMetric {
  const change = old === 0 ? (now === 0 ? 0 : Number.POSITIVE_INFINITY) : now / old - 1;
  // A loss of more than `threshold` in the metric's good direction fails; the small epsilon keeps an exact
  // threshold-sized change (0.9 ÷ 1 − 1 in floating point) on the passing side.
  const pass = higherIsBetter ? change >= -threshold - 1e-9 : change <= threshold + 1e-9;
  return { kind, name, unit, higherIsBetter, old, new: now, change, gated, pass };
}

export function compareToBaseline(
  report: BenchReport,
  baseline: BenchReport,
  options: CompareOptions = {},
): BaselineVerdict {
  assertBenchReport(baseline, 'the baseline');
  assertBenchReport(report, 'the report');
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold >= 0 && threshold < 1)) throw new Error(`threshold must be a fraction in [0, 1) (got ${threshold})`);

  const differs = (k: keyof MachineInfo) => baseline.machine[k] !== report.machine[k];
  const machineDifferences = [...HARDWARE, ...SETUP, 'nmcpVersion' as const]
    .filter(differs)
    .map((k) => `${k}: ${String(baseline.machine[k])} → ${String(report.machine[k])}`);
  const sameMachine = !HARDWARE.some(differs);
  const absoluteGated = (options.absolute ?? 'auto') === 'auto' && sameMachine && !SETUP.some(differs);

  const metrics: ComparedMetric[] = [];
  const onlyInBaseline: string[] = [];
  const onlyInReport: string[] = [];

  // ---- ratios (always gate)
  const newRatios = new Map(report.ratios.map((r) => [ratioKey(r), r]));
  const oldRatioKeys = new Set(baseline.ratios.map(ratioKey));
  for (const old of baseline.ratios) {
    const key = ratioKey(old);
    const now = newRatios.get(key);
    if (!now) {
      onlyInBaseline.push(key);
      continue;
    }
    metrics.push({
      ...judge('ratio', key, '×', true, old.median, now.median, true, threshold),
      oldSpread: [old.min, old.max],
      newSpread: [now.min, now.max],
    });
  }
  for (const r of report.ratios) if (!oldRatioKeys.has(ratioKey(r))) onlyInReport.push(ratioKey(r));

  // ---- CPU-per-message ratios (information unless gateCpuRatios)
  const oldCpu = new Map(cpuRatios(baseline).map((r) => [r.key, r]));
  for (const now of cpuRatios(report)) {
    const old = oldCpu.get(now.key);
    if (!old) continue;
    metrics.push({
      ...judge('cpu-ratio', now.key, '×', true, old.median, now.median, options.gateCpuRatios === true, threshold),
      oldSpread: [old.min, old.max],
      newSpread: [now.min, now.max],
    });
  }

  // ---- absolute figures of nmcp's cases (median over runs)
  const oldGroups = new Map(
    groupCases(baseline.cases)
      .filter((g) => g.server === 'nmcp')
      .map((g) => [g.key, g]),
  );
  const newGroups = groupCases(report.cases).filter((g) => g.server === 'nmcp');
  const newKeys = new Set(newGroups.map((g) => g.key));
  for (const g of newGroups) {
    const old = oldGroups.get(g.key);
    if (!old) {
      onlyInReport.push(`${g.key}: nmcp msg/s`);
      continue;
    }
    metrics.push(
      judge('absolute', `${g.key}: nmcp msg/s`, 'msg/s', true, old.perSecond, g.perSecond, absoluteGated, threshold),
    );
    // Tail latency and CPU per message are too noisy to gate at 10% even on one machine: information only.
    metrics.push(judge('absolute', `${g.key}: nmcp p99`, 'µs', false, old.p99Us, g.p99Us, false, threshold));
    if (old.cpuUsPerMessage !== undefined && g.cpuUsPerMessage !== undefined) {
      metrics.push(
        judge(
          'absolute',
          `${g.key}: nmcp CPU µs/msg`,
          'µs/msg',
          false,
          old.cpuUsPerMessage,
          g.cpuUsPerMessage,
          false,
          threshold,
        ),
      );
    }
  }
  for (const key of oldGroups.keys()) if (!newKeys.has(key)) onlyInBaseline.push(`${key}: nmcp msg/s`);

  const gated = metrics.filter((m) => m.gated);
  const pass = gated.length > 0 && gated.every((m) => m.pass);
  const verdict = {
    pass,
    threshold,
    sameMachine,
    machineDifferences,
    absoluteGated,
    metrics,
    onlyInBaseline,
    onlyInReport,
    baselineStartedAt: baseline.startedAt,
    text: '',
  };
  return { ...verdict, text: formatVerdict(verdict, baseline, report) };
}

/** Peer CPU µs/msg ÷ nmcp's for each slot, paired by run and load, median and spread; only where both were measured. */
function cpuRatios(report: BenchReport): { key: string; median: number; min: number; max: number }[] {
  const out: { key: string; median: number; min: number; max: number }[] = [];
  const slot = (c: BenchCase) => `${c.workload} ${c.transport} ${c.mode}`;
  const load = (c: BenchCase) => `${c.connections} ${c.inFlight} ${c.offeredRate} ${c.run}`;
  const nmcp = report.cases.filter((c) => c.server === 'nmcp' && c.usage.cpuUsPerMessage);
  for (const peer of ['bare', 'sdk1', 'sdk2'] as const) {
    const bySlot = new Map<string, number[]>();
    for (const n of nmcp) {
      const p = report.cases.find(
        (c) => c.server === peer && slot(c) === slot(n) && load(c) === load(n) && c.usage.cpuUsPerMessage,
      );
      if (!p) continue;
      const key = `${slot(n)} CPU/msg ${peer}÷nmcp`;
      const list = bySlot.get(key) ?? [];
      list.push(p.usage.cpuUsPerMessage! / n.usage.cpuUsPerMessage!);
      bySlot.set(key, list);
    }
    for (const [key, xs] of bySlot) out.push({ key, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  }
  return out;
}

function fmtValue(unit: ComparedMetric['unit'], v: number): string {
  switch (unit) {
    case '×':
      return fmtRatio(v);
    case 'msg/s':
      return `${fmtInt(v)} msg/s`;
    case 'µs':
      return fmtUs(v);
    case 'µs/msg':
      return `${v.toFixed(v < 10 ? 2 : 1)} µs/msg`;
  }
}

function formatVerdict(v: Omit<BaselineVerdict, 'text'>, baseline: BenchReport, report: BenchReport): string {
  const pct = `${(v.threshold * 100).toFixed(0)}%`;
  const runs = Math.max(1, ...report.cases.map((c) => c.run));
  const lines: string[] = [];
  const gated = v.metrics.filter((m) => m.gated);
  const failed = gated.filter((m) => !m.pass);
  lines.push(
    `Regression gate: ${v.pass ? 'PASS' : 'FAIL'} — against the baseline of ${baseline.startedAt}, threshold ${pct}.`,
    `What gates: nmcp's throughput ÷ each peer's (bare floor, SDK 1.x, SDK 2.x) measured in the same run${v.metrics.some((m) => m.kind === 'cpu-ratio' && m.gated) ? ', and each peer’s server CPU per message ÷ nmcp’s' : ''}, the median of ${runs} run(s) — absolute msg/s depend on the machine and on its noise, a ratio of servers measured side by side cancels most of both.`,
  );
  if (v.absoluteGated) {
    lines.push(
      `Same machine and setup as the baseline (${fmtMachine(report.machine)}): nmcp's absolute msg/s gate too; p99 and CPU µs/msg are shown for information (too noisy to gate at ${pct}).`,
    );
  } else if (!v.sameMachine) {
    lines.push(
      `The machine differs from the baseline's (${v.machineDifferences.join('; ')}): absolute figures are shown for information only.`,
    );
  } else {
    const why = v.machineDifferences.length > 0 ? `setup differs: ${v.machineDifferences.join('; ')}` : 'as asked';
    lines.push(`Absolute figures are shown for information only (${why}).`);
  }
  const table = (title: string, ms: readonly ComparedMetric[]) => {
    if (ms.length === 0) return;
    lines.push('', title);
    for (const m of ms) {
      const mark = m.gated ? (m.pass ? 'pass' : 'FAIL') : m.pass ? 'info' : 'info (worse)';
      const spread =
        m.oldSpread && m.newSpread
          ? `  [runs ${fmtRatio(m.oldSpread[0])}–${fmtRatio(m.oldSpread[1])} → ${fmtRatio(m.newSpread[0])}–${fmtRatio(m.newSpread[1])}]`
          : '';
      lines.push(
        `  ${mark.padEnd(12)} ${m.name}: ${fmtValue(m.unit, m.old)} → ${fmtValue(m.unit, m.new)} (${fmtChange(m.change)})${spread}`,
      );
    }
  };
  table(
    'Ratios (gate):',
    v.metrics.filter((m) => m.kind === 'ratio'),
  );
  const cpu = v.metrics.filter((m) => m.kind === 'cpu-ratio');
  table(
    cpu.some((m) => m.gated)
      ? 'Server CPU per message, peer ÷ nmcp (gate):'
      : 'Server CPU per message, peer ÷ nmcp (information; steadier than throughput on a busy machine):',
    cpu,
  );
  table(
    v.absoluteGated ? 'Absolute (msg/s gates):' : 'Absolute (information):',
    v.metrics.filter((m) => m.kind === 'absolute'),
  );
  if (v.onlyInBaseline.length > 0)
    lines.push('', `Only in the baseline (not compared): ${v.onlyInBaseline.join(', ')}`);
  if (v.onlyInReport.length > 0) lines.push('', `Only in this run (not compared): ${v.onlyInReport.join(', ')}`);
  lines.push('');
  if (gated.length === 0) {
    lines.push(
      'FAIL: nothing could gate — no nmcp ÷ peer ratio is in both reports (run with --peers, the same workloads and transports as the baseline)' +
        (v.sameMachine ? '.' : ', and absolute figures cannot gate across machines.'),
    );
  } else if (failed.length > 0) {
    lines.push(`FAIL: ${failed.length} of ${gated.length} gated metric(s) got worse by more than ${pct}.`);
  } else {
    lines.push(`PASS: all ${gated.length} gated metric(s) within ${pct}.`);
  }
  return lines.join('\n');
}

/** "10%", "0.1" or "10" → 0.1 (for --threshold). */
export function parseThreshold(text: string): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(%?)$/);
  const n = m ? Number(m[1]) : Number.NaN;
  const fraction = m?.[2] === '%' || n >= 1 ? n / 100 : n;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new Error(`--threshold must be a percentage like 10% (or a fraction like 0.1), got ${JSON.stringify(text)}`);
  }
  return fraction;
}
