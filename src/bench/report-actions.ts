/**
 * What `nmcp bench` does with a finished report besides printing it: --full-report DIR, --save-baseline NAME,
 * --compare NAME [--threshold 10%], --targets. One function for the CLI (and library users) to call, so the command
 * line only parses flags: the order of the steps and their exit status are decided here, in one tested place.
 */
import type { ParseArgsConfig } from 'node:util';
import { compareToBaseline, DEFAULT_BASELINE_DIR, loadBaseline, parseThreshold, saveBaseline } from './baseline.js';
import { writeFullReport } from './full-report.js';
import type { BenchReport } from './report.js';
import { evaluateTargets, formatTargets, type TargetRow } from './targets.js';

export interface ReportActions {
  /** Write report.json, report.md and report.html here. */
  readonly fullReport?: string | undefined;
  /** Save the report as DIR/NAME.json. */
  readonly saveBaseline?: string | undefined;
  /** Compare with DIR/NAME.json (or a path to a .json), through the regression gate. */
  readonly compare?: string | undefined;
  /** "10%", "0.1" or a fraction (default 10%). */
  readonly threshold?: string | number | undefined;
  /** Print the report card. */
  readonly targets?: boolean | undefined;
  /** Where baselines live (default bench/baselines, relative to the working directory). */
  readonly baselineDir?: string | undefined;
}

export interface ReportActionsResult {
  /** 1 when --compare found a regression (or nothing it could gate on), else 0. */
  readonly exitCode: 0 | 1;
  readonly regression: boolean | undefined;
  readonly targets: readonly TargetRow[] | undefined;
}

/** Flags for util.parseArgs, to spread into the command's own options. */
export const REPORT_ACTION_OPTIONS = {
  'full-report': { type: 'string' },
  'save-baseline': { type: 'string' },
  compare: { type: 'string' },
  threshold: { type: 'string' },
  targets: { type: 'boolean' },
  'baseline-dir': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const REPORT_ACTIONS_HELP = `  --full-report DIR          also write DIR/report.json, report.md and report.html (charts; self-contained)
  --save-baseline NAME       save the report as bench/baselines/NAME.json (figures + machine)
  --compare NAME             regression gate against bench/baselines/NAME.json (or a .json path): compares the
                             nmcp ÷ peer ratios measured in the same run (use --peers), medians of the runs;
                             absolute msg/s gate only on the same machine; exits 1 on a regression
  --threshold PCT            the loss --compare tolerates (default 10%)
  --baseline-dir DIR         where baselines are saved and looked up (default bench/baselines)
  --targets                  print the report card: the seed's targets, each ✅/❌ with its figure or "not measured"
`;

/** Maps parseArgs values (from REPORT_ACTION_OPTIONS) to ReportActions. */
export function reportActionsFromArgs(
  values: Record<string, string | boolean | (string | boolean)[] | undefined>,
): ReportActions {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return {
    fullReport: str('full-report'),
    saveBaseline: str('save-baseline'),
    compare: str('compare'),
    threshold: str('threshold'),
    targets: values.targets === true,
    baselineDir: str('baseline-dir'),
  };
}

/**
 * Checks the actions before a run (a bad threshold or a missing baseline should fail in a second, not after the
 * benchmark): returns what is wrong, or undefined.
 */
export async function checkReportActions(actions: ReportActions): Promise<string | undefined> {
  try {
    if (actions.threshold !== undefined && typeof actions.threshold === 'string') parseThreshold(actions.threshold);
    if (actions.compare !== undefined) await loadBaseline(actions.compare, actions.baselineDir ?? DEFAULT_BASELINE_DIR);
  } catch (err) {
    return (err as Error).message;
  }
  if (actions.threshold !== undefined && actions.compare === undefined) return '--threshold applies to --compare';
  return undefined;
}

/**
 * Runs the actions on a finished report, writing human-readable lines through `log`. The baseline to compare with is
 * read before any is saved, so `--compare main --save-baseline main` gates against the previous one, then replaces it.
 */
export async function runReportActions(
  report: BenchReport,
  actions: ReportActions,
  log: (text: string) => void,
): Promise<ReportActionsResult> {
  const dir = actions.baselineDir ?? DEFAULT_BASELINE_DIR;
  let regression: boolean | undefined;
  let targets: TargetRow[] | undefined;
  if (actions.compare !== undefined) {
    const baseline = await loadBaseline(actions.compare, dir);
    const threshold =
      typeof actions.threshold === 'number'
        ? actions.threshold
        : actions.threshold === undefined
          ? undefined
          : parseThreshold(actions.threshold);
    const verdict = compareToBaseline(report, baseline, threshold === undefined ? {} : { threshold });
    regression = !verdict.pass;
    log(verdict.text);
  }
  if (actions.targets) {
    targets = evaluateTargets(report);
    log(formatTargets(targets));
  }
  if (actions.fullReport !== undefined) {
    const files = await writeFullReport(report, actions.fullReport);
    log(`Full report: ${files.json}, ${files.markdown}, ${files.html}`);
  }
  if (actions.saveBaseline !== undefined) {
    log(`Baseline saved: ${await saveBaseline(report, actions.saveBaseline, dir)}`);
  }
  return { exitCode: regression ? 1 : 0, regression, targets };
}
