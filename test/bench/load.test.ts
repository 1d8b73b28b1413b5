/**
 * `nmcp load` through the built CLI (dist/cli/main.js) — usage errors with their fix, exit codes, and two short real
 * runs against nmcp's own server — plus the option checks of runLoad (resolveLoadOptions, isLoopbackTarget) directly.
 * The real runs assert soundness (every client connected, every request answered once, no error), never speed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Driver, LoadSink } from '../../src/bench/driver.js';
import { descriptorProblem, isLoopbackTarget, MAX_CLIENTS, resolveLoadOptions } from '../../src/bench/load.js';
import { runLoop } from '../../src/bench/load-loop.js';
import type { BenchReport } from '../../src/bench/report.js';
import { runCli } from '../helpers/run-cli.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const run = (args: string[]) => runCli(['load', ...args]);

const SHORT = ['--clients', '20', '--duration', '300ms', '--warmup', '100ms'];

describe('nmcp load: options', () => {
  it('knows loopback from elsewhere', () => {
    for (const t of [
      'http://127.0.0.1:3000/mcp',
      'http://127.8.9.10/mcp',
      'https://localhost:8443/mcp',
      'http://[::1]:3000/mcp',
      'tcp://127.0.0.1:9000',
      'tcp://[::1]:9000',
      'tcp://localhost:9000',
      'unix:/tmp/s.sock',
    ]) {
      expect(isLoopbackTarget(t), t).toBe(true);
    }
    for (const t of [
      'http://example.com/mcp',
      'http://10.0.0.1:3000/mcp',
      'http://128.0.0.1/mcp',
      'http://127.example.com/mcp',
      'tcp://0.0.0.0:9000',
      'tcp://192.168.1.2:9000',
      'http://[2001:db8::1]/mcp',
    ]) {
      expect(isLoopbackTarget(t), t).toBe(false);
    }
  });

  it('maps clients to connections, one run, one request in flight per client (closed) or the rate (open)', () => {
    const closed = resolveLoadOptions({ clients: 300, durationMs: 2000 });
    expect(closed).toMatchObject({
      connections: 300,
      runs: 1,
      mode: 'closed',
      inFlight: 1,
      transports: ['tcp'],
      workloads: ['echo-200b'],
      durationMs: 2000,
    });
    const open = resolveLoadOptions({ rate: 5000 });
    expect(open).toMatchObject({ connections: 100, mode: 'open', rate: 5000, durationMs: 60_000 });
    expect(resolveLoadOptions({ target: 'unix:/tmp/x.sock' })).toMatchObject({ transports: ['unix'] });
    expect(resolveLoadOptions({ target: 'http://127.0.0.1:1/mcp' })).toMatchObject({ transports: ['http'] });
    expect(resolveLoadOptions({ target: 'http://example.com/mcp', allowRemote: true })).toMatchObject({
      target: 'http://example.com/mcp',
    });
    expect(resolveLoadOptions({ clients: MAX_CLIENTS + 1 })).toHaveProperty('problem');
    expect(resolveLoadOptions({ durationMs: 3_600_001 })).toHaveProperty('problem');
  });

  it('refuses more clients than the open-file limit allows, with the limit and the fix', () => {
    expect(descriptorProblem(10_000, 'tcp', 1, 20_000)).toBeUndefined();
    expect(descriptorProblem(10_000, 'tcp', 1, undefined)).toBeUndefined();
    // HTTP/1.1: a socket per request in flight, plus the one the session's pool keeps for its GET stream.
    const http = descriptorProblem(10_000, 'http', 1, 20_000);
    expect(http?.problem).toMatch(/10,000 clients over http need about 20,100 open files .* over the limit of 20,000/);
    expect(http?.fix).toMatch(/ulimit -n 20100.* at most 9,950 clients, or --transport http2 or tcp/);
    expect(descriptorProblem(10_000, 'http2', 1, 20_000)).toBeUndefined();
    expect(descriptorProblem(2000, 'tcp', 1, 1024)?.fix).toMatch(/at most 924 clients\.$/);
  });

  for (const [args, pattern] of [
    [['--clients', '0'], /clients must be a whole number from 1 to 10,000, got 0/],
    [['--clients', '10001'], /clients must be a whole number from 1 to 10,000, got 10,001/],
    [['--clients', 'many'], /--clients needs a whole number/],
    [['--duration', '61m'], /duration must be a whole number from 50 ms to 1 h, got 61 min/],
    [['--duration', 'soon'], /--duration needs a time/],
    [['--rate', '1000', '--in-flight', '2'], /not both/],
    [['--transport', 'stdio'], /stdio has one session per server process/],
    [['--transport', 'quic'], /unknown transport "quic"/],
    [['--workload', 'churn'], /unknown workload "churn"/],
    [['--target', 'node server.js'], /a command target is spoken to over stdio/],
    [['--target', 'http://example.com/mcp'], /not on this machine: a load test is a denial of service/],
    [['--target', 'tcp://10.1.2.3:9000'], /not on this machine/],
    [['--target', 'tcp://127.0.0.1:9000', '--transport', 'http'], /a tcp: target is reached over tcp or tcp-ndjson/],
    [['--era', 'future'], /--era must be legacy or modern/],
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
    expect(r.stdout).toMatch(/Usage: nmcp load/);
  });
});

/** A driver that answers every request on the next turn of the event loop, and logs when it sent each one. */
class EchoDriver implements Driver {
  sink: LoadSink = { response() {}, notification() {}, unexpected() {}, flush() {}, failed() {} };
  readonly sentAt: number[] = [];
  async handshake(): Promise<void> {}
  send(ids: readonly number[]): void {
    const now = performance.now();
    for (const _ of ids) this.sentAt.push(now);
    setImmediate(() => {
      for (const id of ids) this.sink.response(id, true);
      this.sink.flush();
    });
  }
  async control(): Promise<unknown> {
    return {};
  }
  async listen(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('the open loop over many clients', () => {
  it('spreads the rate over the clients in turn, not one request from every client at the same instant', async () => {
    const drivers = Array.from({ length: 5 }, () => new EchoDriver());
    // 100/s over 5 clients: a request every 10 ms, client 0, 1, 2, 3, 4, 0, … (each client every 50 ms).
    const r = await runLoop({
      drivers,
      mode: 'open',
      inFlight: 1,
      rate: 100,
      warmupMs: 0,
      durationMs: 200,
      drainTimeoutMs: 1000,
    });
    expect(r.failure).toBeUndefined();
    expect(r.lost).toBe(0);
    expect(r.errors).toBe(0);
    const counts = drivers.map((d) => d.sentAt.length);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // A request is never sent before it is due, so client c's first is at least 10·c ms after client 0's (which was
    // due as the loop started). One schedule per client would have sent all five first requests at once.
    const first = drivers.map((d) => d.sentAt[0] as number);
    for (let c = 1; c < 5; c++) expect((first[c] as number) - (first[0] as number)).toBeGreaterThanOrEqual(10 * c - 1);
  });
});

describe('nmcp load: runs', () => {
  it('20 clients over tcp, closed loop: the table, the summary, exit 0', async () => {
    const r = await run([...SHORT, '--transport', 'tcp']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| clients \| msg\/s \| p50 \| p90 \| p99 \| p99\.9 \| max \| server CPU \|/);
    expect(r.stdout).toMatch(/^\| 20 \| [\d,]+ \| .* \| \d+ MB \/ \d+ MB \/ \d+ MB \| .* \| 0 \| 0 \|$/m);
    expect(r.stdout).toMatch(/^nmcp load: clean — 20 clients, [\d,]+ responses/m);
  });

  it('--target: a server that is already listening (tcp://127.0.0.1:PORT); its CPU and RSS are not ours to read', async () => {
    const server = spawn(process.execPath, [cli, 'serve', '--tcp', '0', '--example', 'everything'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let text = '';
        server.stderr.setEncoding('utf8').on('data', (s: string) => {
          text += s;
          const m = /listening on (\S+)/.exec(text);
          if (m) resolve(m[1] as string);
        });
        server.once('exit', () => reject(new Error(`the server exited: ${text}`)));
      });
      const target = address.startsWith('tcp://') ? address : `tcp://${address}`;
      const r = await run([...SHORT, '--target', target, '--json']);
      expect(r.code).toBe(0);
      const c = (JSON.parse(r.stdout) as BenchReport).cases[0];
      expect(c).toMatchObject({ server: 'target', transport: 'tcp', connections: 20, errors: 0, lost: 0 });
      expect(c?.messages).toBeGreaterThan(0);
      expect(c?.usage.rssBytes).toBeUndefined();
    } finally {
      server.kill();
    }
  });

  it('20 clients over http at an offered rate (--json): every client served, nothing lost', async () => {
    const r = await run([...SHORT, '--transport', 'http', '--rate', '1000', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(r.stderr).toMatch(/nmcp load: clean/);
    expect(report.options).toMatchObject({ command: 'nmcp load', clients: 20, mode: 'open', rate: 1000, runs: 1 });
    expect(report.failures).toEqual([]);
    expect(report.cases).toHaveLength(1);
    const c = report.cases[0];
    expect(c).toMatchObject({
      connections: 20,
      transport: 'http',
      mode: 'open',
      offeredRate: 1000,
      errors: 0,
      lost: 0,
    });
    expect(c?.messages).toBeGreaterThan(0);
    expect(c?.usage.rssBytes?.peak).toBeGreaterThan(0);
  });
});
