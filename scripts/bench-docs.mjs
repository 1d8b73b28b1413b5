#!/usr/bin/env node
// Regenerates docs/benchmarks.md from a saved `nmcp bench` report (the JSON of --json, --out, --full-report or
// --save-baseline): the method, the machine, the commands that reproduce it, and the figures (cases, nmcp ÷ peer
// ratios, the report card). The figures come only from the report; without one (--not-measured) the page says they
// are not measured yet rather than showing any. Uses the built renderers in dist/ (npm run build:ts first).
//
//   node scripts/bench-docs.mjs REPORT.json [MORE.json …] [--out docs/benchmarks.md] [--note "conditions"]
//   node scripts/bench-docs.mjs --not-measured [--out docs/benchmarks.md]
// Several reports (e.g. a closed-loop run with --peers and an open-loop run at the target rate) make one page; they
// must come from one machine, or the figures side by side would mislead.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => pathToFileURL(`${root}dist/bench/${p}`).href;

function usage(message) {
  process.stderr.write(
    `bench-docs: ${message}\nUsage: node scripts/bench-docs.mjs REPORT.json [MORE.json …] [--out FILE] [--note TEXT] | --not-measured [--out FILE]\n`,
  );
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string', default: `${root}docs/benchmarks.md` },
      'not-measured': { type: 'boolean', default: false },
      // What the report cannot know about the conditions (e.g. "load average 5-10 from other work"), shown with it.
      note: { type: 'string' },
    },
  });
} catch (err) {
  usage(err.message);
}
const { values, positionals } = parsed;
if (positionals.length === 0 && !values['not-measured']) usage('give a report JSON, or --not-measured');
if (positionals.length > 0 && values['not-measured']) usage('a report and --not-measured do not go together');
if (!existsSync(fileURLToPath(dist('render-markdown.js'))))
  usage('dist/bench/ is missing: run `npm run build:ts` first');

const { renderMarkdown, escapeMarkdown, markdownTable } = await import(dist('render-markdown.js'));
const { assertBenchReport, fmtBytes } = await import(dist('summary.js'));

/** The `nmcp bench` command line equivalent to a report's resolved options (the engine records them, not argv). */
function commandFromOptions(o) {
  if (Array.isArray(o.argv) && o.argv.every((a) => typeof a === 'string')) return `nmcp bench ${o.argv.join(' ')}`;
  if (o.soak === true) return soakCommand(o);
  const args = ['nmcp bench'];
  const list = (flag, v) => Array.isArray(v) && v.length > 0 && args.push(`${flag} ${v.join(',')}`);
  const one = (flag, v) => v !== undefined && v !== null && args.push(`${flag} ${v}`);
  list('--workload', o.workloads);
  list('--transport', o.transports);
  one('--mode', o.mode);
  one('--connections', o.connections);
  if (o.mode === 'open') one('--rate', o.rate);
  else one('--in-flight', o.inFlight);
  if (typeof o.durationMs === 'number') args.push(`--duration ${o.durationMs}ms`);
  if (typeof o.warmupMs === 'number') args.push(`--warmup ${o.warmupMs}ms`);
  one('--runs', o.runs);
  one('--era', o.era);
  if (o.peers === true) args.push('--peers');
  if (typeof o.config === 'string') args.push(`--config ${JSON.stringify(o.config)}`);
  if (typeof o.vsConfig === 'string') args.push(`--vs-config ${JSON.stringify(o.vsConfig)}`);
  if (typeof o.target === 'string') args.push(`--target ${JSON.stringify(o.target)}`);
  return args.join(' ');
}

/** The `nmcp bench soak` command line of a soak report's options (runSoak records them with soak: true). */
function soakCommand(o) {
  const args = ['nmcp bench soak'];
  const one = (flag, v) => v !== undefined && v !== null && args.push(`${flag} ${v}`);
  one('--transport', o.transport);
  one('--workload', o.workload);
  one('--rate', o.rate);
  if (typeof o.durationMs === 'number') args.push(`--duration ${o.durationMs}ms`);
  if (typeof o.warmupMs === 'number') args.push(`--warmup ${o.warmupMs}ms`);
  if (typeof o.sampleIntervalMs === 'number') args.push(`--sample-interval ${o.sampleIntervalMs}ms`);
  one('--era', o.era);
  if (typeof o.target === 'string') args.push(`--target ${JSON.stringify(o.target)}`);
  return args.join(' ');
}

