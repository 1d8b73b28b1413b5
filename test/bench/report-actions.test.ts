/**
 * runReportActions: what `nmcp bench` does with a finished report (--full-report, --save-baseline, --compare with
 * --threshold, --targets), its order, and its exit status; checkReportActions fails fast before a run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from '../../src/bench/baseline.js';
import {
  checkReportActions,
  REPORT_ACTION_OPTIONS,
  reportActionsFromArgs,
  runReportActions,
} from '../../src/bench/report-actions.js';
import { pairReport } from './fixtures.js';

async function run(report: ReturnType<typeof pairReport>, args: string[]) {
  const { values } = parseArgs({ args, options: REPORT_ACTION_OPTIONS, strict: true });
  const out: string[] = [];
  const result = await runReportActions(report, reportActionsFromArgs(values), (t) => out.push(t));
  return { result, text: out.join('\n') };
}

describe('runReportActions', () => {
  it('saves a baseline, then gates a regressed run against it (exit 1) and a steady one (exit 0)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-actions-'));
    const saved = await run(pairReport(30_000), ['--save-baseline', 'main', '--baseline-dir', dir]);
    expect(saved.result.exitCode).toBe(0);
    expect(saved.text).toContain(`Baseline saved: ${join(dir, 'main.json')}`);

    const worse = await run(pairReport(25_000), ['--compare', 'main', '--threshold', '10%', '--baseline-dir', dir]);
    expect(worse.result).toMatchObject({ exitCode: 1, regression: true });
    expect(worse.text).toMatch(/^Regression gate: FAIL/);

    const loose = await run(pairReport(25_000), ['--compare', 'main', '--threshold', '20%', '--baseline-dir', dir]);
    expect(loose.result).toMatchObject({ exitCode: 0, regression: false });
  });

  it('--compare X --save-baseline X gates against the previous X, then replaces it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-actions-'));
    await run(pairReport(30_000), ['--save-baseline', 'x', '--baseline-dir', dir]);
    const r = await run(pairReport(20_000), ['--compare', 'x', '--save-baseline', 'x', '--baseline-dir', dir]);
    expect(r.result.exitCode).toBe(1);
    expect(r.text.indexOf('Regression gate')).toBeLessThan(r.text.indexOf('Baseline saved'));
    expect((await loadBaseline('x', dir)).cases[0]!.perSecond).toBeCloseTo(20_000 * 0.99, 6);
  });

  it('--targets prints the report card; --full-report writes the three files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-actions-'));
    const r = await run(pairReport(30_000), ['--targets', '--full-report', join(dir, 'out')]);
    expect(r.result.exitCode).toBe(0);
    expect(r.result.targets?.length).toBeGreaterThan(0);
    expect(r.text).toContain('Report card');
    for (const f of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(dir, 'out', f))).toBe(true);
  });
});

describe('checkReportActions', () => {
  it('fails fast on a missing baseline, a bad threshold, or a threshold without --compare', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-actions-'));
    expect(await checkReportActions({ compare: 'nope', baselineDir: dir })).toMatch(/no baseline at/);
    expect(await checkReportActions({ threshold: 'lots' })).toMatch(/--threshold must be/);
    expect(await checkReportActions({ threshold: '5%' })).toBe('--threshold applies to --compare');
    await run(pairReport(30_000), ['--save-baseline', 'ok', '--baseline-dir', dir]);
    expect(await checkReportActions({ compare: 'ok', threshold: '5%', baselineDir: dir })).toBeUndefined();
  });
});
