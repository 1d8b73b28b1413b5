// A small closed-loop measurement of a stdio MCP server, for the regression-gate test: real process, real pipe, every
// request timed and matched to its response. It builds a BenchCase (the report contract) from what it measured, so
// the gate is exercised on real figures without depending on the engine under construction next door.
import { spawn } from 'node:child_process';
import type { BenchCase, BenchServer } from '../../src/bench/report.js';

export interface StdioTarget {
  readonly server: BenchServer;
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A meeting point for `n` parties: each awaits arrive(), which resolves when all n have arrived. */
export function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return () => {
    if (++arrived >= n) open();
    return opened;
  };
}

/**
 * Runs tools/call echo with `inFlight` outstanding for warmupMs + durationMs; only the second window counts. With
 * `ready`, the load starts only once it resolves (called after the handshake): servers measured side by side then
 * share the same window instead of one measuring while the other is still loading its modules.
 */
export async function measureStdioEcho(
  target: StdioTarget,
  run: number,
  {
    inFlight = 16,
    warmupMs = 250,
    durationMs = 600,
    ready: allReady,
  }: { inFlight?: number; warmupMs?: number; durationMs?: number; ready?: () => Promise<void> } = {},
): Promise<BenchCase> {
  const child = spawn(target.command, [...target.args], {
    env: target.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-2000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const text = 'x'.repeat(200);
  const sentAt = new Map<number, bigint>();
  const latenciesUs: number[] = [];
  let nextId = 1;
  let measuring = false;
  let stopping = false;
  let errors = 0;
  let messages = 0;
  const bucketMs = 100;
  const buckets: number[] = [];
  let t0 = 0n;
  let initialized: () => void = () => {};
  const ready = new Promise<void>((r) => {
    initialized = r;
  });
  let drained: () => void = () => {};
  const allIn = new Promise<void>((r) => {
    drained = r;
  });

  const send = (n: number) => {
    let batch = '';
    for (let i = 0; i < n; i++) {
      const id = nextId++;
      sentAt.set(id, process.hrtime.bigint());
      batch += `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } })}\n`;
    }
    child.stdin.write(batch);
  };

  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop() ?? '';
    let answered = 0;
    const now = process.hrtime.bigint();
    for (const line of lines) {
      if (!line) continue;
      const msg = JSON.parse(line) as { id?: number; result?: { content?: { text?: string }[] } };
      if (msg.id === 0) {
        initialized();
        continue;
      }
      const at = msg.id === undefined ? undefined : sentAt.get(msg.id);
      if (at === undefined) continue;
      sentAt.delete(msg.id!);
      answered++;
      if (msg.result?.content?.[0]?.text !== text) errors++;
      if (measuring) {
        messages++;
        latenciesUs.push(Number(now - at) / 1000);
        const b = Math.floor(Number(now - t0) / 1e6 / bucketMs);
        buckets[b] = (buckets[b] ?? 0) + 1;
      }
    }
    if (!stopping) send(answered);
    else if (sentAt.size === 0) drained();
  });

  child.stdin.write(
    `${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'gate-test', version: '1' } } })}\n`,
  );
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await Promise.race([ready, exited.then(() => Promise.reject(new Error(`${target.label} exited: ${stderr}`)))]);
  child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  await allReady?.();
  send(inFlight);
  await new Promise((r) => setTimeout(r, warmupMs));
  t0 = process.hrtime.bigint();
  measuring = true;
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const measuredMs = Number(process.hrtime.bigint() - t0) / 1e6;
  stopping = true;
  if (sentAt.size > 0) await Promise.race([allIn, new Promise((r) => setTimeout(r, 5000))]);
  const lost = sentAt.size;
  child.stdin.end();
  await exited;
  clearTimeout(timeout);

  const sorted = latenciesUs.sort((a, b) => a - b);
  const ps = [0, 50, 90, 99, 99.9, 100] as const;
  return {
    workload: 'echo-200b',
    transport: 'stdio',
    server: target.server,
    serverLabel: target.label,
    mode: 'closed',
    connections: 1,
    inFlight,
    offeredRate: undefined,
    durationMs: measuredMs,
    messages,
    perSecond: (messages * 1000) / measuredMs,
    latencyUs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      max: sorted.at(-1) ?? Number.NaN,
      mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
      count: sorted.length,
      distribution: ps.map((p) => [p, percentile(sorted, p)] as const),
    },
    errors,
    lost,
    usage: { cpuPercent: undefined, cpuUsPerMessage: undefined, rssBytes: undefined },
    timeline: buckets.map((n, i) => ({ tMs: i * bucketMs, messages: n ?? 0 })),
    run,
  };
}
