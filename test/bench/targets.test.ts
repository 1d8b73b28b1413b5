/**
 * The report card: each of the seed's targets passes, fails, or is "not measured" — and never passes without the
 * figure it was judged on.
 */
import { describe, expect, it } from 'vitest';
import type { BenchCase, SoakSummary } from '../../src/bench/report.js';
import { evaluateTargets, formatTargets, type TargetRow } from '../../src/bench/targets.js';
import { makeCase, makeReport, pairReport } from './fixtures.js';

const openAt = (over: Partial<BenchCase> = {}): BenchCase =>
  makeCase({ mode: 'open', inFlight: undefined, offeredRate: 10_000, perSecond: 10_000, ...over });

const row = (rows: TargetRow[], id: TargetRow['id'], transport?: string) =>
  rows.find((r) => r.id === id && (transport === undefined || r.transport === transport))!;

function soak(startMb: number, endMb: number): SoakSummary {
  return {
    transport: 'stdio',
    server: 'nmcp',
    durationMs: 600_000,
    offeredRate: 10_000,
    messages: 6_000_000,
    errors: 0,
    lost: 0,
    rssBytes: { start: startMb * 1e6, peak: Math.max(startMb, endMb) * 1e6 + 1e6, end: endMb * 1e6 },
    samples: [
      { tMs: 0, rssBytes: startMb * 1e6 },
      { tMs: 600_000, rssBytes: endMb * 1e6 },
    ],
  };
}

