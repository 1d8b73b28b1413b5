#!/usr/bin/env node
// `npm run bench:pool`: the point of the worker pool — a CPU-heavy tool (SHA-256 over 1 MiB) called with `--heavy N`
// calls in flight, and a cheap tool (echo) called one at a time beside it; the heavy tool on the event loop
// (`inline`) vs in a WorkerPool (`pool`), each in a fresh server process over stdio (bench/peers/pool-server.mjs).
// Per mode: heavy calls per second, and the cheap calls' latency p50 / p99 / max. Runs alternate the modes; medians.
//
//   npm run bench:pool -- [--duration 5] [--runs 3] [--heavy 8] [--json]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    heavy: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(here('../dist/pool/worker-pool.js'))) {
  console.error('bench:pool: dist/ is missing or stale: run `npm run build` first');
  process.exit(2);
}
const { McpClient } = await import('../dist/client/mcp-client.js');
const { StdioClientTransport } = await import('../dist/transport/child-process.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure(mode) {
  const client = new McpClient({ name: 'bench-pool', version: '1' }, { negotiation: 'legacy' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [here('./peers/pool-server.mjs'), mode],
      stderr: 'inherit',
    }),
  );
  // Warm up: workers started, code compiled.
  await Promise.all(Array.from({ length: 8 }, () => client.callTool({ name: 'hash', arguments: { rounds: 1 } })));
  const until = Date.now() + Number(values.duration) * 1000;
  let heavyDone = 0;
  const heavy = Array.from({ length: Number(values.heavy) }, async () => {
    while (Date.now() < until) {
      const r = await client.callTool({ name: 'hash', arguments: { rounds: 1 } });
      if (r.isError) throw new Error(`hash failed: ${JSON.stringify(r.content)}`);
      heavyDone++;
    }
  });
  const latencies = [];
  const started = Date.now();
  while (Date.now() < until) {
    const t0 = performance.now();
    await client.callTool({ name: 'echo', arguments: { text: 'ping' } });
    latencies.push(performance.now() - t0);
  }
  await Promise.all(heavy);
  const seconds = (Date.now() - started) / 1000;
  await client.close();
  latencies.sort((a, b) => a - b);
  return {
    heavyPerSecond: heavyDone / seconds,
    cheapCalls: latencies.length,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    max: latencies[latencies.length - 1],
  };
}

const runs = Number(values.runs);
const rows = { inline: [], pool: [] };
for (let run = 1; run <= runs; run++) {
  for (const mode of run % 2 ? ['inline', 'pool'] : ['pool', 'inline']) {
    const r = await measure(mode);
    rows[mode].push(r);
    process.stderr.write(
      `  run ${run} ${mode.padEnd(6)} heavy ${r.heavyPerSecond.toFixed(0).padStart(5)}/s  cheap p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms max ${r.max.toFixed(1)} ms (${r.cheapCalls} calls)\n`,
    );
  }
}
const summary = Object.fromEntries(
  Object.entries(rows).map(([k, v]) => [
    k,
    {
      heavyPerSecond: median(v.map((r) => r.heavyPerSecond)),
      cheapP50Ms: median(v.map((r) => r.p50)),
      cheapP99Ms: median(v.map((r) => r.p99)),
      cheapMaxMs: median(v.map((r) => r.max)),
    },
  ]),
);
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ node: process.version, runs, heavyInFlight: Number(values.heavy), summary }, null, 2)}\n`,
  );
} else {
  const f = (n) => n.toFixed(2);
  process.stdout.write(
    [
      '',
      `median of ${runs} run(s): hash (SHA-256 of 1 MiB) with ${values.heavy} in flight, echo one at a time beside it, stdio:`,
      '',
      '| hash runs | hash calls/s | echo p50 | echo p99 | echo max |',
      '|---|---:|---:|---:|---:|',
      ...['inline', 'pool'].map(
        (k) =>
          `| ${k === 'inline' ? 'on the event loop' : 'in the WorkerPool'} | ${summary[k].heavyPerSecond.toFixed(0)} | ${f(summary[k].cheapP50Ms)} ms | ${f(summary[k].cheapP99Ms)} ms | ${f(summary[k].cheapMaxMs)} ms |`,
      ),
      '',
      `pool ÷ inline: hash throughput ${(summary.pool.heavyPerSecond / summary.inline.heavyPerSecond).toFixed(2)}×, echo p99 ${(summary.pool.cheapP99Ms / summary.inline.cheapP99Ms).toFixed(3)}×`,
      '',
    ].join('\n'),
  );
}
