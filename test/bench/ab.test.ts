/**
 * `nmcp bench --config A --vs-config B`: the config files checked up front (usage errors naming the file and the key),
 * B ÷ A per run with its spread and verdicts, the renderers' A/B section, B kept out of everything that judges nmcp
 * (ratios, baselines, targets), and one short real A/B over stdio through the built CLI (dist/cli/main.js).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { abLines, computeAbRatios } from '../../src/bench/ab.js';
import { compareToBaseline } from '../../src/bench/baseline.js';
import { renderMarkdown } from '../../src/bench/render-markdown.js';
import type { BenchCase, BenchReport } from '../../src/bench/report.js';
import { computeRatios, resolveBenchOptions } from '../../src/bench/run-bench.js';
import { evaluateTargets } from '../../src/bench/targets.js';
import { runCli } from '../helpers/run-cli.js';
import { makeCase, makeReport } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nmcp-bench-ab-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const run = (args: string[]) => runCli(['bench', ...args]);

/** A and B over `runs` runs: B's throughput and CPU per message are the given multiples of A's in every run. */
function abCases(runs: number, perSecondRatios: readonly number[], cpuRatio = 1): BenchCase[] {
  const cases: BenchCase[] = [];
  for (let run = 1; run <= runs; run++) {
    const a = 20_000 * (1 + run * 0.01);
    cases.push(makeCase({ run, perSecond: a }));
    cases.push(
      makeCase({
        run,
        server: 'nmcp-b',
        serverLabel: 'nmcp B (b.json)',
        perSecond: a * (perSecondRatios[run - 1] as number),
        usage: { cpuPercent: 60, cpuUsPerMessage: 30 * cpuRatio, rssBytes: undefined },
        latencyUs: { ...makeCase().latencyUs, p99: 400 },
      }),
    );
  }
  return cases;
}

