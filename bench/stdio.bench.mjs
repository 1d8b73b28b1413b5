#!/usr/bin/env node
// npm run bench:stdio — tools/call `echo` (200 B text) throughput over stdio, 64 requests in flight on one connection,
// against nmcp (`nmcp serve --stdio --example everything`), the official SDK 1.x and 2.x, and a bare Node NDJSON echo
// (the floor), all spawned in one run. Each run spawns a fresh server per peer, round-robin, so drift hits every peer
// alike; the figure reported is the median over the runs. See bench/lib/stdio-load.mjs for the load generator.
//
//   npm run bench:stdio -- [--duration 5] [--runs 3] [--warmup 1] [--in-flight 64] [--text-bytes 200]
//                          [--only nmcp,sdk1,sdk2,bare] [--json]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runStdioLoad } from './lib/stdio-load.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here('../dist/cli/main.js');

const PEERS = {
  nmcp: { label: 'nmcp', args: [cli, 'serve', '--stdio', '--example', 'everything'] },
  sdk1: { label: '@modelcontextprotocol/sdk 1.x', args: [here('./peers/sdk1-echo.mjs')] },
  sdk2: { label: '@modelcontextprotocol/server 2.x', args: [here('./peers/sdk2-echo.mjs')] },
  bare: { label: 'bare Node NDJSON echo', args: [here('./peers/bare-echo.mjs')] },
};

function usage(message) {
  process.stderr.write(
    `bench:stdio: ${message}\nUsage: npm run bench:stdio -- [--duration SECONDS] [--runs N] [--warmup SECONDS] [--in-flight N] [--text-bytes N] [--only ${Object.keys(PEERS).join(',')}] [--json]\n`,
  );
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      'in-flight': { type: 'string', default: '64' },
      'text-bytes': { type: 'string', default: '200' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  usage(err.message);
}
const num = (name, min) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min)
    usage(`--${name} must be a number ≥ ${min} (got ${JSON.stringify(values[name])})`);
  return n;
};
const durationMs = num('duration', 0.1) * 1000;
const warmupMs = num('warmup', 0) * 1000;
const runs = Math.floor(num('runs', 1));
const inFlight = Math.floor(num('in-flight', 1));
const textBytes = Math.floor(num('text-bytes', 1));
const selected = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(PEERS);
for (const name of selected) if (!PEERS[name]) usage(`unknown peer "${name}" in --only (known: ${Object.keys(PEERS)})`);
if (selected.includes('nmcp') && !existsSync(cli)) usage(`${cli} is missing: run \`npm run build\` first`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const log = (s) => process.stderr.write(`${s}\n`);

let core = 'n/a';
if (selected.includes('nmcp')) {
  const r = spawnSync(process.execPath, [cli, 'core'], { encoding: 'utf8' });
  const kind = r.stdout.match(/core: (\S+)/)?.[1] ?? '?';
  const version = r.stdout.match(/version: (\S+)/)?.[1];
  core = version ? `${kind} ${version}` : kind;
}
log(
  `bench:stdio — tools/call echo, ${textBytes} B text, ${inFlight} in flight, one connection; ${runs} run(s) × ${durationMs / 1000} s (+${warmupMs / 1000} s warm-up) per server`,
);
log(`node ${process.version}, ${process.platform}-${process.arch}; nmcp core: ${core}`);

const results = Object.fromEntries(selected.map((name) => [name, []]));
for (let run = 1; run <= runs; run++) {
  for (const name of selected) {
    const peer = PEERS[name];
    try {
      const r = await runStdioLoad({
        command: process.execPath,
        args: peer.args,
        inFlight,
        warmupMs,
        durationMs,
        textBytes,
      });
      results[name].push(r);
      const cpu =
        r.serverCpuMs === undefined ? '' : `, server CPU ${((100 * r.serverCpuMs) / (r.seconds * 1000)).toFixed(0)}%`;
      log(
        `  run ${run} ${name.padEnd(5)} ${fmt(r.perSecond).padStart(9)} msg/s  (${fmt(r.responses)} responses, lost ${r.lost}, errors ${r.errors}${cpu}, load generator CPU ${((100 * r.clientCpuMs) / (r.seconds * 1000)).toFixed(0)}%)`,
      );
    } catch (err) {
      log(`  run ${run} ${name.padEnd(5)} FAILED: ${err.message}`);
      results[name].push(undefined);
    }
  }
}

const summary = {};
for (const name of selected) {
  const ok = results[name].filter(Boolean);
  if (ok.length === 0) {
    summary[name] = { label: PEERS[name].label, failed: true };
    continue;
  }
  const cpu = ok.every((r) => r.serverCpuMs !== undefined)
    ? median(ok.map((r) => (r.serverCpuMs * 1000) / r.responses)) // µs of server CPU per message
    : undefined;
  summary[name] = {
    label: PEERS[name].label,
    perSecond: median(ok.map((r) => r.perSecond)),
    runs: ok.map((r) => Math.round(r.perSecond)),
    failedRuns: results[name].length - ok.length,
    lost: ok.reduce((a, r) => a + r.lost, 0),
    errors: ok.reduce((a, r) => a + r.errors, 0),
    serverCpuUsPerMessage: cpu,
  };
}
const ratio = (a, b) =>
  summary[a]?.perSecond && summary[b]?.perSecond ? summary[a].perSecond / summary[b].perSecond : undefined;
const ratios = {
  'nmcp/sdk1': ratio('nmcp', 'sdk1'),
  'nmcp/sdk2': ratio('nmcp', 'sdk2'),
  'nmcp/bare': ratio('nmcp', 'bare'),
};

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ durationMs, warmupMs, runs, inFlight, textBytes, node: process.version, core, summary, ratios }, null, 2)}\n`,
  );
} else {
  const out = [
    '',
    `median of ${runs} run(s), messages (tools/call responses) per second:`,
    '',
    '| server | msg/s (median) | runs | lost | server CPU µs/msg |',
    '|---|---:|---|---:|---:|',
  ];
  for (const name of selected) {
    const s = summary[name];
    if (s.failed) out.push(`| ${name}: ${s.label} | failed | | | |`);
    else
      out.push(
        `| ${name}: ${s.label} | ${fmt(s.perSecond)} | ${s.runs.map(fmt).join(' / ')}${s.failedRuns ? ` (+${s.failedRuns} failed)` : ''} | ${s.lost} | ${s.serverCpuUsPerMessage === undefined ? 'n/a' : s.serverCpuUsPerMessage.toFixed(1)} |`,
      );
  }
  out.push('');
  for (const [k, v] of Object.entries(ratios)) if (v !== undefined) out.push(`${k}: ${v.toFixed(2)}×`);
  process.stdout.write(`${out.join('\n')}\n`);
}
const anyLost = Object.values(summary).some((s) => s.lost > 0 || s.errors > 0 || s.failed);
process.exitCode = anyLost ? 1 : 0;
