/**
 * `nmcp load`: many concurrent clients against one server, for a bounded time (runLoad in src/bench/load.ts; the
 * figures are those of `nmcp bench`). Exit codes: 0 a clean run; 1 the run failed, or a response was an error or
 * never came; 2 bad usage.
 */
import { writeFileSync } from 'node:fs';
import {
  LOAD_DEFAULTS,
  LOAD_TRANSPORTS,
  LOAD_WORKLOADS,
  type LoadOptions,
  type LoadTransport,
  type LoadWorkload,
  MAX_CLIENTS,
  OPEN_LOOP_SOCKETS_PER_CLIENT,
  resolveLoadOptions,
  runLoad,
} from '../bench/load.js';
import { loadIsClean, loadSummary, loadTable } from '../bench/load-table.js';
import type { BenchReport } from '../bench/report.js';
import type { BenchProgress } from '../bench/run-bench.js';
import { durations, eraFlag, isProblem, parseFlags, wholeNumbers } from './args.js';
import { usageError } from './usage.js';

export const LOAD_HELP = `Usage: nmcp load [--clients N] [--duration TIME] [--rate R] [options]

Many concurrent clients against ONE server: starts nmcp's server (or reaches --target), opens N sessions, warms up,
loads it for TIME, drains, and reports messages/s, p50/p90/p99/p99.9/max latency, server CPU and RSS (start / peak /
end), errors and lost responses — which must be 0.

A client is a user of the server: a session of its own, waiting for each answer before it sends the next request
(closed loop, 1 in flight; --in-flight to pipeline). With --rate, requests arrive on a schedule spread over all the
clients whatever the answers do (open loop), and latency counts from when each was due, so a stall shows.

Options:
  --clients N                concurrent clients (sessions) on the one server (default ${LOAD_DEFAULTS.clients}; 1 to ${MAX_CLIENTS.toLocaleString('en-US')})
  --duration TIME            how long to load it: 60s, 500ms, 5m (default 60s; at most 1h)
  --rate R                   open loop: requests per second offered by all clients together
  --in-flight N              closed loop: requests each client keeps in flight (default 1)
  --transport T              ${LOAD_TRANSPORTS.join(', ')} (default ${LOAD_DEFAULTS.transport}; a --target URL: its scheme's).
                             Not stdio: a stdio server serves one session per process. Over http (HTTP/1.1) each
                             request in flight is a socket: the open loop caps each client at ${OPEN_LOOP_SOCKETS_PER_CLIENT + 1}
  --workload W               ${LOAD_WORKLOADS.join(', ')} (default ${LOAD_DEFAULTS.workload})
  --warmup TIME              load before the measured window (default 1s)
  --era legacy|modern        legacy: initialize + notifications/initialized per client (default); modern: the
                             2026-07-28 _meta envelope and headers on every request
  --target URL               load a running server instead of nmcp's own: http://HOST:PORT/mcp (http, http2),
                             tcp://HOST:PORT (tcp, tcp-ndjson) or unix:/path. Only on this machine (127.0.0.0/8, ::1,
                             localhost, unix:) unless --allow-remote
  --allow-remote             allow a target elsewhere: a load test is a denial of service, so only a server that is
                             yours to load
  --json                     print the report (BenchReport JSON, one case) instead of the table
  --out FILE                 also write the report as JSON to FILE
  --full-report DIR          also write DIR/report.json, report.md and report.html (charts)
  --help, -h                 this text

The load generator shares the machine with nmcp's server (gen CPU in the table): near 100% it, not the server, is
the limit. File descriptors: each client is a socket here and one in the server (\`ulimit -n\`). Examples:
  nmcp load --clients 200 --duration 10s
  nmcp load --clients 1000 --duration 60s --rate 10000 --transport http
  nmcp load --target http://127.0.0.1:3000/mcp --clients 50 --duration 30s
`;

export async function load(argv: string[]): Promise<number> {
  const values = parseFlags(
    'load',
    argv,
    {
      clients: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      'in-flight': { type: 'string' },
      transport: { type: 'string' },
      workload: { type: 'string' },
      warmup: { type: 'string' },
      era: { type: 'string' },
      target: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      'full-report': { type: 'string' },
    },
    LOAD_HELP,
  );
  if (typeof values === 'number') return values;
  const str = (k: string) => values[k] as string | undefined;
  const options: LoadOptions = {};
  // 0 passes here so that resolveLoadOptions names the bound (1 … 10,000 clients, …) with its fix.
  const counts = wholeNumbers(
    values,
    [
      ['clients', 'clients', '200'],
      ['in-flight', 'inFlight', '1'],
      ['rate', 'rate', '10000 (requests per second, all clients together)'],
    ] as const,
    0,
  );
  if (isProblem(counts)) return usageError('load', counts.problem, counts.fix);
  const times = durations(values, [
    ['duration', 'durationMs', '60s'],
    ['warmup', 'warmupMs', '1s'],
  ] as const);
  if (isProblem(times)) return usageError('load', times.problem, times.fix);
  Object.assign(options, counts, times);
  if (str('transport') !== undefined) options.transport = str('transport') as LoadTransport;
  if (str('workload') !== undefined) options.workload = str('workload') as LoadWorkload;
  const era = eraFlag(values);
  if (isProblem(era)) return usageError('load', era.problem, era.fix);
  if (era !== undefined) options.era = era;
  if (str('target') !== undefined) options.target = str('target') as string;
  if (values['allow-remote']) options.allowRemote = true;
  const checked = resolveLoadOptions(options);
  if ('problem' in checked) return usageError('load', checked.problem, checked.fix);

  const bar = process.stderr.isTTY ? await progressBar(options.clients ?? LOAD_DEFAULTS.clients) : undefined;
  if (bar) options.onProgress = bar.update;
  else {
    options.onCase = (c) => {
      if ('error' in c) process.stderr.write(`nmcp load: FAILED: ${c.error}\n`);
    };
  }
  let report: BenchReport;
  try {
    report = await runLoad(options);
  } finally {
    bar?.stop();
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (str('out') !== undefined) writeFileSync(str('out') as string, json);
  if (values.json) {
    process.stdout.write(json);
    // stdout carries the report only: the verdict goes to stderr.
    process.stderr.write(`${loadSummary(report)}\n`);
  } else process.stdout.write(loadTable(report));
  if (str('full-report') !== undefined) {
    const { writeFullReport } = await import('../bench/full-report.js');
    const files = await writeFullReport(report, str('full-report') as string);
    (values.json ? process.stderr : process.stdout).write(
      `Full report: ${files.json}, ${files.markdown}, ${files.html}\n`,
    );
  }
  return loadIsClean(report) ? 0 : 1;
}

/** A cli-progress bar on stderr (a TTY) over warm-up + measurement. */
async function progressBar(clients: number): Promise<{ update: (p: BenchProgress) => void; stop: () => void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: `nmcp load [{bar}] {percentage}% | ${clients.toLocaleString('en-US')} clients | {done}s of {planned}s`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      // Not {total} or {elapsed}: those are cli-progress's own tokens (the bar's total value, its own clock).
      const payload = { done: Math.round(p.elapsedMs / 1000), planned: Math.round(p.caseMs / 1000) };
      if (!started) {
        bar.start(p.caseMs, p.elapsedMs, payload);
        started = true;
      } else bar.update(p.elapsedMs, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
