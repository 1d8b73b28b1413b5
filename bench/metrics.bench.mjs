#!/usr/bin/env node
// `npm run bench:metrics`: the cost of nmcp's metrics, two ways.
// 1. End to end: the everything example over stdio, tools/call echo (200 B), 64 in flight, with metrics off and on
//    (bench/peers/nmcp-metrics-server.mjs: every message counted, durations bucketed, prom-client's default metrics,
//    /metrics scraped every second). Runs alternate off/on; medians; on ÷ off for throughput and for the server's CPU
//    per message, per run, in the same run. On a shared VM these move by ±30 % from run to run: read the ratios' ranges.
// 2. In process, the hot path alone: one JsonRpcSession answering 300,000 tools/call requests from a sync handler, with
//    and without its SessionObserver (what metrics add per message), alternating, median ns per request.
//
//   npm run bench:metrics -- [--duration 5] [--runs 5] [--warmup 1] [--in-flight 64] [--json]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runStdioLoad } from './lib/stdio-load.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const peer = here('./peers/nmcp-metrics-server.mjs');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'in-flight': { type: 'string', default: '64' },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(here('../dist/metrics/operations.js'))) {
  console.error('bench:metrics: dist/ is missing or stale: run `npm run build` first');
  process.exit(2);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const runs = Number(values.runs);
const rows = { off: [], on: [] };
const ratios = { throughput: [], cpuPerMessage: [] };
for (let run = 1; run <= runs; run++) {
  // Alternate the order, so that neither mode always runs on a machine warmed (or loaded) by the other.
  const order = run % 2 ? ['off', 'on'] : ['on', 'off'];
  const perRun = {};
  for (const mode of order) {
    const r = await runStdioLoad({
      command: process.execPath,
      args: [peer, mode],
      inFlight: Number(values['in-flight']),
      warmupMs: Number(values.warmup) * 1000,
      durationMs: Number(values.duration) * 1000,
    });
    if (r.lost > 0 || r.errors > 0) throw new Error(`metrics ${mode}: lost ${r.lost}, errors ${r.errors}`);
    const cpuUs = (r.serverCpuMs * 1000) / r.responses;
    perRun[mode] = { perSecond: r.perSecond, cpuUs };
    rows[mode].push(perRun[mode]);
    process.stderr.write(
      `  run ${run} metrics ${mode.padEnd(3)} ${Math.round(r.perSecond).toLocaleString('en-US').padStart(9)} msg/s  ${cpuUs.toFixed(2)} µs CPU/msg\n`,
    );
  }
  ratios.throughput.push(perRun.on.perSecond / perRun.off.perSecond);
  ratios.cpuPerMessage.push(perRun.on.cpuUs / perRun.off.cpuUs);
}
const summary = Object.fromEntries(
  Object.entries(rows).map(([k, v]) => [
    k,
    { perSecond: median(v.map((x) => x.perSecond)), cpuUsPerMessage: median(v.map((x) => x.cpuUs)) },
  ]),
);
const ratioSummary = Object.fromEntries(
  Object.entries(ratios).map(([k, v]) => [k, { median: median(v), min: Math.min(...v), max: Math.max(...v) }]),
);
// 2. The observer alone, in process.
const { JsonRpcSession } = await import('../dist/session/session.js');
const { MessageStats } = await import('../dist/metrics/message-stats.js');
const N = 300_000;
const texts = Array.from(
  { length: 1000 },
  (_, i) =>
    `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello world ${i}"}}}`,
);
async function sessionNs(observe) {
  let sink;
  const transport = {
    kind: 'bench',
    start: async (s) => {
      sink = s;
    },
    send: () => true,
    close: async () => {},
  };
  const session = new JsonRpcSession(transport);
  session.requestHandlers.set('tools/call', (p) => ({ content: [{ type: 'text', text: p.arguments.text }] }));
  if (observe) session.observer = new MessageStats();
  await session.start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink.message(texts[i % 1000]);
  return Number(process.hrtime.bigint() - t0) / N;
}
const micro = { off: [], on: [] };
for (let round = 0; round < 2 * runs; round++) {
  for (const mode of round % 2 ? ['on', 'off'] : ['off', 'on']) micro[mode].push(await sessionNs(mode === 'on'));
}
const microSummary = { offNs: median(micro.off), onNs: median(micro.on) };
microSummary.addedNs = microSummary.onNs - microSummary.offNs;

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ node: process.version, runs, summary, ratios: ratioSummary, session: microSummary }, null, 2)}\n`,
  );
} else {
  const f = (r) => `${r.median.toFixed(3)}× [${r.min.toFixed(3)} … ${r.max.toFixed(3)}]`;
  process.stdout.write(
    [
      '',
      `median of ${runs} run(s), stdio, tools/call echo 200 B, ${values['in-flight']} in flight:`,
      '',
      '| metrics | msg/s (median) | server CPU µs/msg (median) |',
      '|---|---:|---:|',
      `| off | ${Math.round(summary.off.perSecond).toLocaleString('en-US')} | ${summary.off.cpuUsPerMessage.toFixed(2)} |`,
      `| on (counted, scraped every 1 s) | ${Math.round(summary.on.perSecond).toLocaleString('en-US')} | ${summary.on.cpuUsPerMessage.toFixed(2)} |`,
      '',
      `on ÷ off, throughput: ${f(ratioSummary.throughput)} (per-run ratios)`,
      `on ÷ off, CPU per message: ${f(ratioSummary.cpuPerMessage)} (per-run ratios)`,
      '',
      `in process, one session, ${N.toLocaleString('en-US')} requests × ${2 * runs} rounds (median): ${microSummary.offNs.toFixed(0)} ns/request without the observer, ${microSummary.onNs.toFixed(0)} with it (+${microSummary.addedNs.toFixed(0)} ns)`,
      '',
    ].join('\n'),
  );
}
