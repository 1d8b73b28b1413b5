#!/usr/bin/env node
// `npm run bench:metrics`: the cost of nmcp's metrics — the everything example over stdio, tools/call echo (200 B),
// 64 in flight, with metrics off and on (bench/peers/nmcp-metrics-server.mjs: every message counted, durations
// bucketed, /metrics scraped every second). Runs alternate off/on; medians; on ÷ off for throughput and for the
// server's CPU per message, per run, in the same run.
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
if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, runs, summary, ratios: ratioSummary }, null, 2)}\n`);
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
    ].join('\n'),
  );
}
