/** `nmcp bench` through the built CLI (dist/cli/main.js): usage errors, the table, --json and --out, exit codes. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/bench.js';
import { runCli } from '../helpers/run-cli.js';

const run = (args: string[]) => runCli(['bench', ...args]);

const SHORT = ['--duration', '300ms', '--warmup', '100ms', '--runs', '1'];

describe('nmcp bench', () => {
  it('parses durations', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('2.5')).toBe(2500);
    expect(parseDuration('5 sec')).toBeUndefined();
  });

  for (const [args, pattern] of [
    [['--workload', 'echo-2k'], /unknown workload "echo-2k"/],
    [['--transport', 'quic'], /unknown transport "quic"/],
    [['--rate', '100'], /--rate applies to the open loop/],
    [['--mode', 'open', '--in-flight', '4'], /--in-flight applies to the closed loop/],
    [['--duration', 'soon'], /--duration needs a time/],
    [['--connections', '0'], /--connections needs a whole number/],
    [['--peers', '--target', 'node x.js'], /target and peers/],
    [['--bogus'], /Unknown option/],
  ] as const) {
    it(`exits 2 with the fix for ${args.join(' ')}`, async () => {
      const r = await run([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/\n {2}\S/); // the line that says what to do
      expect(r.stdout).toBe('');
    });
  }

  it('--help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: nmcp bench/);
  });

  it('prints the table on stdout (per-case lines on stderr when not a TTY) and exits 0 on a clean run', async () => {
    const r = await run([...SHORT, '--transport', 'unix', '--in-flight', '8']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| workload \| transport \| server \| msg\/s \(median\)/);
    expect(r.stdout).toMatch(/\| echo-200b \| unix \| nmcp \| [\d,]+ \|/);
    expect(r.stderr).toMatch(/echo-200b unix nmcp run 1: \d+ msg\/s/);
  });

  it('--json prints the BenchReport and --out writes the same', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nmcp-bench-cli-')), 'report.json');
    const r = await run([...SHORT, '--transport', 'tcp-ndjson', '--in-flight', '8', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { version: number; cases: { transport: string; lost: number }[] };
    expect(report.version).toBe(1);
    expect(report.cases.map((c) => [c.transport, c.lost])).toEqual([['tcp-ndjson', 0]]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
  });

  it('--targets prints the report card after the table; a missing --compare baseline is bad usage before any run', async () => {
    const r = await run([...SHORT, '--transport', 'unix', '--in-flight', '8', '--targets']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/≥ 10,000 msg\/s \(unix\): [\d,]+ msg\/s/);
    const missing = await run([...SHORT, '--compare', 'no-such-baseline-xyz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-baseline-xyz/);
  });

  it('exits 1 when responses are lost or are errors (a faulty --target)', async () => {
    const faulty = fileURLToPath(new URL('./fixtures/faulty-echo.mjs', import.meta.url));
    const r = await run([...SHORT, '--in-flight', '4', '--target', `${process.execPath} ${faulty}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a clean run/);
  });
});
