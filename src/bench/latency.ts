/**
 * Latency samples in an HdrHistogram (microseconds, 3 significant digits) and their summary for the report.
 */
import hdr from 'hdr-histogram-js';
import type { LatencySummary } from './report.js';

type Histogram = ReturnType<typeof hdr.build>;

/** Percentiles charted in LatencySummary.distribution. */
const DISTRIBUTION_POINTS = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

export class LatencyRecorder {
  readonly #h: Histogram;

  constructor() {
    // The pure-JS histogram: the WebAssembly one needs an async init and saves nothing at these sample rates.
    this.#h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
  }

  /** Records one latency in microseconds (a fraction is rounded; below 1 µs counts as 1). */
  record(us: number): void {
    this.#h.recordValue(Math.max(1, Math.round(us)));
  }

  get count(): number {
    return this.#h.totalCount;
  }

  summary(): LatencySummary {
    const h = this.#h;
    if (h.totalCount === 0) {
      return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0, distribution: [] };
    }
    return {
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      // The histogram's p100, not its raw maxValue: percentiles are bucket upper bounds (3 significant digits), and a
      // raw max could sit below p99.9 of the same bucket.
      max: h.getValueAtPercentile(100),
      mean: h.mean,
      count: h.totalCount,
      distribution: DISTRIBUTION_POINTS.map((p) => [p, h.getValueAtPercentile(p)] as const),
    };
  }
}
