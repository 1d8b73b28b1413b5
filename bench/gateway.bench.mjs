#!/usr/bin/env node
// `npm run bench:gateway`: forward throughput of a gateway — tools/call `up__echo` (200 B text), 64 in flight, one
// downstream connection over stdio, the upstream `nmcp serve --stdio --example everything` spawned by the gateway —
// for nmcp's gateway data plane (bench/peers/nmcp-gateway.mjs: frames forwarded as bytes) and a gateway built the
// obvious way on the official SDK 1.x (bench/peers/sdk1-gateway.mjs: parse, client.callTool, re-serialize), with the
// upstream alone (no gateway) as the reference. Round-robin runs, medians, ratios in the same run.
//
//   npm run bench:gateway -- [--duration 5] [--runs 3] [--warmup 1] [--in-flight 64] [--json]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runStdioLoad } from './lib/stdio-load.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here('../dist/cli/main.js');
const upstream = [process.execPath, cli, 'serve', '--stdio', '--example', 'everything'];
const CASES = {
  nmcp: {
    label: 'nmcp gateway (Forwarder)',
    args: [here('./peers/nmcp-gateway.mjs'), '--', ...upstream],
    tool: 'up__echo',
  },
  sdk1: {
    label: 'SDK 1.x gateway (Client + Server)',
    args: [here('./peers/sdk1-gateway.mjs'), '--', ...upstream],
    tool: 'up__echo',
  },
  direct: { label: 'upstream alone, no gateway', args: upstream.slice(1), tool: 'echo' },
};

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'in-flight': { type: 'string', default: '64' },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(cli)) {
  console.error(`bench:gateway: ${cli} is missing: run \`npm run build\` first`);
  process.exit(2);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const runs = Number(values.runs);
const results = Object.fromEntries(Object.keys(CASES).map((k) => [k, []]));
const ratios = { 'nmcp/sdk1': [], 'nmcp/direct': [] };
for (let run = 1; run <= runs; run++) {
  const perRun = {};
  for (const [name, c] of Object.entries(CASES)) {
    const r = await runStdioLoad({
      command: process.execPath,
      args: c.args,
      tool: c.tool,
      inFlight: Number(values['in-flight']),
      warmupMs: Number(values.warmup) * 1000,
      durationMs: Number(values.duration) * 1000,
    });
    if (r.lost > 0 || r.errors > 0) throw new Error(`${name}: lost ${r.lost}, errors ${r.errors}`);
    results[name].push(r.perSecond);
    perRun[name] = r.perSecond;
    process.stderr.write(`  run ${run} ${name.padEnd(6)} ${fmt(r.perSecond).padStart(9)} msg/s\n`);
  }
  ratios['nmcp/sdk1'].push(perRun.nmcp / perRun.sdk1);
  ratios['nmcp/direct'].push(perRun.nmcp / perRun.direct);
}
const summary = Object.fromEntries(
  Object.entries(results).map(([k, v]) => [
    k,
    { label: CASES[k].label, perSecond: median(v), runs: v.map(Math.round) },
  ]),
);
const ratioSummary = Object.fromEntries(
  Object.entries(ratios).map(([k, v]) => [k, { median: median(v), min: Math.min(...v), max: Math.max(...v) }]),
);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, runs, summary, ratios: ratioSummary }, null, 2)}\n`);
} else {
  const out = [
    '',
    `median of ${runs} run(s), tools/call responses per second through the gateway:`,
    '',
    '| case | msg/s (median) | runs |',
    '|---|---:|---|',
  ];
  for (const s of Object.values(summary))
    out.push(`| ${s.label} | ${fmt(s.perSecond)} | ${s.runs.map(fmt).join(' / ')} |`);
  out.push('');
  for (const [k, r] of Object.entries(ratioSummary))
    out.push(`${k}: ${r.median.toFixed(2)}× [${r.min.toFixed(2)} … ${r.max.toFixed(2)}] (per-run ratios)`);
  process.stdout.write(`${out.join('\n')}\n`);
}
