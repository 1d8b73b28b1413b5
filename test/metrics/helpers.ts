/** Reading Prometheus text exposition in tests. */
import type { NmcpMetrics } from '../../src/metrics/nmcp-metrics.js';

export function scrape(metrics: NmcpMetrics): Promise<string> {
  return metrics.metrics();
}

/**
 * The value of the sample `name{labels}` whose labels include `labels` (a value may be an asymmetric matcher such as
 * expect.stringMatching); undefined when none matches, an error when several do.
 */
export function sample(text: string, name: string, labels: Record<string, unknown> = {}): number | undefined {
  const found: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      have[pair[1] as string] = pair[2] as string;
    const ok = Object.entries(labels).every(([k, v]) => {
      const actual = have[k];
      if (actual === undefined) return false;
      if (typeof v === 'string') return actual === v;
      const matcher = v as { asymmetricMatch?: (x: unknown) => boolean };
      return matcher.asymmetricMatch ? matcher.asymmetricMatch(actual) : String(v) === actual;
    });
    if (ok) found.push(Number(m[4]));
  }
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0];
}