const METHOD = `## Method

**What runs.** \`nmcp bench\` measures real round trips through real processes and sockets: for every case it starts the
server as its own process (a fresh one per case), opens the connections, runs the MCP handshake, warms up, measures for
a fixed window, then stops sending and drains. Every request carries its own id and is matched to exactly one
response; a response that is a JSON-RPC error or an \`isError\` result counts as an error, a request still unanswered
after the drain counts as lost. Both must be 0 for a clean run.

**Workloads.** \`tools/call\` of an \`echo\` tool with a text of 200 B, 4 KiB, 64 KiB or 1 MiB; \`tools/list\` of a server
with 1,000 tools; a notification fan-out (one \`resources/updated\` to N subscribed sessions); session churn (connect,
initialize, one call, close). Transports: stdio, TCP (length-prefixed and NDJSON framing), Unix socket, HTTP/1.1, HTTP/2.

**Two loops.** The *closed loop* keeps N requests in flight per connection on C connections: it finds the throughput
(messages/s). The *open loop* sends at a fixed offered rate whatever the server does, and measures each latency from
the request's *intended* send time, recorded in an HdrHistogram: that corrects for coordinated omission (a stalled
server does not get to slow the client down and hide its own stall). The seed's "P99 < 1 ms" is an open-loop figure;
a closed loop's p99 is not. Because latency counts from the due time, the generator must send on time: it polls
(setImmediate) whenever the next request is due within 2 ms — a 1 ms timer would send each request up to a millisecond
late and report that as the server's latency — and it reports its own *schedule lag* (write time − due time) per case,
so a generator that fell behind is visible rather than silently blamed on the server. Polling costs the generator one
core at rates above ~1,000/s. With several connections one schedule is shared, the connections taking turns.

**The machine's own floor.** On a virtual machine the hypervisor pauses processes: on the 2-core VM where these
figures were taken, a Node process that does nothing but read the clock in a loop saw ~400 pauses of more than 50 µs
per second (about 5% of the time), the longest 3–4 ms, also when pinned to one core. Any server's open-loop p99 there
includes such pauses, which is why the bare floors (no MCP library at all) are run open-loop too: where even they miss
"P99 < 1 ms", the line is the machine's, and nmcp's p99 is to be read against theirs.

**Server cost.** The server process's CPU time (user + system, Linux \`/proc\`) over the window, as % of one core and as
CPU µs per message — the steadiest figure on a shared machine — and its RSS at the start, peak and end.

**Peers, in the same run.** With \`--peers\` the same workload runs against servers in \`bench/peers/\`: the official
TypeScript SDK 1.x (\`@modelcontextprotocol/sdk\`: \`sdk1-echo.mjs\` on stdio, \`sdk1-http-echo.mjs\` — StreamableHTTP with
a transport per session, as the SDK's example — on HTTP), the SDK 2.x (\`@modelcontextprotocol/server\`: \`sdk2-echo.mjs\`,
\`sdk2-http-echo.mjs\` — its \`createMcpHandler\`), and a bare floor with no MCP library (\`bare-echo.mjs\`: readline +
JSON.parse/stringify on stdio; \`bare-http-echo.mjs\`: a fastify JSON echo; \`bare-tcp-echo.mjs\`: node:net in both
framings). The SDKs have no TCP or Unix-socket server, so those transports compare with the floor only. Each run
measures every server once, interleaved, so drift on the machine hits all of them alike; the figure reported is the
median over the runs, and the ratio nmcp ÷ peer is taken within each run, then its median and spread reported.

**A/B of configurations.** \`--config A.json --vs-config B.json\` (files of \`nmcp serve --config\`; without \`--config\`,
A is nmcp's defaults) serves nmcp twice in every run, A and B back to back on the same workload, and reports B ÷ A per
run: throughput, server CPU µs per message (the steadiest figure) and p99, then the median and the smallest and largest
over runs. Who goes first alternates (A B, then B A), so going first or second favours neither. A verdict ("B faster",
"B slower"; "B cheaper" or "B costlier" per message) is printed only when every run's ratio is on the same side of 1,
over at least 3 runs — 5 by default, where chance alone puts all runs on one side 6% of the time; otherwise "no clear
difference". An A/A (the same file on both sides) shows the machine's noise: its spread should straddle 1. Both files
are checked before any case runs, with the rules the transports apply (a bad key is exit 2, naming it); \`framing\`,
\`tls\` and the HTTP \`port\`, \`host\`, \`http2\`, \`https\` are set by the bench per transport and refused in a file.
B's cases are their own server (\`nmcp-b\`), so the nmcp ÷ peer ratios (\`--peers\` works alongside), baselines and the
report card judge A only; \`--target\` is refused, as it is not nmcp.

**Baselines and the regression gate.** \`--save-baseline NAME\` keeps the whole report (figures and machine) as
\`bench/baselines/NAME.json\`; \`--compare NAME --threshold 10%\` fails when a metric got worse by more than the threshold.
What gates is the nmcp ÷ peer ratios, not absolute msg/s: machines differ and are noisy, and a ratio of two servers
measured side by side cancels most of both. Absolute msg/s gate too when the baseline came from the same machine and
setup; otherwise they are shown for information. The server CPU per message of each peer ÷ nmcp's, same run, is
shown too (and gates with the library option \`gateCpuRatios\`): it does not depend on the share of the CPU each
server got, though in the runs below it was only somewhat steadier than the throughput ratios.
The verdict says which was done.

**The soak.** \`nmcp bench soak\` holds one session at a fixed offered rate (open loop, default 10,000 msg/s of
\`echo-200b\` for 10 minutes over stdio) and samples the server's memory every second: RSS from Linux \`/proc\`, and the
V8 heap used as the server reports it (\`nmcp serve\` started with \`NMCP_REPORT_MEMORY_MS\` prints
\`nmcp serve: memory {…}\` on stderr; a \`--target\` that does not has no heap figure, and says "not reported"). The
start figure is taken after a warm-up (default 10 s), so start-up growth (JIT, heap sizing, buffers reaching their
working size) is not counted. It reports start, peak and end, the growth end − start, which the seed's line judges
(< 50 MB), and beside it the trend: the least-squares slope over the second half of the samples, in MB/min, since one
GC at either end can swing end − start while a steady leak shows as a slope. Errors and lost responses fail the soak
too. The HTML report draws the memory over time.

**Report card.** The seed's targets (erlmcp performance tuning guide): ≥ 10,000 msg/s per transport; P99 < 1 ms at
10,000 msg/s offered (open loop); < 50 MB memory growth under sustained load (the soak); < 80% CPU at the target rate
(the server process, of one core). A row shows ✅ or ❌ only with the figure it was judged on, else "not measured".

**Where a target is missed, and why** (CPU profiles of the server under the same load, 2026-11-27; the figures below
say by how much). *stdio vs SDK 1.x*: nmcp's server spends about a sixth of SDK 1.x's CPU per message, but the
throughput ratio is lower than the CPU ratio because at 64 in flight nmcp's server waits on the pipe round trip part
of the time (10–15% idle), while SDK 1.x is CPU-bound; nmcp's own time goes to \`JSON.parse\` (~22%), serialising
the result (~16%: the JSON walker and its escape check), UTF-8 encoding of the output (~10%), framing (~5%) and GC
(~5%). What would close it: parsing only \`params\` from the envelope spans, a result serializer specialised for
content arrays, and the worker pool (issue 8). *HTTP*: nmcp's Streamable HTTP server costs ~1.4× the CPU per message of
a bare fastify JSON echo: the socket write per response is common to both; the rest is spread thinly (session
handling, @fastify/compress, schema validation, Accept parsing, body classification, ~1–2% each), so only a leaner
per-POST path as a whole would close it. *P99 < 1 ms*: see "the machine's own floor" above — the bare floors miss it
too on this VM.
`;