describe('A/B ratios', () => {
  it('divides B by A per run and summarises median, min and max', () => {
    const [r] = computeAbRatios(abCases(5, [1.1, 1.2, 1.05, 1.15, 1.3], 0.8));
    expect(r).toMatchObject({ workload: 'echo-200b', transport: 'stdio', mode: 'closed', runs: 5 });
    expect(r?.perSecond.median).toBeCloseTo(1.15);
    expect(r?.perSecond.min).toBeCloseTo(1.05);
    expect(r?.perSecond.max).toBeCloseTo(1.3);
    expect(r?.cpuUsPerMessage?.median).toBeCloseTo(0.8);
    expect(r?.p99.median).toBeCloseTo(0.5);
    expect(r?.verdict).toBe('B faster');
    expect(r?.cpuVerdict).toBe('B cheaper');
  });

  it('gives a verdict only when every run is on one side of 1, over 3 runs or more', () => {
    expect(computeAbRatios(abCases(5, [0.9, 0.95, 0.8, 0.97, 0.92]))[0]?.verdict).toBe('B slower');
    expect(computeAbRatios(abCases(5, [0.9, 1.05, 0.8, 0.97, 0.92]))[0]?.verdict).toBe('no clear difference');
    expect(computeAbRatios(abCases(2, [1.5, 1.6]))[0]?.verdict).toBe('too few runs');
    // Equal CPU per message in every run: the spread touches 1, no CPU verdict.
    expect(computeAbRatios(abCases(5, [1, 1, 1, 1, 1]))[0]?.cpuVerdict).toBe('no clear difference');
  });

  it('pairs by run and skips runs where one side failed', () => {
    const cases = abCases(3, [1.1, 1.2, 1.3]).filter((c) => !(c.server === 'nmcp-b' && c.run === 2));
    const [r] = computeAbRatios(cases);
    expect(r?.runs).toBe(2);
    expect(r?.perSecond.min).toBeCloseTo(1.1);
    expect(r?.perSecond.max).toBeCloseTo(1.3);
    expect(computeAbRatios(cases.filter((c) => c.server === 'nmcp'))).toEqual([]);
  });

  it('prints one line per workload × transport and an A/B section in the Markdown', () => {
    const cases = abCases(5, [1.1, 1.2, 1.05, 1.15, 1.3], 0.8);
    const report = makeReport(cases, {
      ab: {
        a: { configPath: undefined, config: {} },
        b: { configPath: 'b.json', config: { stdio: { batchSize: 1 } } },
        ratios: computeAbRatios(cases),
      },
    });
    const lines = abLines(report);
    expect(lines[0]).toMatch(/A = nmcp defaults, B = b\.json/);
    expect(lines[1]).toMatch(
      /A\/B echo-200b stdio: B÷A throughput 1\.15× \[1\.05 … 1\.30\] over 5 runs; CPU\/msg 0\.80× .*; p99 0\.50× → B faster, B cheaper per message/,
    );
    const md = renderMarkdown(report);
    expect(md).toMatch(/## A\/B: B ÷ A/);
    expect(md).toMatch(/batchSize/);
  });
});

describe('B is not nmcp', () => {
  // A above the 10,000 msg/s target, B far below it; a bare floor to divide by.
  const cases = [
    ...abCases(3, [0.1, 0.1, 0.1]),
    ...[1, 2, 3].map((run) => makeCase({ run, server: 'bare', serverLabel: 'bare', perSecond: 40_000 })),
  ];
  const report = makeReport(cases);

  it('nmcp ÷ peer ratios use A only', () => {
    for (const r of computeRatios(cases)) expect(r.median).toBeCloseTo(20_400 / 40_000, 2);
    expect(report.ratios.every((r) => r.median > 0.4)).toBe(true);
  });

  it('the targets judge A only', () => {
    const row = evaluateTargets(report).find((r) => r.id === 'throughput' && r.transport === 'stdio');
    expect(row?.pass).toBe(true);
    expect(row?.figure).toMatch(/20,400 msg\/s/);
  });

  it('a baseline compares A only', () => {
    const baseline = makeReport(cases.filter((c) => c.server !== 'nmcp-b'));
    const verdict = compareToBaseline(report, baseline);
    expect(verdict.pass).toBe(true);
    expect(JSON.stringify(verdict)).not.toMatch(/nmcp-b/);
  });
});

describe('nmcp bench --config / --vs-config', () => {
  it('checks the options: not with a target; A/B runs default to 5', () => {
    expect(resolveBenchOptions({ vsConfig: 'b.json', target: 'node x.js' })).toMatch(/not a --target/);
    expect(resolveBenchOptions({ vsConfig: 'b.json' })).toMatchObject({ runs: 5 });
    expect(resolveBenchOptions({ vsConfig: 'b.json', runs: 2 })).toMatchObject({ runs: 2 });
    expect(resolveBenchOptions({ config: 'a.json' })).toMatchObject({ runs: 3 });
  });

  const missing = join(dir, 'missing.json');
  for (const [args, pattern] of [
    [['--vs-config', missing], /cannot read --vs-config ".*missing\.json"/],
    [
      ['--config', file('bad-key.json', '{"stdio":{"batchSise":1}}'), '--vs-config', missing],
      /stdio\.batchSise is not a known option/,
    ],
    [
      ['--vs-config', file('bad-value.json', '{"stdio":{"batchSize":0}}')],
      /--vs-config ".*bad-value\.json": stdio\.batchSize must be an integer/,
    ],
    [['--vs-config', file('bad-section.json', '{"stdo":{}}')], /unknown section "stdo"/],
    [['--vs-config', file('owned.json', '{"tcp":{"framing":"ndjson"}}')], /tcp\.framing is set by nmcp bench/],
    [['--vs-config', file('ok.json', '{}'), '--target', 'node x.js'], /not a --target/],
  ] as const) {
    it(`exits 2 naming the problem for ${args.join(' ').replaceAll(dir, '…')}`, async () => {
      const r = await run([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/\n {2}\S/); // the line that says what to do
      expect(r.stdout).toBe('');
    });
  }

  it('runs A and B back to back in every run, alternating who goes first, and reports B ÷ A', async () => {
    const b = file('batch1.json', '{"stdio":{"batchSize":1}}');
    const args = ['--transport', 'stdio', '--vs-config', b, '--duration', '300ms', '--warmup', '100ms', '--runs', '2'];
    const r = await run([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(report.cases.map((c) => `${c.server} ${c.run}`)).toEqual(['nmcp 1', 'nmcp-b 1', 'nmcp-b 2', 'nmcp 2']);
    expect(report.cases.every((c) => c.errors === 0 && c.lost === 0)).toBe(true);
    expect(report.cases.find((c) => c.server === 'nmcp-b')?.serverLabel).toMatch(/^nmcp B \(.*batch1\.json\)$/);
    expect(report.ab?.a).toEqual({ config: {} });
    expect(report.ab?.b).toEqual({ configPath: b, config: { stdio: { batchSize: 1 } } });
    const [ratio] = report.ab?.ratios ?? [];
    expect(ratio?.runs).toBe(2);
    for (const v of [ratio?.perSecond, ratio?.cpuUsPerMessage, ratio?.p99].flatMap((s) => [
      s?.median,
      s?.min,
      s?.max,
    ])) {
      expect(Number.isFinite(v)).toBe(true);
    }
    expect(ratio?.verdict).toBe('too few runs');
    expect(report.ratios).toEqual([]);
    expect(report.options).toMatchObject({ vsConfig: b, runs: 2 });
  });
});
