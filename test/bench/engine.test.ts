/**
 * runBench end to end: real server processes (the built CLI, dist/), real pipes and sockets, short windows. These
 * assert structure and correctness — every request answered exactly once, counts that add up, percentiles in order —
 * never speed.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BenchCase, BenchReport } from '../../src/bench/report.js';
import { computeRatios, resolveBenchOptions, runBench } from '../../src/bench/run-bench.js';

const SHORT = { durationMs: 300, warmupMs: 100, runs: 1 } as const;
const faulty = fileURLToPath(new URL('./fixtures/faulty-echo.mjs', import.meta.url));

function expectSound(c: BenchCase): void {
  expect(c.lost).toBe(0);
  expect(c.errors).toBe(0);
  expect(c.unexpected).toBe(0);
  expect(c.messages).toBeGreaterThan(0);
  // Timers may fire a fraction of a millisecond before performance.now() says the time is up.
  expect(c.durationMs).toBeGreaterThanOrEqual(295);
  expect(c.perSecond).toBeCloseTo(c.messages / (c.durationMs / 1000), 6);
  // Every message counted in the window is in exactly one timeline bucket.
  expect(c.timeline.reduce((n, b) => n + b.messages, 0)).toBe(c.messages);
  expect(c.timeline.map((b) => b.tMs)).toEqual(c.timeline.map((_, i) => i * 250));
  const l = c.latencyUs;
  expect(l.count).toBeGreaterThan(0);
  expect(l.p50).toBeGreaterThan(0);
  expect(l.p50).toBeLessThanOrEqual(l.p90);
  expect(l.p90).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.p999);
  expect(l.p999).toBeLessThanOrEqual(l.max);
  for (let i = 1; i < l.distribution.length; i++) {
    const [p0, v0] = l.distribution[i - 1] as readonly [number, number];
    const [p1, v1] = l.distribution[i] as readonly [number, number];
    expect(p1).toBeGreaterThan(p0);
    expect(v1).toBeGreaterThanOrEqual(v0);
  }
}

function expectServerMeasured(c: BenchCase): void {
  if (process.platform !== 'linux') return;
  expect(c.usage.cpuPercent).toBeGreaterThan(0);
  expect(c.usage.cpuUsPerMessage).toBeGreaterThan(0);
  const rss = c.usage.rssBytes;
  expect(rss).toBeDefined();
  expect(rss?.start).toBeGreaterThan(1024 * 1024);
  expect(rss?.peak).toBeGreaterThanOrEqual(Math.max(rss?.start ?? 0, rss?.end ?? 0));
}

function only(report: BenchReport): BenchCase {
  expect(report.failures).toEqual([]);
  expect(report.cases).toHaveLength(1);
  return report.cases[0] as BenchCase;
}

describe('runBench', () => {
  for (const transport of ['stdio', 'tcp', 'tcp-ndjson', 'unix', 'http', 'http2'] as const) {
    it(`closed loop, echo-200b over ${transport}: every request answered once`, async () => {
      const report = await runBench({ ...SHORT, transports: [transport], inFlight: 16, connections: 2 });
      expect(report.version).toBe(1);
      expect(report.tool).toBe('nmcp bench');
      expect(report.machine.cpus).toBeGreaterThan(0);
      const c = only(report);
      expect(c).toMatchObject({ workload: 'echo-200b', transport, server: 'nmcp', mode: 'closed', connections: 2 });
      expect(c.inFlight).toBe(16);
      expect(c.offeredRate).toBeUndefined();
      expect(c.scheduleLagUs).toBeUndefined();
      expect(c.unit).toBe('responses');
      expectSound(c);
      expectServerMeasured(c);
    });
  }

  it('open loop at a fixed rate: the offered rate is recorded and latency comes from the schedule', async () => {
    const report = await runBench({ ...SHORT, durationMs: 500, transports: ['unix'], mode: 'open', rate: 1000 });
    const c = only(report);
    expect(c.mode).toBe('open');
    expect(c.offeredRate).toBe(1000);
    expect(c.inFlight).toBeUndefined();
    expectSound(c);
    // One request per ms is due; those due in the window are the latency samples (each answered, none lost).
    // Every request due inside the window is sent (even if late) and answered: no sample is omitted.
    expect(c.latencyUs.count).toBeGreaterThanOrEqual(Math.floor(c.durationMs) - 1);
    expect(c.latencyUs.count).toBeLessThanOrEqual(Math.ceil(c.durationMs) + 1);
    // The generator reports how late it wrote each request against its due time (a closed loop has no schedule).
    const lag = c.scheduleLagUs;
    expect(lag).toBeDefined();
    expect(lag?.p50).toBeGreaterThanOrEqual(1);
    expect(lag?.p99).toBeGreaterThanOrEqual(lag?.p50 ?? 0);
    expect(lag?.max).toBeGreaterThanOrEqual(lag?.p99 ?? 0);
  });

  it('modern era over HTTP/2 and TCP: the 2026-07-28 envelope, no handshake', async () => {
    const report = await runBench({ ...SHORT, transports: ['http2', 'tcp'], era: 'modern', inFlight: 8 });
    expect(report.failures).toEqual([]);
    expect(report.cases).toHaveLength(2);
    for (const c of report.cases) {
      expect(c.era).toBe('modern');
      expectSound(c);
    }
  });

  it('tools-list-1000 and echo-64k against the many-tools and everything servers', async () => {
    const report = await runBench({
      ...SHORT,
      transports: ['tcp'],
      workloads: ['tools-list-1000', 'echo-64k'],
      inFlight: 4,
    });
    expect(report.failures).toEqual([]);
    expect(report.cases.map((c) => c.workload)).toEqual(['tools-list-1000', 'echo-64k']);
    for (const c of report.cases) expectSound(c);
  });

  it('fanout: every subscribed session gets every update; stdio is skipped with the reason', async () => {
    const report = await runBench({
      ...SHORT,
      transports: ['stdio', 'tcp', 'http'],
      workloads: ['fanout'],
      connections: 5,
    });
    expect(report.failures).toEqual([]);
    expect(report.skipped).toEqual([expect.objectContaining({ transport: 'stdio', workload: 'fanout' })]);
    expect(report.cases.map((c) => c.transport)).toEqual(['tcp', 'http']);
    for (const c of report.cases) {
      expect(c.unit).toBe('notifications');
      expect(c.connections).toBe(5);
      expect(c.messages % 5).toBe(0);
      expect(c.latencyUs.count).toBe(c.messages / 5);
      expectSound(c);
    }
  });

  it('churn: whole sessions over a socket', async () => {
    const report = await runBench({
      ...SHORT,
      durationMs: 600,
      transports: ['tcp'],
      workloads: ['churn'],
      connections: 2,
    });
    const c = only(report);
    expect(c.unit).toBe('sessions');
    expect(c.latencyUs.count).toBe(c.messages);
    expectSound(c);
    expectServerMeasured(c);
  });

  it('churn over stdio: a session is a process; its CPU cannot be read once it is gone', async () => {
    // A window long enough for whole process lifetimes on a loaded machine.
    const report = await runBench({
      ...SHORT,
      durationMs: 3000,
      transports: ['stdio'],
      workloads: ['churn'],
      connections: 2,
    });
    const c = only(report);
    expect(c.latencyUs.count).toBe(c.messages);
    expectSound(c);
    expect(c.usage.cpuPercent).toBeUndefined();
  });

  it('counts errors, lost and unexpected responses of a faulty server (a --target command)', async () => {
    const report = await runBench({
      ...SHORT,
      target: `${process.execPath} ${faulty}`,
      inFlight: 8,
      drainTimeoutMs: 300,
    });
    const c = only(report);
    expect(c.server).toBe('target');
    expect(c.lost).toBeGreaterThan(0); // every 25th request is never answered
    expect(c.errors).toBeGreaterThan(0); // every 7th is a JSON-RPC error
    expect(c.unexpected).toBeGreaterThan(0); // every 10th is answered twice
  });

  it('a workload the server cannot do is errors, not speed (tools-list-1000 against a 1-tool server)', async () => {
    const bare = fileURLToPath(new URL('../../bench/peers/bare-echo.mjs', import.meta.url));
    const report = await runBench({
      ...SHORT,
      target: `${process.execPath} ${bare}`,
      workloads: ['tools-list-1000'],
      inFlight: 4,
    });
    const c = only(report);
    expect(c.errors).toBeGreaterThan(0);
  });

  it('--peers: the SDKs and the floor in the same run, ratios with their spread, absent peers said', async () => {
    const report = await runBench({
      ...SHORT,
      runs: 2,
      peers: true,
      transports: ['stdio'],
      workloads: ['echo-200b', 'tools-list-1000'],
      inFlight: 8,
    });
    expect(report.failures).toEqual([]);
    const servers = report.cases.filter((c) => c.workload === 'echo-200b').map((c) => `${c.run}:${c.server}`);
    // Interleaved: every server within each run, run after run.
    expect(servers).toEqual(['1:nmcp', '1:sdk1', '1:sdk2', '1:bare', '2:nmcp', '2:sdk1', '2:sdk2', '2:bare']);
    for (const c of report.cases) expectSound(c);
    expect(report.ratios.map((r) => r.peer)).toEqual(['sdk1', 'sdk2', 'bare']);
    for (const r of report.ratios) {
      expect(r.workload).toBe('echo-200b');
      expect(r.min).toBeLessThanOrEqual(r.median);
      expect(r.median).toBeLessThanOrEqual(r.max);
      expect(r.min).toBeGreaterThan(0);
    }
    expect(report.skipped?.filter((s) => s.workload === 'tools-list-1000').map((s) => s.server)).toEqual([
      'sdk1',
      'sdk2',
      'bare',
    ]);
  });

  it('--peers over the network: the SDKs and the floor where they exist, "no peer for …" where they do not', async () => {
    const report = await runBench({ ...SHORT, peers: true, transports: ['http', 'tcp-ndjson'], inFlight: 4 });
    expect(report.failures).toEqual([]);
    const ran = report.cases.map((c) => `${c.transport}:${c.server}`);
    expect(ran).toEqual(['http:nmcp', 'http:sdk1', 'http:sdk2', 'http:bare', 'tcp-ndjson:nmcp', 'tcp-ndjson:bare']);
    for (const c of report.cases) expectSound(c);
    expect(report.skipped?.map((s) => `${s.transport}:${s.server}:${s.reason}`)).toEqual([
      'tcp-ndjson:sdk1:no peer for tcp-ndjson',
      'tcp-ndjson:sdk2:no peer for tcp-ndjson',
    ]);
    expect(report.ratios.map((r) => `${r.transport}:${r.peer}`)).toEqual([
      'http:sdk1',
      'http:sdk2',
      'http:bare',
      'tcp-ndjson:bare',
    ]);
  });
});

describe('bench options and ratios', () => {
  it('refuses contradictions with the reason', () => {
    expect(resolveBenchOptions({ mode: 'open', workloads: ['churn'] })).toMatch(/open loop/);
    expect(resolveBenchOptions({ peers: true, target: 'node x.js' })).toMatch(/target and peers/);
    expect(resolveBenchOptions({ target: 'node x.js', transports: ['tcp'] })).toMatch(/stdio only/);
    expect(resolveBenchOptions({ target: 'http://127.0.0.1:1/mcp', transports: ['stdio'] })).toMatch(/not stdio/);
    expect(resolveBenchOptions({ era: 'modern', workloads: ['fanout'] })).toMatch(/legacy/);
    expect(resolveBenchOptions({ inFlight: 0 })).toMatch(/inFlight/);
    expect(resolveBenchOptions({})).toMatchObject({
      workloads: ['echo-200b'],
      transports: ['stdio'],
      runs: 3,
      inFlight: 64,
    });
    expect(resolveBenchOptions({ target: 'tcp://127.0.0.1:7000' })).toMatchObject({ transports: ['tcp'] });
  });

  it('a ratio pairs nmcp and the peer of the same run', () => {
    const base = {
      workload: 'echo-200b',
      transport: 'stdio',
      mode: 'closed',
    } as const;
    const mk = (server: 'nmcp' | 'sdk1', run: number, perSecond: number) =>
      ({ ...base, server, run, perSecond }) as BenchCase;
    const ratios = computeRatios([
      mk('nmcp', 1, 100),
      mk('sdk1', 1, 50),
      mk('nmcp', 2, 90),
      mk('sdk1', 2, 10),
      mk('nmcp', 3, 80),
      mk('sdk1', 3, 40),
    ]);
    expect(ratios).toEqual([{ ...base, peer: 'sdk1', metric: 'perSecond', median: 2, min: 2, max: 9 }]);
  });
});
