/**
 * The shape of an `nmcp bench` result: what `--json` prints, what `--full-report DIR` renders, what baselines store and
 * what `--compare` and `--targets` read. One contract between the engine (which measures) and the renderers, baselines
 * and report card (which only read), so each can be built and tested on its own. Bump BENCH_REPORT_VERSION on any
 * incompatible change; readers refuse other versions with a clear error.
 */

export const BENCH_REPORT_VERSION = 1;

export type BenchTransport = 'stdio' | 'tcp' | 'tcp-ndjson' | 'unix' | 'http' | 'http2';

/**
 * Who served: nmcp, the official SDKs, the bare floor (bare-node NDJSON echo, bare fastify JSON echo), or --target.
 * 'nmcp-b' is nmcp under the --vs-config of an A/B run: a server of its own, so that everything judging nmcp (ratios,
 * baselines, targets) keeps judging variant A only.
 */
export type BenchServer = 'nmcp' | 'nmcp-b' | 'sdk1' | 'sdk2' | 'bare' | 'target';

export type BenchWorkload = 'echo-200b' | 'echo-4k' | 'echo-64k' | 'echo-1m' | 'tools-list-1000' | 'fanout' | 'churn';

/** Latency in microseconds, from an HdrHistogram (open loop: corrected for coordinated omission). */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  /** Samples recorded (responses; for open loop, plus the corrected ones the histogram adds). */
  readonly count: number;
  /** Percentile distribution for charts: [percentile (0..100), latency µs] pairs, ascending. */
  readonly distribution: readonly (readonly [number, number])[];
}

/** The server process during the measured window (Linux /proc; undefined where not measurable, e.g. a URL target). */
export interface ServerUsage {
  /** CPU time of the server ÷ wall time, in percent of one core (may exceed 100 with helper threads). */
  readonly cpuPercent: number | undefined;
  /** Server CPU µs per message: the steadiest figure on a shared machine. */
  readonly cpuUsPerMessage: number | undefined;
  readonly rssBytes: { readonly start: number; readonly peak: number; readonly end: number } | undefined;
}

