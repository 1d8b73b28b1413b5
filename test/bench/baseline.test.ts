/**
 * Baselines and the regression gate on synthetic reports: save/load, pass, a regression caught, the machine-differs
 * note (absolute figures demoted to information), a version mismatch refused, and nothing-to-compare failing.
 * test/bench/regression.test.ts does the same with real processes and a deliberately slowed server.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareToBaseline, loadBaseline, parseThreshold, saveBaseline } from '../../src/bench/baseline.js';
import type { BenchReport } from '../../src/bench/report.js';
import { MACHINE, makeCase, makeReport, pairReport } from './fixtures.js';

const OTHER_MACHINE = { ...MACHINE, hostname: 'laptop', cpus: 8, cpuModel: 'Other CPU' };

describe('saveBaseline / loadBaseline', () => {
  it('round-trips the report with its machine info, by name or by path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-baselines-'));
    const report = pairReport(30_000);
    const path = await saveBaseline(report, 'main-2026.11', dir);
    expect(path).toBe(join(dir, 'main-2026.11.json'));
    expect(await loadBaseline('main-2026.11', dir)).toEqual(report);
    expect((await loadBaseline(path)).machine).toEqual(MACHINE);
  });

  it('refuses names that would leave the directory, missing files, non-reports and other versions, clearly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmcp-baselines-'));
    await expect(saveBaseline(pairReport(1), '../evil', dir)).rejects.toThrow(/not allowed/);
    await expect(loadBaseline('nope', dir)).rejects.toThrow(/no baseline at .*nope\.json.*--save-baseline nope/);
    await writeFile(join(dir, 'junk.json'), '{"hello":1}');
    await expect(loadBaseline('junk', dir)).rejects.toThrow(/not an nmcp bench report/);
    await writeFile(join(dir, 'v2.json'), JSON.stringify({ ...pairReport(1), version: 2 }));
    await expect(loadBaseline('v2', dir)).rejects.toThrow(/version 2 bench report; this nmcp reads version 1/);
  });
});

describe('compareToBaseline', () => {
  it('passes an unchanged run, and says what it compared and why', () => {
    const v = compareToBaseline(pairReport(30_000), pairReport(30_000), { threshold: 0.1 });
    expect(v.pass).toBe(true);
    expect(v.sameMachine).toBe(true);
    expect(v.absoluteGated).toBe(true);
    const ratios = v.metrics.filter((m) => m.kind === 'ratio');
    expect(ratios.map((m) => m.name).sort()).toEqual([
      'echo-200b stdio closed nmcp÷bare',
      'echo-200b stdio closed nmcp÷sdk1',
    ]);
    expect(ratios.every((m) => m.gated && m.pass && m.change === 0)).toBe(true);
    expect(v.text).toMatch(/^Regression gate: PASS/);
    expect(v.text).toContain('measured in the same run, the median of 3 run(s)');
    expect(v.text).toContain('Same machine and setup');
  });

  it('catches a regression beyond the threshold in the ratios, and lists each metric with old, new, change', () => {
    // nmcp 30,000 → 25,000 msg/s against the same floor: nmcp÷bare 0.60× → 0.50× (−16.7%)
    const v = compareToBaseline(pairReport(25_000), pairReport(30_000), { threshold: 0.1 });
    expect(v.pass).toBe(false);
    const bare = v.metrics.find((m) => m.name === 'echo-200b stdio closed nmcp÷bare')!;
    expect(bare).toMatchObject({ gated: true, pass: false });
    expect(bare.old).toBeCloseTo(0.6, 9);
    expect(bare.new).toBeCloseTo(0.5, 9);
    expect(bare.change).toBeCloseTo(-1 / 6, 9);
    expect(v.text).toMatch(/FAIL +echo-200b stdio closed nmcp÷bare: 0\.60× → 0\.50× \(-16\.7%\)/);
    expect(v.text).toMatch(/FAIL: \d+ of \d+ gated metric\(s\) got worse by more than 10%/);
    // a 5% loss is within 10%; at a 3% threshold it is not
    expect(compareToBaseline(pairReport(28_500), pairReport(30_000), { threshold: 0.1 }).pass).toBe(true);
    expect(compareToBaseline(pairReport(28_500), pairReport(30_000), { threshold: 0.03 }).pass).toBe(false);
  });

  it('on another machine, absolute figures are information only: a slower machine with the same ratios passes', () => {
    // Everything 40% slower on the other machine (nmcp and peers alike): the ratios hold.
    const slow = (r: BenchReport): BenchReport => ({
      ...r,
      machine: OTHER_MACHINE,
      cases: r.cases.map((c) => ({ ...c, perSecond: c.perSecond * 0.6 })),
    });
    const baseline = pairReport(30_000);
    const v = compareToBaseline(slow(pairReport(30_000)), baseline);
    expect(v.sameMachine).toBe(false);
    expect(v.absoluteGated).toBe(false);
    expect(v.machineDifferences).toEqual([
      'hostname: ci-box → laptop',
      'cpus: 2 → 8',
      'cpuModel: Test CPU @ 2.0GHz → Other CPU',
    ]);
    expect(v.pass).toBe(true);
    const abs = v.metrics.find((m) => m.name.endsWith('nmcp msg/s'))!;
    expect(abs).toMatchObject({ kind: 'absolute', gated: false, pass: false });
    expect(abs.change).toBeCloseTo(-0.4, 9);
    expect(v.text).toContain('The machine differs from the baseline');
    expect(v.text).toContain('information only');
    expect(v.text).toMatch(/info \(worse\) +echo-200b stdio nmcp closed 1x64: nmcp msg\/s/);
    // On the same machine that absolute loss gates and fails.
    const same = compareToBaseline({ ...slow(pairReport(30_000)), machine: MACHINE }, baseline);
    expect(same.pass).toBe(false);
    expect(same.metrics.find((m) => m.name.endsWith('nmcp msg/s'))).toMatchObject({ gated: true, pass: false });
  });

  it("absolute: 'info' never gates absolute figures, even on one machine", () => {
    const v = compareToBaseline(pairReport(30_000), pairReport(30_000), { absolute: 'info' });
    expect(v.absoluteGated).toBe(false);
    expect(v.metrics.filter((m) => m.gated).every((m) => m.kind === 'ratio')).toBe(true);
  });

  it('fails when nothing can gate (no common ratio, another machine), and says why', () => {
    const noPeers = makeReport([makeCase()]);
    const v = compareToBaseline({ ...noPeers, machine: OTHER_MACHINE }, noPeers);
    expect(v.pass).toBe(false);
    expect(v.metrics.some((m) => m.gated)).toBe(false);
    expect(v.text).toContain('FAIL: nothing could gate');
  });

  it('reports what is only in one of the two', () => {
    const baseline = pairReport(30_000);
    const report = makeReport([
      ...pairReport(30_000).cases.filter((c) => c.server !== 'sdk1'),
      makeCase({ transport: 'tcp' }),
    ]);
    const v = compareToBaseline(report, baseline);
    expect(v.onlyInBaseline).toContain('echo-200b stdio closed nmcp÷sdk1');
    expect(v.onlyInReport).toContain('echo-200b tcp nmcp closed 1x64: nmcp msg/s');
    expect(v.text).toContain('Only in the baseline (not compared)');
  });

  it('shows server CPU per message ratios (peer ÷ nmcp) for information, and gates on them when asked', () => {
    // nmcp's CPU per message doubles (30 → 60 µs) while its throughput ratio holds.
    const costlier: BenchReport = {
      ...pairReport(30_000),
      cases: pairReport(30_000).cases.map((c) =>
        c.server === 'nmcp' ? { ...c, usage: { ...c.usage, cpuUsPerMessage: 60 } } : c,
      ),
    };
    const info = compareToBaseline(costlier, pairReport(30_000), { absolute: 'info' });
    const cpu = info.metrics.find((m) => m.name === 'echo-200b stdio closed CPU/msg bare÷nmcp')!;
    expect(cpu).toMatchObject({ kind: 'cpu-ratio', old: 1, new: 0.5, change: -0.5, gated: false, pass: false });
    expect(info.pass).toBe(true);
    expect(info.text).toContain('Server CPU per message, peer ÷ nmcp (information');
    const gated = compareToBaseline(costlier, pairReport(30_000), { absolute: 'info', gateCpuRatios: true });
    expect(gated.pass).toBe(false);
    expect(gated.text).toMatch(/FAIL +echo-200b stdio closed CPU\/msg bare÷nmcp: 1\.00× → 0\.50×/);
  });

  it('refuses a baseline of another report version with a clear error', () => {
    const old = { ...pairReport(30_000), version: 0 } as unknown as BenchReport;
    expect(() => compareToBaseline(pairReport(30_000), old)).toThrow(
      /the baseline is a version 0 bench report; this nmcp reads version 1\. Re-measure/,
    );
  });
});

describe('parseThreshold', () => {
  it('reads 10%, 10, 0.1 as a tenth; refuses nonsense', () => {
    expect(parseThreshold('10%')).toBeCloseTo(0.1, 12);
    expect(parseThreshold('10')).toBeCloseTo(0.1, 12);
    expect(parseThreshold('0.1')).toBeCloseTo(0.1, 12);
    expect(parseThreshold('2.5%')).toBeCloseTo(0.025, 12);
    for (const bad of ['abc', '-5%', '100%', '']) expect(() => parseThreshold(bad)).toThrow(/--threshold/);
  });
});
