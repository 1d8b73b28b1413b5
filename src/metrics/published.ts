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

export class PublishedMetric {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly collect: () => Sample[],
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: MetricType;
    values: Sample[];
    aggregator: 'sum';
  }> {
    return { name: this.name, help: this.help, type: this.type, values: this.collect(), aggregator: this.aggregator };
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
): void {
  registry.registerMetric(new PublishedMetric(name, help, type, collect) as never);
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