/** One measured run of one workload on one transport against one server. */
export interface BenchCase {
  readonly workload: BenchWorkload;
  readonly transport: BenchTransport;
  readonly server: BenchServer;
  /** Human label of the server ("nmcp", "@modelcontextprotocol/sdk 1.32.2", "bare Node NDJSON echo", the target). */
  readonly serverLabel: string;
  readonly mode: 'closed' | 'open';
  readonly connections: number;
  /** Closed loop: requests in flight per connection. */
  readonly inFlight: number | undefined;
  /** Open loop: offered requests per second (all connections together). */
  readonly offeredRate: number | undefined;
  readonly durationMs: number;
  /** Responses received in the measured window. */
  readonly messages: number;
  readonly perSecond: number;
  readonly latencyUs: LatencySummary;
  /** Error responses (JSON-RPC errors, isError results, transport errors). */
  readonly errors: number;
  /** Requests never answered by the end of the drain: must be 0. */
  readonly lost: number;
  readonly usage: ServerUsage;
  /** Responses per interval, for throughput-over-time charts. */
  readonly timeline: readonly { readonly tMs: number; readonly messages: number }[];
  /** Which run this is when a case is repeated (--runs), 1-based. */
  readonly run: number;
  /** What `messages` counts: responses (request/response workloads), notifications (fanout) or sessions (churn). */
  readonly unit?: 'responses' | 'notifications' | 'sessions';
  /** The MCP era the client spoke: legacy (initialize handshake per connection) or modern (2026-07-28 envelope). */
  readonly era?: 'legacy' | 'modern';
  /** Frames that were neither an expected response nor a counted notification (should be 0). */
  readonly unexpected?: number;
  /**
   * CPU of the load generator (the bench process) ÷ wall time over the window, in percent of one core: near 100 it
   * may be the bottleneck rather than the server, and the figure says so.
   */
  readonly loadGeneratorCpuPercent?: number;
  /**
   * Open loop: how late the load generator wrote requests compared with their due time, in µs. Latency is measured
   * from the due time, so a lag near the latency figures means they measure the generator, not the server.
   */
  readonly scheduleLagUs?: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** A case that was not run, and why (no peer for a transport, a workload a transport cannot carry). */
export interface BenchSkip {
  readonly workload: BenchWorkload;
  readonly transport: BenchTransport;
  readonly server: BenchServer;
  readonly reason: string;
}

/** A case that started and failed (the server did not start, a connection broke, a broadcast went missing). */
export interface BenchFailure {
  readonly workload: BenchWorkload;
  readonly transport: BenchTransport;
  readonly server: BenchServer;
  readonly run: number;
  readonly error: string;
}

/** nmcp ÷ a peer for one workload × transport: the median over runs, with the spread. */
export interface BenchRatio {
  readonly workload: BenchWorkload;
  readonly transport: BenchTransport;
  readonly mode: 'closed' | 'open';
  /** 'sdk1', 'sdk2' or 'bare'. */
  readonly peer: BenchServer;
  /** What is divided: messages per second (throughput) — higher is better for nmcp. */
  readonly metric: 'perSecond';
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median and spread over runs of per-run ratios. */
export interface BenchSpread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** B ÷ A for one workload × transport of an A/B run (`--vs-config`): per run (A and B back to back), then summarised. */
export interface BenchAbRatio {
  readonly workload: BenchWorkload;
  readonly transport: BenchTransport;
  readonly mode: 'closed' | 'open';
  /** Runs in which both A and B completed: the ratios are over these. */
  readonly runs: number;
  /** Messages per second, B ÷ A: above 1, B served more. */
  readonly perSecond: BenchSpread;
  /** Server CPU µs per message, B ÷ A: below 1, B spent less CPU per message. Undefined where not measurable. */
  readonly cpuUsPerMessage: BenchSpread | undefined;
  /** p99 latency, B ÷ A: below 1, B's tail was shorter. */
  readonly p99: BenchSpread;
  /**
   * From the throughput ratios: 'B faster' / 'B slower' only when every run's ratio is on that side of 1, over at
   * least 3 runs (by chance alone, n runs all land on one side with probability 2 × 0.5^n: 6% at 5 runs); fewer runs
   * give 'too few runs'.
   */
  readonly verdict: 'B faster' | 'B slower' | 'no clear difference' | 'too few runs';
  /** The same rule on the CPU µs/message ratios (the steadiest figure on a shared machine). */
  readonly cpuVerdict: 'B cheaper' | 'B costlier' | 'no clear difference' | 'too few runs';
}

/** One side of an A/B: the config file (none = nmcp's defaults) and what it held, so the report says what was compared. */
export interface BenchAbSide {
  readonly configPath: string | undefined;
  readonly config: Readonly<Record<string, unknown>>;
}

/** An A/B of two configurations of nmcp's server (`nmcp bench --config A --vs-config B`). */
export interface BenchAb {
  readonly a: BenchAbSide;
  readonly b: BenchAbSide;
  readonly ratios: readonly BenchAbRatio[];
}

export interface MachineInfo {
  readonly hostname: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly node: string;
  /** nmcp's active core: 'native 0.1.0' or 'ts …'. */
  readonly core: string;
  readonly nmcpVersion: string;
}

/**
 * The soak (`nmcp bench soak`): the server's memory sampled over a long run at a fixed rate. Optional, added for the
 * report card's "< 50 MB growth under sustained load" line; absent when no soak ran.
 */
export interface SoakSummary {
  readonly transport: BenchTransport;
  readonly server: BenchServer;
  readonly durationMs: number;
  /** Offered requests per second (open loop), or undefined for a closed-loop soak. */
  readonly offeredRate: number | undefined;
  /** Responses received over the soak. */
  readonly messages: number;
  readonly errors: number;
  readonly lost: number;
  /** Server RSS: start = after warm-up, when the measured soak began; growth is judged as end − start. */
  readonly rssBytes: { readonly start: number; readonly peak: number; readonly end: number };
  /** Server V8 heap used, where the server reports it (nmcp in-process); undefined otherwise. */
  readonly heapUsedBytes?: { readonly start: number; readonly peak: number; readonly end: number } | undefined;
  /** The samples behind the figures, for a memory-over-time chart. */
  readonly samples: readonly { readonly tMs: number; readonly rssBytes: number; readonly heapUsedBytes?: number }[];
  /** The workload the soak sent (added with `nmcp bench soak`; absent in older reports). */
  readonly workload?: BenchWorkload;
  /** How often memory was sampled, ms. */
  readonly sampleIntervalMs?: number;
  /** The warm-up before `start` was taken, ms. */
  readonly warmupMs?: number;
  /**
   * The trend beside the end − start growth, which one GC or allocator moment at either end can swing: the
   * least-squares slope of RSS over the second half of the samples (after start-up growth has settled), bytes per
   * minute. A steady leak shows here even when end − start happens to be small.
   */
  readonly rssTrendBytesPerMinute?: number | undefined;
  /** The same slope for the V8 heap used, where reported. */
  readonly heapUsedTrendBytesPerMinute?: number | undefined;
  /** Latency over the soak (open loop, from the intended send time), µs: what the load cost while memory was watched. */
  readonly latencyUs?: Pick<LatencySummary, 'p50' | 'p99' | 'p999' | 'max'>;
}

export interface BenchReport {
  readonly version: typeof BENCH_REPORT_VERSION;
  readonly tool: 'nmcp bench';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  /** The command line or API options that produced it, for the record. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly cases: readonly BenchCase[];
  readonly ratios: readonly BenchRatio[];
  /** Optional (added after v1's first cut; readers treat absence as "no soak ran"). */
  readonly soak?: SoakSummary | undefined;
  /** Cases not run, with the reason ("no peer for http"): absent peers are said, never faked. Optional (engine). */
  readonly skipped?: readonly BenchSkip[];
  /** Cases that failed; a report with failures is not a clean run (the CLI exits 1). Optional (engine). */
  readonly failures?: readonly BenchFailure[];
  /** The A/B of two nmcp configurations, when --vs-config was given (cases of B have server 'nmcp-b'). Optional. */
  readonly ab?: BenchAb;
}
