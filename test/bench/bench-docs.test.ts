/**
 * scripts/bench-docs.mjs regenerates docs/benchmarks.md from a saved report (through the built renderers in dist/):
 * method, machine, the command that reproduces it, the figures; without a report, it says "not measured yet".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeCase, makeReport, pairReport } from './fixtures.js';

const script = fileURLToPath(new URL('../../scripts/bench-docs.mjs', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../../dist/bench/render-markdown.js', import.meta.url)));

const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe.skipIf(!built)('scripts/bench-docs.mjs', () => {
  it('writes method, machine, command and the figures of the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-bench-docs-'));
    const report = {
      ...pairReport(30_000),
      options: { workloads: ['echo-200b'], transports: ['stdio'], mode: 'closed', inFlight: 64, runs: 3, peers: true },
    };
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
    const out = join(dir, 'benchmarks.md');
    const r = run([join(dir, 'report.json'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    for (const section of [
      '## Method',
      '## Commands',
      '## Machine',
      '## Figures',
      '### Cases',
      '### nmcp ÷ peers',
      '### Report card',
    ]) {
      expect(md).toContain(section);
    }
    expect(md).toContain('Test CPU @ 2.0GHz × 2');
    expect(md).toContain(
      'nmcp bench --workload echo-200b --transport stdio --mode closed --in-flight 64 --runs 3 --peers',
    );
    expect(md).toContain('| echo-200b | stdio | closed | bare floor | 0.60× |');
    expect(md).not.toContain('Not measured yet');
  });

  it('without a report says the figures are not measured yet, and shows none', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nmcp-bench-docs-')), 'benchmarks.md');
    const r = run(['--not-measured', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    const figures = md.slice(md.indexOf('## Figures'));
    expect(figures).toContain('Not measured yet');
    expect(figures).not.toMatch(/msg\/s|µs|×/);
  });

  it('makes one page of several reports from one machine, and refuses reports from two machines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-bench-docs-'));
    const closed = { ...pairReport(30_000), options: { mode: 'closed', inFlight: 64, peers: true } };
    const open = {
      ...makeReport([makeCase({ mode: 'open', inFlight: undefined, offeredRate: 10_000, perSecond: 10_000 })]),
      startedAt: '2026-11-27T03:00:00.000Z',
      finishedAt: '2026-11-27T03:01:00.000Z',
      options: { mode: 'open', rate: 10_000 },
    };
    writeFileSync(join(dir, 'closed.json'), JSON.stringify(closed));
    writeFileSync(join(dir, 'open.json'), JSON.stringify(open));
    const out = join(dir, 'benchmarks.md');
    const r = run([join(dir, 'closed.json'), join(dir, 'open.json'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('nmcp bench --mode closed --in-flight 64 --peers\nnmcp bench --mode open --rate 10000');
    expect(md).toContain('Measured 2026-11-27T02:00:00.000Z → 2026-11-27T03:01:00.000Z');
    expect(md).toContain('10,000/s offered');
    expect(md).toContain('| echo-200b | stdio | closed | bare floor | 0.60× |');
    expect(md).toMatch(/✅ \| P99 \\< 1\.00 ms at 10,000 msg\/s offered \(stdio\) \| p99 800 µs/);

    writeFileSync(
      join(dir, 'other.json'),
      JSON.stringify({ ...open, machine: { ...open.machine, hostname: 'elsewhere' } }),
    );
    const refused = run([join(dir, 'closed.json'), join(dir, 'other.json'), '--out', join(dir, 'no.md')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('another hostname');
  });

  it("shows a soak report's command and memory in the soak section, not its case among the open-loop runs", () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-bench-docs-'));
    const closed = { ...pairReport(30_000), options: { mode: 'closed', inFlight: 64, peers: true } };
    const soak = {
      ...makeReport([makeCase({ mode: 'open', inFlight: undefined, offeredRate: 10_000, perSecond: 9_876 })]),
      options: {
        soak: true,
        mode: 'open',
        runs: 1,
        transport: 'stdio',
        workload: 'echo-200b',
        rate: 10_000,
        durationMs: 600_000,
        warmupMs: 10_000,
        sampleIntervalMs: 1000,
        era: 'legacy',
      },
      soak: {
        transport: 'stdio',
        server: 'nmcp',
        durationMs: 600_000,
        offeredRate: 10_000,
        messages: 5_999_400,
        errors: 0,
        lost: 0,
        rssBytes: { start: 90e6, peak: 99e6, end: 93e6 },
        heapUsedBytes: { start: 12e6, peak: 20e6, end: 13e6 },
        rssTrendBytesPerMinute: 100_000,
        samples: [
          { tMs: 0, rssBytes: 90e6, heapUsedBytes: 12e6 },
          { tMs: 600_000, rssBytes: 93e6, heapUsedBytes: 13e6 },
        ],
      },
    };
    writeFileSync(join(dir, 'closed.json'), JSON.stringify(closed));
    writeFileSync(join(dir, 'soak.json'), JSON.stringify(soak));
    const out = join(dir, 'benchmarks.md');
    const r = run([join(dir, 'closed.json'), join(dir, 'soak.json'), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('**The soak.**');
    expect(md).toContain(
      'nmcp bench soak --transport stdio --workload echo-200b --rate 10000 --duration 600000ms --warmup 10000ms --sample-interval 1000ms --era legacy',
    );
    expect(md).toContain('### Soak');
    expect(md).toContain('+0.10 MB/min');
    expect(md).toMatch(/✅ \| \\< 50 MB RSS growth in the soak \| 3\.0 MB/);
    expect(md).not.toContain('9,876'); // the soak's case is not a row of the cases table
  });

  it('refuses a file that is not a bench report of this version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-bench-docs-'));
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ ...pairReport(1), version: 7 }));
    const r = run([join(dir, 'old.json'), '--out', join(dir, 'x.md')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('version 7 bench report');
    expect(existsSync(join(dir, 'x.md'))).toBe(false);
  });
});