const COMMANDS = `## Commands

\`\`\`sh
npm run build                                             # the CLI runs dist/
nmcp bench --peers --transport stdio,tcp,http --runs 5    # nmcp and its peers, ratios printed
nmcp bench --mode open --rate 10000 --transport stdio,unix,tcp   # latency at the target rate
nmcp bench --peers --full-report bench-report             # + report.json, report.md, report.html (charts)
nmcp bench --peers --save-baseline main                   # bench/baselines/main.json
nmcp bench --peers --compare main --threshold 10%         # exits non-zero on a regression
nmcp bench --targets                                      # the report card
nmcp bench --vs-config b.json --duration 3s               # A/B: nmcp's defaults vs b.json, B ÷ A over 5 runs
nmcp bench soak --duration 10m --rate 10000 --out soak.json   # memory under sustained load (the soak)
node scripts/bench-docs.mjs bench-report/report.json      # regenerates this page
\`\`\`
`;

const out = [
  '# Benchmarks',
  '',
  '<!-- Generated by scripts/bench-docs.mjs from a saved nmcp bench report: edit the script, not this file. -->',
  '',
  'How nmcp is measured against the official MCP SDKs and a bare floor, on which machine, with which commands, and the',
  'figures. Core codec micro-benchmarks (no I/O) are in [benchmarks-core.md](benchmarks-core.md).',
  '',
  METHOD,
  COMMANDS,
];

