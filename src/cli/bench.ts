/**
 * `nmcp bench`: loads an MCP server — nmcp's own, the official SDKs and a bare floor with --peers, or any server with
 * --target — with real round trips through real processes and sockets, and reports messages/s, latency percentiles,
 * server CPU and RSS, errors and lost responses. The engine is src/bench (runBench); this is its command line.
 * Exit codes: 0 a clean run; 1 a case failed, or a response was an error or never came; 2 bad usage.
 */
import { writeFileSync } from 'node:fs';
import { loadBenchConfig, sectionOf } from '../bench/ab-config.js';
import { consoleTable } from '../bench/console-table.js';
import type { BenchReport, BenchTransport, BenchWorkload } from '../bench/report.js';
import {
  checkReportActions,
  REPORT_ACTION_OPTIONS,
  REPORT_ACTIONS_HELP,
  reportActionsFromArgs,
  runReportActions,
} from '../bench/report-actions.js';
import {
  BENCH_TRANSPORTS,
  BENCH_WORKLOADS,
  type BenchOptions,
  resolveBenchOptions,
  runBench,
} from '../bench/run-bench.js';
import { durations, eraFlag, isProblem, parseFlags, wholeNumbers } from './args.js';
import type { ServeConfig } from './config-file.js';
import { usageError } from './usage.js';

export const BENCH_HELP = `Usage: nmcp bench [options]
       nmcp bench soak [options]   memory under sustained load (\`nmcp bench soak --help\`)

Measures an MCP server with real round trips: starts the server (a fresh process per case), opens the connections,
warms up, measures, drains, and checks that every request got exactly one response.

Workloads (--workload, comma-separated; default echo-200b):
  echo-200b, echo-4k, echo-64k, echo-1m   tools/call echo with a text of that size
  tools-list-1000                         tools/list of a server with 1,000 tools (--example many-tools)
  fanout                                  one resources/updated to N subscribed sessions (N = --connections, default
                                          100): time until all N have it; not over stdio (one session per process)
  churn                                   connect, initialize, one call, close, repeated (sessions/s)

Options:
  --transport LIST           stdio, tcp (length-prefixed), tcp-ndjson, unix, http (HTTP/1.1), http2 (h2c)
                             (comma-separated; default stdio)
  --mode closed|open         closed: N in flight per connection, for throughput (default); open: a fixed offered
                             rate, latency measured from the intended send time (coordinated omission corrected)
  --connections C            sessions (default 1; fanout 100; churn: concurrent workers)
  --in-flight N              closed loop: requests in flight per connection (default 64)
  --rate R                   open loop: requests per second offered, all connections together (default 10000)
  --duration TIME            measured window per case: 5s, 500ms, 1m (default 5s)
  --warmup TIME              before the window (default 1s)
  --runs N                   runs of every case, interleaved across servers (default 3); figures are medians
  --era legacy|modern        legacy: initialize + notifications/initialized per connection (default);
                             modern: the 2026-07-28 _meta envelope and headers on every request
  --peers                    also run the official SDK 1.x and 2.x servers and the bare floor (bench/peers/) and
                             print nmcp ÷ each; a transport or workload without a peer says so
  --target "COMMAND" | URL   load this server instead of nmcp: a command (spoken to over stdio) or a URL
                             (http://…/mcp for http/http2, tcp://HOST:PORT, unix:/path)
  --config FILE              serve nmcp with this \`nmcp serve --config\` file ({"stdio":{…},"tcp":{…},"http":{…}};
                             tcp applies to tcp, tcp-ndjson and unix, http to http and http2)
  --vs-config FILE           A/B: also serve nmcp with FILE (B) in every run, back to back with A (--config, or
                             the defaults without it; A B, then B A, alternating) and print B ÷ A per workload ×
                             transport: throughput, CPU µs/msg and p99, median [min … max] over runs, with a verdict
                             only when every run agrees; runs default to 5 here. Works with --peers (they are
                             compared with A); not with --target. Baselines and targets judge A only
  --json                     print the report (BenchReport JSON) instead of the table
  --out FILE                 also write the report as JSON to FILE
${REPORT_ACTIONS_HELP}  --help, -h                 this text

The machine matters: figures from a shared or loaded machine vary from run to run; server CPU µs per message is the
steadiest figure there. Examples:
  nmcp bench
  nmcp bench --peers --transport stdio,tcp-ndjson,http --runs 5
  nmcp bench --workload echo-4k --mode open --rate 10000 --transport unix
  nmcp bench --target "node my-server.js" --workload echo-200b
  nmcp bench --transport stdio --vs-config batch1.json --duration 3s
`;

