#!/usr/bin/env node
// `npm run bench:processes`: `nmcp serve --processes 1` vs `--processes 2` on one port (issue 8, point 4) — TCP and
// Streamable HTTP, tools/call `echo` with 200 B of text, closed loop (--connections connections × --in-flight each),
// measured by `nmcp bench --target URL` (the same load generator as every other figure). Each run serves both counts
// back to back (order alternating), so the ratio 2 ÷ 1 compares them under the same machine load; the summary is the
// median [min … max] over runs.
//
// The load generator runs on the same machine: on 2 cores it competes with the server processes for CPU, so the
// ratio shows what a second process buys when the client shares the cores, not a dedicated server's scaling.
//
// Both MCP eras by default: a legacy HTTP session's requests ride a pool of connections (one per request in flight),
// so with 2 processes about half of them land on the process not holding the session and are forwarded to it
// (docs/cluster.md); modern (2026-07-28) requests are stateless and served where they land.
//
//   npm run bench:processes -- [--transport tcp,http] [--era legacy,modern] [--duration 3] [--runs 3] [--connections 4] [--in-flight 64] [--json]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const { values } = parseArgs({
  options: {
    transport: { type: 'string', default: 'tcp,http' },
    era: { type: 'string', default: 'legacy,modern' },
    duration: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
    'in-flight': { type: 'string', default: '64' },
    json: { type: 'boolean', default: false },
  },
});

/** Starts `nmcp serve` with `processes` and resolves with its URL and a stop function. */
function serve(transport, processes) {
  const child = spawn(
    process.execPath,
    [cli, 'serve', `--${transport}`, '0', '--processes', String(processes), '--example', 'everything'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NMCP_CLUSTER_PROCESSES: undefined } },
  );
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s) => {
      err += s;
      const m = /listening on (\S+)/.exec(err);
      if (m)
        resolve({
          url: m[1],
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`nmcp serve exited ${code}: ${err}`)));
  });
}

/** One `nmcp bench --target` run; resolves with its case (perSecond, latencyUs, errors, lost). */
function load(transport, era, url) {
  const out = join(tmpdir(), `nmcp-bench-processes-${process.pid}.json`);
  const args = [
    cli,
    'bench',
    '--target',
    url,
    '--transport',
    transport,
    '--workload',
    'echo-200b',
    '--era',
    era,
    '--connections',
    values.connections,
    '--in-flight',
    values['in-flight'],
    '--duration',
    `${values.duration}s`,
    '--warmup',
    '1s',
    '--runs',
    '1',
    '--out',
    out,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s) => {
      err += s;
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`nmcp bench exited ${code}: ${err}`));
      const report = JSON.parse(readFileSync(out, 'utf8'));
      rmSync(out, { force: true });
      resolve(report.cases[0]);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const spread = (xs, f = (x) => x.toFixed(2)) => `${f(median(xs))} [${f(Math.min(...xs))} … ${f(Math.max(...xs))}]`;

async function main() {
  const transports = values.transport.split(',');
  const eras = values.era.split(',');
  const runs = Number(values.runs);
  const results = {};
  for (const transport of transports) {
    for (const era of eras) {
      const key = `${transport} ${era}`;
      const r = { 1: [], 2: [], ratio: [], p99: { 1: [], 2: [] } };
      results[key] = r;
      for (let run = 1; run <= runs; run++) {
        const order = run % 2 === 1 ? [1, 2] : [2, 1];
        const perRun = {};
        for (const processes of order) {
          const server = await serve(transport, processes);
          try {
            const c = await load(transport, era, server.url);
            if (c.errors > 0 || c.lost > 0)
              throw new Error(`${key} × ${processes}: ${c.errors} errors, ${c.lost} lost`);
            perRun[processes] = c.perSecond;
            r[processes].push(c.perSecond);
            r.p99[processes].push(c.latencyUs.p99);
            if (!values.json) {
              console.error(
                `run ${run} ${key} --processes ${processes}: ${fmt(c.perSecond)} msg/s, p99 ${fmt(c.latencyUs.p99)} µs`,
              );
            }
          } finally {
            await server.stop();
          }
        }
        r.ratio.push(perRun[2] / perRun[1]);
      }
    }
  }
  if (values.json) {
    console.log(JSON.stringify({ cores: availableParallelism(), options: values, results }, null, 2));
    return;
  }
  console.log(
    `\nnmcp serve --processes 1 vs 2, echo-200b, ${values.connections} connections × ${values['in-flight']} in flight, ${values.duration} s × ${runs} runs, ${availableParallelism()} cores (load generator on the same cores)`,
  );
  console.log('case          --processes 1 msg/s        --processes 2 msg/s        2 ÷ 1               p99 µs (1 → 2)');
  for (const [key, r] of Object.entries(results)) {
    console.log(
      `${key.padEnd(13)} ${spread(r[1], fmt).padEnd(26)} ${spread(r[2], fmt).padEnd(26)} ${spread(r.ratio).padEnd(19)} ${fmt(median(r.p99[1]))} → ${fmt(median(r.p99[2]))}`,
    );
  }
}

if (!existsSync(cli)) {
  console.error(`bench:processes: ${cli} is missing: run \`npm run build\` first`);
  process.exitCode = 2;
} else {
  await main();
}
