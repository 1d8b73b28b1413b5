/**
 * `nmcp bench soak`: a long open loop at a fixed rate against one server, its memory sampled over time (src/bench/soak.ts
 * is the engine). Prints the window's case, the memory table and the verdict against the seed's "< 50 MB growth under
 * sustained load". Exit codes: 0 a clean soak under the line; 1 the soak failed, a response was an error or never
 * came, or RSS grew by 50 MB or more; 2 bad usage.
 */
import { writeFileSync } from 'node:fs';
import { consoleTable } from '../bench/console-table.js';
import { soakLine, soakTable } from '../bench/render-rows.js';
import { formatTextTable } from '../bench/render-table.js';
import type { BenchReport, BenchTransport, BenchWorkload } from '../bench/report.js';
import {
  checkReportActions,
  REPORT_ACTION_OPTIONS,
  REPORT_ACTIONS_HELP,
  reportActionsFromArgs,
  runReportActions,
} from '../bench/report-actions.js';
import { BENCH_TRANSPORTS } from '../bench/run-bench.js';
import { resolveSoakOptions, runSoak, SOAK_WORKLOADS, type SoakOptions, type SoakProgress } from '../bench/soak.js';
import { fmtBytes } from '../bench/summary.js';
import { evaluateTargets, targetMark } from '../bench/targets.js';
import { durations, eraFlag, isProblem, parseFlags, wholeNumbers } from './args.js';
import { usageError } from './usage.js';

export const SOAK_HELP = `Usage: nmcp bench soak [options]

Soaks a server: one connection, an open loop at a fixed offered rate for a long window, the server's memory sampled
all along — RSS from /proc (Linux), and the V8 heap as nmcp reports it (it is started with NMCP_REPORT_MEMORY_MS).
Reports RSS and heap at the start (after the warm-up), peak and end, the growth (end − start) and the trend (the
least-squares slope over the second half, MB/min), and judges the seed's line: < 50 MB RSS growth under sustained load.

Options:
  --duration TIME            the measured soak: 10m, 90s, 500ms (default 10m)
  --rate R                   requests per second offered, open loop (default 10000)
  --transport T              one of stdio, tcp, tcp-ndjson, unix, http, http2 (default stdio: one server process
                             per session, so its RSS is that session's server and nothing else)
  --workload W               echo-200b (default), echo-4k, echo-64k, echo-1m, tools-list-1000
  --sample-interval TIME     how often memory is sampled (default 1s; at least 10ms)
  --warmup TIME              load before the start figure is taken (default 10s)
  --era legacy|modern        the MCP era the client speaks (default legacy)
  --target "COMMAND"         soak this server instead of nmcp, spoken to over stdio; its RSS is read from /proc,
                             its heap is "not reported" unless it prints nmcp serve's memory lines
  --json                     print the report (BenchReport JSON, with "soak") instead of the tables
  --out FILE                 also write the report as JSON to FILE
${REPORT_ACTIONS_HELP}  --help, -h                 this text

Exit status: 0 a clean soak under the line; 1 the soak failed, a response was an error or lost, or RSS grew ≥ 50 MB;
2 bad usage. Examples:
  nmcp bench soak
  nmcp bench soak --duration 3m --rate 10000 --transport stdio --full-report soak-report
  nmcp bench soak --transport tcp --duration 30m --out soak.json
`;

