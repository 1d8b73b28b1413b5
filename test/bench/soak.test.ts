/**
 * `nmcp bench soak`: the memory arithmetic (trend, summary, the server's memory lines), `nmcp serve`'s
 * NMCP_REPORT_MEMORY_MS, usage errors, and one real short soak through the built CLI (dist/cli/main.js) whose report
 * fills `soak` and turns the report card's memory row from "not measured" into a judged figure.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/report.js';
import {
  leastSquaresSlope,
  MemoryLineReader,
  parseMemoryLine,
  summarizeSamples,
} from '../../src/bench/soak-summary.js';
import { evaluateTargets } from '../../src/bench/targets.js';
import { memoryReportInterval } from '../../src/cli/serve.js';
import { runCli } from '../helpers/run-cli.js';

const run = (args: string[], env: NodeJS.ProcessEnv = process.env, stopWhen?: (stderr: string) => boolean) =>
  runCli(args, { env, ...(stopWhen ? { stopWhen } : {}) });

describe('soak arithmetic', () => {
  it('least-squares slope', () => {
    expect(leastSquaresSlope([])).toBeUndefined();
    expect(leastSquaresSlope([[1, 5]])).toBeUndefined();
    expect(
      leastSquaresSlope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2);
    // Noise around a flat line: slope near 0.
    expect(
      leastSquaresSlope([
        [0, 10],
        [1, 12],
        [2, 8],
        [3, 10],
      ]),
    ).toBeCloseTo(-0.4);
  });

  it('summarizes samples: start/peak/end, and the trend over the second half only', () => {
    // 10 minutes: RSS climbs 40 MB in the first half (start-up), then is flat; heap grows 1 MB/min all along.
    const samples = Array.from({ length: 11 }, (_, i) => ({
      tMs: i * 60_000,
      rssBytes: 100e6 + Math.min(i, 5) * 8e6,
      heapUsedBytes: 10e6 + i * 1e6,
    }));
    const f = summarizeSamples(samples);
    expect(f?.rssBytes).toEqual({ start: 100e6, peak: 140e6, end: 140e6 });
    expect(f?.heapUsedBytes).toEqual({ start: 10e6, peak: 20e6, end: 20e6 });
    expect(f?.rssTrendBytesPerMinute).toBeCloseTo(0);
    expect(f?.heapUsedTrendBytesPerMinute).toBeCloseTo(1e6);
    expect(summarizeSamples([])).toBeUndefined();
    // No heap reported (a --target): RSS figures only.
    const rssOnly = summarizeSamples(samples.map(({ tMs, rssBytes }) => ({ tMs, rssBytes })));
    expect(rssOnly?.heapUsedBytes).toBeUndefined();
    expect(rssOnly?.heapUsedTrendBytesPerMinute).toBeUndefined();
  });

  it('reads the memory lines of nmcp serve, in pieces, among other stderr', () => {
    expect(parseMemoryLine('nmcp serve: memory {"rss":1,"heapUsed":2}')).toEqual({ rss: 1, heapUsed: 2 });
    expect(parseMemoryLine('nmcp serve: listening on tcp://127.0.0.1:1')).toBeUndefined();
    expect(parseMemoryLine('nmcp serve: memory {"rss":1')).toBeUndefined();
    const reader = new MemoryLineReader();
    reader.push('nmcp serve: listening on tcp://127.0.0.1:1\nnmcp serve: memory {"rss":10,"heap');
    expect(reader.latest).toBeUndefined();
    reader.push('Used":20}\nnmcp serve: memory {"rss":11,"heapUsed":21}\n');
    expect(reader.latest).toEqual({ rss: 11, heapUsed: 21 });
  });

  it('NMCP_REPORT_MEMORY_MS: unset, a whole number ≥ 10, or an error', () => {
    expect(memoryReportInterval(undefined)).toBeUndefined();
    expect(memoryReportInterval('')).toBeUndefined();
    expect(memoryReportInterval('1000')).toBe(1000);
    expect(memoryReportInterval('5')).toMatch(/≥ 10/);
    expect(memoryReportInterval('1s')).toMatch(/whole number/);
  });
});

describe('nmcp serve with NMCP_REPORT_MEMORY_MS', () => {
  it('writes memory lines on stderr only (stdout is the protocol)', async () => {
    const r = await run(
      ['serve', '--stdio', '--example', 'everything'],
      { ...process.env, NMCP_REPORT_MEMORY_MS: '20' },
      (stderr) => (stderr.match(/nmcp serve: memory /g) ?? []).length >= 3,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('nmcp serve: memory '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const m = parseMemoryLine(lines[0] as string);
    expect(m?.heapUsed).toBeGreaterThan(0);
    expect(m?.rss).toBeGreaterThan(m?.heapUsed ?? 0);
  });

  it('refuses a bad interval', async () => {
    const r = await run(['serve', '--stdio', '--example', 'everything'], {
      ...process.env,
      NMCP_REPORT_MEMORY_MS: 'x',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NMCP_REPORT_MEMORY_MS must be a whole number/);
  });
});

describe('nmcp bench soak', () => {
  for (const [args, pattern] of [
    [['--transport', 'stdio,tcp'], /unknown transport "stdio,tcp"/],
    [['--workload', 'churn'], /unknown soak workload "churn"/],
    [['--duration', 'soon'], /--duration needs a time/],
    [['--rate', '0'], /--rate needs a whole number/],
    [['--duration', '2s', '--sample-interval', '1s'], /at least 5 memory samples/],
    [['--target', 'http://127.0.0.1:1/mcp'], /URL target is not a process of ours/],
    [['--target', 'node x.js', '--transport', 'tcp'], /command target is spoken to over stdio/],
    [['--threshold', '5%'], /--threshold applies to --compare/],
    [['--bogus'], /Unknown option/],
  ] as const) {
    it(`exits 2 with the fix for ${args.join(' ')}`, async () => {
      const r = await run(['bench', 'soak', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/\n {2}\S/); // the line that says what to do
      expect(r.stdout).toBe('');
    });
  }

  it('--help, and nmcp bench --help points to it', async () => {
    const r = await run(['bench', 'soak', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: nmcp bench soak/);
    expect((await run(['bench', '--help'])).stdout).toMatch(/nmcp bench soak \[options\]/);
  });

  it('soaks nmcp over TCP: samples RSS and heap, fills report.soak, and the report card judges it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-soak-'));
    const r = await run([
      'bench',
      'soak',
      '--transport',
      'tcp',
      '--duration',
      '2s',
      '--warmup',
      '300ms',
      '--rate',
      '2000',
      '--sample-interval',
      '200ms',
      '--json',
      '--targets',
      '--full-report',
      dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(report.failures).toEqual([]);
    const soak = report.soak;
    expect(soak).toBeDefined();
    if (!soak) return;
    expect(soak).toMatchObject({ transport: 'tcp', server: 'nmcp', offeredRate: 2000, errors: 0, lost: 0 });
    expect(soak.messages).toBeGreaterThan(0);
    expect(soak.samples.length).toBeGreaterThanOrEqual(5);
    const { start, peak, end } = soak.rssBytes;
    expect(start).toBeGreaterThan(10e6);
    expect(peak).toBeGreaterThanOrEqual(Math.max(start, end));
    expect(end).toBeLessThan(2e9);
    expect(soak.heapUsedBytes?.start).toBeGreaterThan(0);
    expect(soak.samples.every((s) => s.heapUsedBytes !== undefined && s.heapUsedBytes > 0)).toBe(true);
    expect(soak.rssTrendBytesPerMinute).toBeTypeOf('number');
    // The window's case: the open loop at the soak's rate.
    expect(report.cases).toHaveLength(1);
    expect(report.cases[0]).toMatchObject({ mode: 'open', offeredRate: 2000, errors: 0, lost: 0 });
    // The memory row is measured now, and the report card on stderr (stdout is the JSON) shows it with the figure.
    const memory = evaluateTargets(report).find((row) => row.id === 'memory');
    expect(memory?.pass).toBe(true);
    expect(r.stderr).toMatch(/✅ +< 50 MB RSS growth in the soak: -?\d+\.\d MB/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('<h2>Soak</h2>'), html.indexOf('<h2>nmcp ÷ peers</h2>'));
    expect(section).toContain('soak: server memory over time');
    expect(section.match(/<polyline /g)).toHaveLength(2); // RSS and heap
  });
});
