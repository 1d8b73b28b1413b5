#!/usr/bin/env node
/**
 * npm run conformance: the official MCP conformance suite (@modelcontextprotocol/conformance, Node ≥ 22 through npx)
 * against the everything example served over Streamable HTTP, for both spec revisions nmcp serves.
 *
 *   npm run conformance [-- --revision 2025-11-25|2026-07-28] [--verbose]
 *
 * Builds dist/ when it is missing or older than the sources, starts the server in this process on a free port, runs
 * `conformance server --url … --requirements <revision>` per revision, prints each revision's pass/fail counts, and
 * compares the failing scenarios with conformance/expected-failures.json (each entry: scenario, revisions, reason).
 * Exits 1 on a failure that is not expected (or an expected failure that now passes: the file must be kept true).
 * Not part of `npm test`: it needs the suite in the npx cache (or the network) and Node 22.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SUITE = process.env.NMCP_CONFORMANCE_PACKAGE ?? '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const only = args.includes('--revision') ? [args[args.indexOf('--revision') + 1]] : undefined;
const REVISIONS = only ?? ['2025-11-25', '2026-07-28'];

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

const builtServer = join(root, 'dist/transport/http/server/http-server.js');
const builtExample = join(root, 'dist/examples/everything/server.js');
const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'examples')));
if (Math.min(mtime(builtServer), mtime(builtExample)) < sources) {
  console.log('conformance: building (npm run build:ts)…');
  const r = spawnSync('npm', ['run', 'build:ts'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const { createEverythingServer } = await import(pathToFileURL(builtExample).href);
const { serveHttp } = await import(pathToFileURL(builtServer).href);
const server = createEverythingServer();
const http = await serveHttp(server, { port: 0 });
console.log(`conformance: nmcp everything server at ${http.url}`);

const expected = JSON.parse(readFileSync(join(root, 'conformance/expected-failures.json'), 'utf8'));

/** Runs the suite for one revision; resolves with its output. */
function runSuite(revision) {
  const cmd = [
    '-y',
    '-p',
    'node@22',
    '-p',
    SUITE,
    'conformance',
    'server',
    '--url',
    http.url,
    '--requirements',
    revision,
  ];
  console.log(`\n$ npx ${cmd.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn('npx', cmd, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s) => {
      out += s;
      if (verbose) process.stdout.write(s);
    });
    child.stderr.on('data', (s) => {
      if (verbose) process.stderr.write(s);
    });
    child.on('close', (code) => resolve({ out, code }));
  });
}

/** Scenario lines of the suite's summary: `✓ name: 3 passed, 0 failed` / `✗ …`. */
function parseSummary(out) {
  const at = out.indexOf('=== SUMMARY ===');
  const summary = at === -1 ? '' : out.slice(at);
  const scenarios = [];
  for (const m of summary.matchAll(/^([✓✗])\s+([\w.-]+):\s+(\d+) passed,\s+(\d+) failed/gm)) {
    scenarios.push({ name: m[2], ok: m[1] === '✓', passed: Number(m[3]), failed: Number(m[4]) });
  }
  const total = /Total:\s+(\d+) passed,\s+(\d+) failed/.exec(summary);
  return { scenarios, passed: total ? Number(total[1]) : undefined, failed: total ? Number(total[2]) : undefined };
}

let unexpected = 0;
try {
  for (const revision of REVISIONS) {
    const { out } = await runSuite(revision);
    const { scenarios, passed, failed } = parseSummary(out);
    if (scenarios.length === 0) {
      console.log(out.slice(-3000));
      console.log(`conformance ${revision}: the suite produced no summary (is Node 22 / the package reachable?)`);
      unexpected++;
      continue;
    }
    const expectedHere = new Map(
      expected
        .filter((e) => e.revisions === undefined || e.revisions.includes(revision))
        .map((e) => [e.scenario, e.reason]),
    );
    const failing = scenarios.filter((s) => !s.ok);
    const surprises = failing.filter((s) => !expectedHere.has(s.name));
    const fixed = scenarios.filter((s) => s.ok && expectedHere.has(s.name));
    const ran = scenarios.length;
    console.log(
      `conformance ${revision}: ${ran - failing.length}/${ran} scenarios pass; checks ${passed} passed, ${failed} failed`,
    );
    for (const s of failing) {
      const reason = expectedHere.get(s.name);
      console.log(
        `  ${reason ? 'expected' : 'UNEXPECTED'} ✗ ${s.name} (${s.failed} failed)${reason ? ` — ${reason.split('. ')[0]}` : ''}`,
      );
    }
    for (const s of fixed) console.log(`  now passing (remove from expected-failures.json): ${s.name}`);
    unexpected += surprises.length + fixed.length;
  }
} finally {
  await http.close();
  await server.close();
}
if (unexpected > 0) {
  console.log(`\nconformance: ${unexpected} unexpected result(s)`);
  process.exit(1);
}
console.log('\nconformance: every failure is expected (conformance/expected-failures.json)');