export async function benchSoak(argv: string[]): Promise<number> {
  const values = parseFlags(
    'bench soak',
    argv,
    {
      duration: { type: 'string' },
      rate: { type: 'string' },
      transport: { type: 'string' },
      workload: { type: 'string' },
      'sample-interval': { type: 'string' },
      warmup: { type: 'string' },
      era: { type: 'string' },
      target: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      ...REPORT_ACTION_OPTIONS,
    },
    SOAK_HELP,
  );
  if (typeof values === 'number') return values;
  const str = (k: string) => values[k] as string | undefined;
  const options: SoakOptions = {};
  const transport = str('transport');
  if (transport !== undefined) {
    if (!BENCH_TRANSPORTS.includes(transport as BenchTransport)) {
      return usageError(
        'bench soak',
        `unknown transport ${JSON.stringify(transport)}`,
        `Use one of ${BENCH_TRANSPORTS.join(', ')} (one transport per soak), e.g. --transport tcp.`,
      );
    }
    options.transport = transport as BenchTransport;
  }
  const workload = str('workload');
  if (workload !== undefined) {
    if (!SOAK_WORKLOADS.includes(workload as BenchWorkload)) {
      return usageError(
        'bench soak',
        `unknown soak workload ${JSON.stringify(workload)}`,
        `Use one of ${SOAK_WORKLOADS.join(', ')}, e.g. --workload echo-4k.`,
      );
    }
    options.workload = workload as BenchWorkload;
  }
  const rate = wholeNumbers(values, [['rate', 'rate', '10000']] as const);
  if (isProblem(rate)) return usageError('bench soak', rate.problem, rate.fix);
  const era = eraFlag(values);
  if (isProblem(era)) return usageError('bench soak', era.problem, era.fix);
  if (era !== undefined) options.era = era;
  const times = durations(values, [
    ['duration', 'durationMs', '10m'],
    ['warmup', 'warmupMs', '10s'],
    ['sample-interval', 'sampleIntervalMs', '1s'],
  ] as const);
  if (isProblem(times)) return usageError('bench soak', times.problem, times.fix);
  Object.assign(options, rate, times);
  if (str('target') !== undefined) options.target = str('target') as string;
  const checked = resolveSoakOptions(options);
  if (typeof checked === 'string') {
    return usageError('bench soak', checked, 'Run `nmcp bench soak --help` for the options.');
  }
  const actions = reportActionsFromArgs(values);
  const actionProblem = await checkReportActions(actions);
  if (actionProblem !== undefined) {
    return usageError(
      'bench soak',
      actionProblem,
      'Run `nmcp bench soak --help` for --compare, --targets and the rest.',
    );
  }

  const bar = process.stderr.isTTY ? await progressBar() : undefined;
  if (bar) options.onProgress = bar.update;
  else {
    // Without a TTY (a log, CI): a line a minute, so a long soak shows it is alive and where memory is heading.
    let nextLogMs = 60_000;
    options.onSample = (s) => {
      if (s.tMs < nextLogMs) return;
      nextLogMs += 60_000;
      const heap = s.heapUsedBytes === undefined ? 'heap not reported' : `heap used ${fmtBytes(s.heapUsedBytes)}`;
      process.stderr.write(
        `nmcp bench soak: ${(s.tMs / 60_000).toFixed(1)} min: RSS ${fmtBytes(s.rssBytes)}, ${heap}\n`,
      );
    };
  }
  let report: BenchReport;
  try {
    report = await runSoak(options);
  } finally {
    bar?.stop();
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (str('out') !== undefined) writeFileSync(str('out') as string, json);
  // With --json, stdout carries the report only: the verdict and what the actions say go to stderr.
  const log = (text: string) => (values.json ? process.stderr : process.stdout).write(`${text}\n`);
  if (values.json) process.stdout.write(json);
  else {
    const memory = soakTable(report);
    process.stdout.write(consoleTable(report));
    if (memory) process.stdout.write(`\n${soakLine(report)}\n${formatTextTable(memory)}\n`);
  }
  for (const f of report.failures ?? []) {
    process.stderr.write(`nmcp bench soak: FAILED ${f.workload} ${f.transport} ${f.server}: ${f.error}\n`);
  }
  // The soak's own verdict is the report card's memory row: one judgment, whether or not --targets is given.
  const row = evaluateTargets(report, { ratios: false }).find((r) => r.id === 'memory');
  if (report.soak && row && row.pass !== 'not measured' && !actions.targets) {
    log(`${targetMark(row)} ${row.target}: ${row.figure} (${row.detail})`);
  }
  const acted = await runReportActions(report, actions, log);
  const pass = report.soak !== undefined && row !== undefined && row.pass === true;
  if (!pass) {
    process.stderr.write(
      report.soak === undefined
        ? 'nmcp bench soak: the soak did not complete (see the failure above)\n'
        : 'nmcp bench soak: not a pass (RSS grew by 50 MB or more, or a response was an error or was lost)\n',
    );
  }
  return pass && acted.exitCode === 0 ? 0 : 1;
}

/** A cli-progress bar on stderr (a TTY): elapsed over warm-up + soak, the phase, and the server's memory now. */
async function progressBar(): Promise<{ update: (p: SoakProgress) => void; stop: () => void }> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      // {total} is cli-progress's own token (the bar's total, in ms): the planned time goes in as {planned}.
      format: 'nmcp bench soak [{bar}] {percentage}% | {elapsed} / {planned} {phase} | RSS {rss} | heap {heap}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const clock = (ms: number) => {
    const s = Math.floor(ms / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  let started = false;
  return {
    update(p) {
      const payload = {
        elapsed: clock(p.elapsedMs),
        planned: clock(p.totalMs),
        phase: p.phase,
        rss: p.rssBytes === undefined ? '—' : fmtBytes(p.rssBytes),
        heap: p.heapUsedBytes === undefined ? 'not reported' : fmtBytes(p.heapUsedBytes),
      };
      if (!started) {
        bar.start(p.totalMs, p.elapsedMs, payload);
        started = true;
      } else bar.update(p.elapsedMs, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