describe('evaluateTargets', () => {
  it('passes measured figures on the right side of each line, quoting them', () => {
    const rows = evaluateTargets(
      makeReport(
        [
          makeCase({ perSecond: 42_000, run: 1 }),
          makeCase({ perSecond: 40_000, run: 2 }),
          makeCase({ perSecond: 44_000, run: 3 }),
          openAt({ latencyUs: { ...makeCase().latencyUs, p99: 640 }, usage: { ...makeCase().usage, cpuPercent: 35 } }),
        ],
        { soak: soak(60, 75) },
      ),
    );
    const tp = row(rows, 'throughput', 'stdio');
    expect(tp).toMatchObject({ pass: true, value: 42_000, figure: '42,000 msg/s' });
    expect(tp.detail).toContain('median of 3 runs');
    expect(row(rows, 'p99', 'stdio')).toMatchObject({ pass: true, value: 640, figure: 'p99 640 µs' });
    expect(row(rows, 'cpu', 'stdio')).toMatchObject({ pass: true, value: 35, figure: '35% CPU' });
    expect(row(rows, 'memory')).toMatchObject({ pass: true, figure: '15.0 MB' });
  });

  it('fails figures on the wrong side, and a throughput or latency with lost responses', () => {
    const rows = evaluateTargets(
      makeReport(
        [
          makeCase({ perSecond: 9000 }),
          makeCase({ transport: 'tcp', perSecond: 50_000, lost: 3 }),
          openAt({
            perSecond: 9500, // offered 10,000/s, fell behind
            latencyUs: { ...makeCase().latencyUs, p99: 1000 },
            usage: { ...makeCase().usage, cpuPercent: 80 },
          }),
        ],
        { soak: soak(60, 111) },
      ),
    );
    // 9,000 closed; the open loop's 9,500 is capped by its offered rate and does not count as capacity
    expect(row(rows, 'throughput', 'stdio')).toMatchObject({ pass: false, figure: '9,000 msg/s' });
    const tcp = row(rows, 'throughput', 'tcp');
    expect(tcp.pass).toBe(false);
    expect(tcp.detail).toContain('3 lost (must be 0)');
    expect(row(rows, 'p99', 'stdio')).toMatchObject({ pass: false, figure: 'p99 1.00 ms' }); // < 1 ms is strict
    expect(row(rows, 'cpu', 'stdio')).toMatchObject({ pass: false, figure: '80% CPU' }); // < 80% is strict
    expect(row(rows, 'memory')).toMatchObject({ pass: false, figure: '51.0 MB' });
  });

  it('says "not measured" for what the report lacks: other transports, open loop below the target rate, no soak, no CPU', () => {
    const rows = evaluateTargets(
      makeReport([
        makeCase(),
        openAt({ offeredRate: 5000, perSecond: 5000 }),
        openAt({ transport: 'tcp', usage: { cpuPercent: undefined, cpuUsPerMessage: undefined, rssBytes: undefined } }),
        makeCase({ server: 'bare', serverLabel: 'bare', transport: 'http', perSecond: 90_000 }),
      ]),
    );
    for (const t of ['tcp-ndjson', 'unix', 'http', 'http2']) {
      expect(row(rows, 'throughput', t).pass).toBe('not measured'); // a peer's figure never counts for nmcp
    }
    expect(row(rows, 'p99', 'stdio').pass).toBe('not measured'); // only offered 5,000/s
    expect(row(rows, 'cpu', 'stdio').pass).toBe('not measured');
    expect(row(rows, 'cpu', 'tcp')).toMatchObject({
      pass: 'not measured',
      detail: expect.stringContaining('not measurable'),
    });
    expect(row(rows, 'memory').pass).toBe('not measured');
  });

  it('the soak fails on an error or a lost response even under the line, and quotes its trend', () => {
    const lossy = evaluateTargets(makeReport([], { soak: { ...soak(60, 61), lost: 3 } }));
    expect(row(lossy, 'memory')).toMatchObject({ pass: false, figure: '1.0 MB' });
    expect(row(lossy, 'memory').detail).toContain('3 lost (must be 0)');
    const trended = evaluateTargets(makeReport([], { soak: { ...soak(60, 61), rssTrendBytesPerMinute: -250_000 } }));
    expect(row(trended, 'memory')).toMatchObject({ pass: true });
    expect(row(trended, 'memory').detail).toContain('trend −0.25 MB/min (2nd half)');
  });

  it('an empty report measures nothing and passes nothing', () => {
    const rows = evaluateTargets(makeReport([]));
    expect(rows.every((r) => r.pass === 'not measured')).toBe(true);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(['throughput', 'p99', 'memory', 'cpu', 'ratio']));
    expect(evaluateTargets(makeReport([]), { ratios: false }).some((r) => r.id === 'ratio')).toBe(false);
  });

  it('never passes or fails without a figure, and the text shows marks with figures', () => {
    const rows = evaluateTargets(makeReport([makeCase(), openAt()], { soak: soak(50, 52) }));
    for (const r of rows) {
      if (r.pass === 'not measured') expect(r.figure).toBeUndefined();
      else expect(r.figure).toMatch(/\d/);
    }
    const text = formatTargets(rows);
    expect(text).toMatch(/✅\s+≥ 10,000 msg\/s \(stdio\): 20,000 msg\/s \(echo-200b/);
    expect(text).toMatch(/not measured\s+≥ 10,000 msg\/s \(unix\) \(no closed-loop nmcp echo case/);
  });

  it('judges the nmcp ÷ peer ratio targets at echo-200b, 64 in flight: stdio ≥ 5× SDK 1.x and ≥ the floor', () => {
    // pairReport: bare 50,000 and SDK 1.x 8,000 msg/s in every run, at 64 in flight.
    const weak = evaluateTargets(pairReport(30_000)).filter((r) => r.id === 'ratio');
    const stdioSdk1 = weak.find((r) => r.transport === 'stdio' && r.target.includes('SDK 1.x'))!;
    expect(stdioSdk1).toMatchObject({ pass: false, figure: '3.75×', target: expect.stringContaining('≥ 5×') });
    expect(weak.find((r) => r.transport === 'stdio' && r.target.includes('floor'))).toMatchObject({
      pass: false,
      figure: '0.60×',
    });
    expect(weak.filter((r) => r.transport === 'http').every((r) => r.pass === 'not measured')).toBe(true);
    const strong = evaluateTargets(pairReport(60_000)).filter((r) => r.id === 'ratio' && r.transport === 'stdio');
    expect(strong.map((r) => [r.pass, r.figure])).toEqual([
      [true, '7.50×'],
      [true, '1.20×'],
    ]);
    // Another load (16 in flight) does not count for a target stated at 64.
    const at16 = makeReport(pairReport(60_000).cases.map((c) => ({ ...c, inFlight: 16 })));
    expect(
      evaluateTargets(at16)
        .filter((r) => r.id === 'ratio')
        .every((r) => r.pass === 'not measured'),
    ).toBe(true);
  });

  it('HTTP: ≥ 90% of the bare fastify echo passes exactly at 90%', () => {
    const cases = [1, 2, 3].flatMap((run) => [
      makeCase({ run, transport: 'http', perSecond: 45_000 }),
      makeCase({ run, transport: 'http', server: 'bare', serverLabel: 'bare fastify', perSecond: 50_000 }),
      makeCase({ run, transport: 'http', server: 'sdk1', serverLabel: 'SDK 1.x', perSecond: 12_000 }),
    ]);
    const rows = evaluateTargets(makeReport(cases)).filter((r) => r.id === 'ratio' && r.transport === 'http');
    expect(rows.map((r) => [r.target, r.pass, r.figure])).toEqual([
      ['nmcp ≥ 4× SDK 1.x (http, echo-200b, 64 in flight)', false, '3.75×'],
      ['nmcp ≥ 90% of the bare fastify echo (http, echo-200b, 64 in flight)', true, '0.90×'],
    ]);
  });

  it('a server that falls behind the offered rate fails the CPU target whatever its CPU figure', () => {
    const behind = openAt({ perSecond: 2300, usage: { ...makeCase().usage, cpuPercent: 57 } });
    const cpu = row(evaluateTargets(makeReport([behind])), 'cpu', 'stdio');
    expect(cpu).toMatchObject({ pass: false, figure: '57% CPU' });
    expect(cpu.detail).toContain('did not sustain the offered rate');
    // and an open loop alone measures no capacity
    expect(row(evaluateTargets(makeReport([openAt()])), 'throughput', 'stdio').pass).toBe('not measured');
  });
});
