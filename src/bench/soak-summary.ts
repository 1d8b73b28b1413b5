/**
 * The soak's arithmetic, apart from the engine so that it can be tested on its own: memory samples → start, peak, end
 * and the trend; the server's `nmcp serve: memory {…}` lines → heap figures. (The verdict is the report card's memory
 * row, targets.ts: one judgment for the soak's own line and `--targets`.)
 */
import type { SoakSummary } from './report.js';

export interface SoakSample {
  /** ms since the measured soak began (after the warm-up). */
  readonly tMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes?: number;
}

export interface MemoryRange {
  readonly start: number;
  readonly peak: number;
  readonly end: number;
}

/** Least-squares slope of y over x, or undefined with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let mx = 0;
  let my = 0;
  for (const [x, y] of points) {
    mx += x / n;
    my += y / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : undefined;
}

function range(values: readonly number[]): MemoryRange | undefined {
  if (values.length === 0) return undefined;
  return { start: values[0] as number, peak: Math.max(...values), end: values[values.length - 1] as number };
}

/**
 * Bytes per minute over the second half of the soak: start-up growth (JIT, heap sizing, buffers reaching their working
 * size) happens early, so a slope over the whole run would call that a leak; what still grows late is what matters.
 */
function trendPerMinute(points: readonly (readonly [number, number])[]): number | undefined {
  const last = points[points.length - 1];
  if (!last) return undefined;
  const half = points.filter(([t]) => t >= last[0] / 2);
  const slope = leastSquaresSlope(half.map(([t, v]) => [t / 60_000, v] as const));
  return slope;
}

export type SoakFigures = Pick<
  SoakSummary,
  'rssBytes' | 'heapUsedBytes' | 'rssTrendBytesPerMinute' | 'heapUsedTrendBytesPerMinute'
>;

/** The figures of a run of samples (in time order), or undefined with no sample. */
export function summarizeSamples(samples: readonly SoakSample[]): SoakFigures | undefined {
  const rss = range(samples.map((s) => s.rssBytes));
  if (!rss) return undefined;
  const heapPoints = samples
    .filter((s) => s.heapUsedBytes !== undefined)
    .map((s) => [s.tMs, s.heapUsedBytes as number] as const);
  return {
    rssBytes: rss,
    heapUsedBytes: range(heapPoints.map(([, v]) => v)),
    rssTrendBytesPerMinute: trendPerMinute(samples.map((s) => [s.tMs, s.rssBytes] as const)),
    heapUsedTrendBytesPerMinute: trendPerMinute(heapPoints),
  };
}

/** Process memory as `nmcp serve` reports it (NMCP_REPORT_MEMORY_MS), bytes. */
export interface MemoryReport {
  readonly rss: number;
  readonly heapTotal?: number;
  readonly heapUsed: number;
  readonly external?: number;
  readonly arrayBuffers?: number;
}

const LINE = /^nmcp serve: memory (\{.*\})$/;

/** A `nmcp serve: memory {…}` line → the report, or undefined for any other line (or a malformed one). */
export function parseMemoryLine(line: string): MemoryReport | undefined {
  const m = LINE.exec(line.trimEnd());
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[1] as string) as Record<string, unknown>;
    if (typeof v.rss !== 'number' || typeof v.heapUsed !== 'number') return undefined;
    return v as unknown as MemoryReport;
  } catch {
    return undefined;
  }
}

/** Collects memory lines from stderr chunks (a line may arrive in pieces); keeps the latest report. */
export class MemoryLineReader {
  #partial = '';
  latest: MemoryReport | undefined;

  /** Feeds a chunk of stderr text. */
  readonly push = (chunk: string): void => {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    // A server that never ends a line must not grow this buffer without bound.
    if (this.#partial.length > 64 * 1024) this.#partial = '';
    for (const line of lines) {
      const r = parseMemoryLine(line);
      if (r) this.latest = r;
    }
  };
}

/** "+1.2 MB/min" for a trend, or "—". */
export function fmtTrend(bytesPerMinute: number | undefined): string {
  if (bytesPerMinute === undefined || !Number.isFinite(bytesPerMinute)) return '—';
  const mb = bytesPerMinute / 1e6;
  return `${mb >= 0 ? '+' : '−'}${Math.abs(mb).toFixed(2)} MB/min`;
}

/** A soak's length: "10.0 min", or seconds for a short one ("2.0 s", where minutes would read "0.0 min"). */
export function fmtSoakDuration(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}
