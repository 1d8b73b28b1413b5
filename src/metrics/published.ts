/**
 * prom-client metrics whose values are computed when the registry is scraped, from counters kept elsewhere as plain
 * numbers (MessageStats, transport and registry stats). Recording costs nothing on the hot path beyond an increment;
 * the labels and the text are built once per scrape. prom-client's Registry takes any object with name, help, type,
 * aggregator and get(): this is that object.
 */
import type { Registry } from 'prom-client';

export type Labels = Record<string, string | number>;
export interface Sample {
  value: number;
  labels?: Labels;
  /** For a histogram's `_bucket` / `_sum` / `_count` series. */
  metricName?: string;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * How prom-client's AggregatorRegistry merges one metric over the processes of `nmcp serve --processes N`
 * (src/cluster): counts and gauges of things add up ('sum'); a ratio is averaged; a fact about the build is the same in
 * every process ('first').
 */
export type Aggregator = 'sum' | 'average' | 'first';

export class PublishedMetric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly collect: () => Sample[],
    readonly aggregator: Aggregator = 'sum',
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: MetricType;
    values: Sample[];
    aggregator: Aggregator;
  }> {
    const values = this.collect();
    // prom-client's cluster aggregation (AggregatorRegistry) hashes every sample's labels: `{}`, never undefined.
    for (const value of values) value.labels ??= {};
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Values are owned by their sources: nothing to reset here. */
  reset(): void {}
}

export function publish(
  registry: Registry,
  name: string,
  help: string,
  type: MetricType,
  collect: () => Sample[],
  aggregator: Aggregator = 'sum',
): void {
  registry.registerMetric(new PublishedMetric(name, help, type, collect, aggregator) as never);
}

/**
 * A histogram's series from per-bucket counts (not cumulative; one more slot than `bounds`, the last being +Inf):
 * `_bucket{le}` cumulative, `_sum`, `_count`.
 */
export function histogramSamples(
  name: string,
  labels: Labels,
  bounds: readonly number[],
  counts: ArrayLike<number>,
  sum: number,
): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += counts[i] as number;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bounds[i] as number }, value: cumulative });
  }
  cumulative += counts[bounds.length] as number;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels, value: sum });
  out.push({ metricName: `${name}_count`, labels, value: cumulative });
  return out;
}