export { parseDuration } from './args.js';

function list<T extends string>(text: string, known: readonly T[], what: string): T[] | string {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!known.includes(item as T)) return `unknown ${what} ${JSON.stringify(item)}; use ${known.join(', ')}`;
  }
  return items as T[];
}

export async function bench(argv: string[]): Promise<number> {
  // `nmcp bench soak …`: its own options and engine (memory over a long run), loaded only when asked for.
  if (argv[0] === 'soak') return (await import('./bench-soak.js')).benchSoak(argv.slice(1));
  const values = parseFlags(
    'bench',
    argv,
    {
      workload: { type: 'string' },
      transport: { type: 'string' },
      mode: { type: 'string' },
      connections: { type: 'string' },
      'in-flight': { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      era: { type: 'string' },
      peers: { type: 'boolean' },
      target: { type: 'string' },
      config: { type: 'string' },
      'vs-config': { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      ...REPORT_ACTION_OPTIONS,
    },
    BENCH_HELP,
  );
  if (typeof values === 'number') return values;
  const options: BenchOptions = {};
  const str = (k: string) => values[k] as string | undefined;
  if (str('workload') !== undefined) {
    const w = list<BenchWorkload>(str('workload') as string, BENCH_WORKLOADS, 'workload');
    if (typeof w === 'string') return usageError('bench', w, 'e.g. --workload echo-200b,echo-4k');
    options.workloads = w;
  }
  if (str('transport') !== undefined) {
    const t = list<BenchTransport>(str('transport') as string, BENCH_TRANSPORTS, 'transport');
    if (typeof t === 'string') return usageError('bench', t, 'e.g. --transport stdio,tcp,http');
    options.transports = t;
  }
  const mode = str('mode');
  if (mode !== undefined) {
    if (mode !== 'closed' && mode !== 'open') {
      return usageError(
        'bench',
        `--mode must be closed or open, got ${JSON.stringify(mode)}`,
        'e.g. --mode open --rate 10000',
      );
    }
    options.mode = mode;
  }
  const era = eraFlag(values);
  if (isProblem(era)) return usageError('bench', era.problem, era.fix);
  if (era !== undefined) options.era = era;
  const counts = wholeNumbers(values, [
    ['connections', 'connections', '4'],
    ['in-flight', 'inFlight', '64'],
    ['rate', 'rate', '10000 (requests per second)'],
    ['runs', 'runs', '3'],
  ] as const);
  if (isProblem(counts)) return usageError('bench', counts.problem, counts.fix);
  const times = durations(
    values,
    [
      ['duration', 'durationMs', '5s'],
      ['warmup', 'warmupMs', '1s'],
    ] as const,
    { durationMs: 50 },
  );
  if (isProblem(times)) return usageError('bench', times.problem, times.fix);
  Object.assign(options, counts, times);
  if (values.peers) options.peers = true;
  if (str('target') !== undefined) options.target = str('target') as string;
  if (str('config') !== undefined) options.config = str('config') as string;
  if (str('vs-config') !== undefined) options.vsConfig = str('vs-config') as string;
  if (options.mode !== 'open' && str('rate') !== undefined) {
    return usageError('bench', '--rate applies to the open loop', 'Add --mode open, or leave --rate out.');
  }
  if (options.mode === 'open' && str('in-flight') !== undefined) {
    return usageError('bench', '--in-flight applies to the closed loop', 'Leave it out with --mode open (use --rate).');
  }
  const checked = resolveBenchOptions(options);
  if (typeof checked === 'string') return usageError('bench', checked, 'Run `nmcp bench --help` for the options.');
  const configProblem = await checkConfigs(options, checked.transports);
  if (configProblem !== undefined) return configProblem;
  const actions = reportActionsFromArgs(values);
  const actionProblem = await checkReportActions(actions);
  if (actionProblem !== undefined) {
    return usageError('bench', actionProblem, 'Run `nmcp bench --help` for --compare, --threshold and the rest.');
  }

  const bar = process.stderr.isTTY ? await progressBar() : undefined;
  if (bar) options.onProgress = bar.update;
  else {
    options.onCase = (c) => {
      if ('error' in c) {
        process.stderr.write(`nmcp bench: FAILED ${c.workload} ${c.transport} ${c.server} run ${c.run}: ${c.error}\n`);
      } else {
        process.stderr.write(
          `nmcp bench: ${c.workload} ${c.transport} ${c.server} run ${c.run}: ${Math.round(c.perSecond)} ${c.unit === 'sessions' ? 'sessions' : 'msg'}/s, p99 ${c.latencyUs.p99} µs, errors ${c.errors}, lost ${c.lost}\n`,
        );
      }
    };
  }
  let report: BenchReport;
  try {
    report = await runBench(options);
  } finally {
    bar?.stop();
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (str('out') !== undefined) writeFileSync(str('out') as string, json);
  process.stdout.write(values.json ? json : consoleTable(report));
  // With --json, stdout carries the report only: what the actions say goes to stderr.
  const log = (text: string) => (values.json ? process.stderr : process.stdout).write(`${text}\n`);
  const acted = await runReportActions(report, actions, log);
  const dirty =
    (report.failures?.length ?? 0) > 0 ||
    report.cases.some((c) => c.lost > 0 || c.errors > 0) ||
    report.cases.length === 0;
  if (dirty && !values.json) {
    process.stderr.write('nmcp bench: not a clean run (a case failed, or a response was an error or was lost)\n');
  }
  return dirty || acted.exitCode !== 0 ? 1 : 0;
}

/**
 * Reads and checks --config and --vs-config before any case runs (a usage error, exit 2, naming the file and the
 * key), and says when an A/B compares two identical setups of a transport — fine for an A/A, which shows the noise,
 * but a mistake if the file's sections were meant for another transport.
 */
async function checkConfigs(options: BenchOptions, transports: readonly BenchTransport[]): Promise<number | undefined> {
  const loaded: Record<string, ServeConfig> = {};
  for (const [flag, path] of [
    ['--config', options.config],
    ['--vs-config', options.vsConfig],
  ] as const) {
    if (path === undefined) continue;
    const config = await loadBenchConfig(path, flag);
    if (typeof config === 'string') {
      return usageError(
        'bench',
        config,
        `Fix ${path} (the options per transport are in docs/stdio.md, docs/tcp.md, docs/http.md), or leave ${flag} out.`,
      );
    }
    loaded[flag] = config;
  }
  const b = loaded['--vs-config'];
  if (b === undefined) return undefined;
  const a = loaded['--config'] ?? {};
  for (const section of new Set(transports.map(sectionOf))) {
    if (JSON.stringify(a[section] ?? {}) === JSON.stringify(b[section] ?? {})) {
      process.stderr.write(
        `nmcp bench: A and B set the same "${section}" options: an A/A for ${transports.filter((t) => sectionOf(t) === section).join(', ')} (its spread is the noise)\n`,
      );
    }
  }
  return undefined;
}

/** A cli-progress bar on stderr (a TTY): one bar over all cases, the case being run in its label. */
async function progressBar(): Promise<{ update: NonNullable<BenchOptions['onProgress']>; stop: () => void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: 'nmcp bench [{bar}] {percentage}% | case {index}/{count} {label}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const total = p.caseCount * p.caseMs;
      const value = (p.caseIndex - 1) * p.caseMs + p.elapsedMs;
      const payload = { index: p.caseIndex, count: p.caseCount, label: p.label };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
