/**
 * runBench, runSoak and runLoad as exported from 'nmcp': each engine is loaded on the first call, so that importing nmcp
 * to serve does not load the benchmark's dependencies (hdr-histogram-js, the load drivers).
 */
import type { LoadOptions } from './load.js';
import type { BenchReport } from './report.js';
import type { BenchOptions } from './run-bench.js';
import type { SoakOptions } from './soak.js';

/** Runs the benchmark described by `options` (see BenchOptions; `nmcp bench` is its command line). */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const engine = await import('./run-bench.js');
  return engine.runBench(options);
}

/** Runs a soak (see SoakOptions; `nmcp bench soak` is its command line): a report with `soak` filled. */
export async function runSoak(options: SoakOptions = {}): Promise<BenchReport> {
  const engine = await import('./soak.js');
  return engine.runSoak(options);
}

/** Runs a load test (see LoadOptions; `nmcp load` is its command line): many clients against one server, one case. */
export async function runLoad(options: LoadOptions = {}): Promise<BenchReport> {
  const engine = await import('./load.js');
  return engine.runLoad(options);
}