if (values['not-measured']) {
  out.push(
    '## Machine',
    '',
    'Not measured yet.',
    '',
    '## Figures',
    '',
    'Not measured yet: no `nmcp bench` report has been saved for this page. Run the commands above and regenerate it',
    'with `node scripts/bench-docs.mjs REPORT.json`.',
    '',
  );
} else {
  const reports = [];
  for (const file of positionals) {
    try {
      const r = JSON.parse(readFileSync(file, 'utf8'));
      assertBenchReport(r, file);
      reports.push(r);
    } catch (err) {
      usage(err.message);
    }
  }
  const first = reports[0];
  for (const [i, r] of reports.entries()) {
    for (const k of ['hostname', 'cpuModel', 'cpus', 'node', 'core', 'nmcpVersion']) {
      if (r.machine[k] !== first.machine[k]) {
        usage(
          `${positionals[i]} was measured with another ${k} (${r.machine[k]} vs ${first.machine[k]}): one machine per page`,
        );
      }
    }
  }
  const concat = (key) => reports.flatMap((r) => r[key] ?? []);
  // A soak's one case (its whole window at one rate) would join the open-loop runs of that transport as one more
  // "run" of a different length: the page shows it in the soak section (msg/s, memory) instead.
  const casesOf = (r) => (r.options?.soak === true ? [] : (r.cases ?? []));
  const report = {
    ...first,
    startedAt: reports.map((r) => r.startedAt).sort()[0],
    finishedAt: reports
      .map((r) => r.finishedAt)
      .sort()
      .at(-1),
    cases: reports.flatMap(casesOf),
    ratios: concat('ratios'),
    skipped: concat('skipped'),
    failures: concat('failures'),
    soak: reports.find((r) => r.soak)?.soak,
  };
  const m = report.machine;
  out.push(
    '## Machine',
    '',
    markdownTable({
      headers: ['', ''],
      numeric: [false, false],
      rows: [
        ['CPU', `${m.cpuModel} × ${m.cpus}`],
        ['memory', fmtBytes(m.memoryBytes)],
        ['OS', `${m.platform}/${m.arch}`],
        ['Node', m.node],
        ['nmcp', `${m.nmcpVersion} (${m.core})`],
        ['host', m.hostname],
      ],
    }),
    '',
    '## Figures',
    '',
    `Measured ${escapeMarkdown(report.startedAt)} → ${escapeMarkdown(report.finishedAt)} with:`,
    '',
    '```sh',
    ...reports.map((r) => commandFromOptions(r.options)),
    '```',
    '',
    `Source: ${positionals.map((f) => `\`${escapeMarkdown(relative(root, f) || f)}\``).join(', ')}.`,
    ...(values.note ? ['', `Conditions: ${escapeMarkdown(values.note)}`] : []),
    '',
    renderMarkdown(report, { headingLevel: 3, header: false }),
  );
}

writeFileSync(values.out, `${out.join('\n').trimEnd()}\n`);
process.stderr.write(`bench-docs: wrote ${values.out}\n`);
