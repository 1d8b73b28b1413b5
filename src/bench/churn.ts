/**
 * The churn workload: each of C workers repeatedly opens a session (connect — over stdio, start a process —,
 * handshake, one tools/call echo, close) and the whole session is one sample. messages/s counts sessions.
 */
import type { Driver } from './driver.js';
import { LatencyRecorder } from './latency.js';
import { bucketOf, buildTimeline, type LoopResult } from './load-loop.js';
import type { Era } from './requests.js';

export interface ChurnOptions {
  /** Opens one new session's connection. */
  open: () => Promise<Driver>;
  era: Era;
  workers: number;
  warmupMs: number;
  durationMs: number;
  /** How long one session's call may take before it counts as lost. */
  drainTimeoutMs: number;
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
  onProgress?: (elapsedMs: number) => void;
}

/** Consecutive failed sessions after which the run stops: a server that refuses every session is not being measured. */
const MAX_CONSECUTIVE_FAILURES = 20;

export async function runChurn(o: ChurnOptions): Promise<LoopResult> {
  const latency = new LatencyRecorder();
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let messages = 0;
  let errors = 0;
  let lost = 0;
  let unexpected = 0;
  let failure: Error | undefined;
  let consecutiveFailures = 0;
  let tMeasure = 0;
  let tEnd = 0;
  const buckets: number[] = [];
  const t0 = performance.now();
  const progress = setInterval(() => o.onProgress?.(performance.now() - t0), 250);
  progress.unref();
  const toMeasure = setTimeout(() => {
    o.onMeasureStart?.();
    tMeasure = performance.now();
    phase = 'measure';
    toStop = setTimeout(() => {
      tEnd = performance.now();
      phase = 'stop';
      o.onMeasureEnd?.();
    }, o.durationMs);
  }, o.warmupMs);
  let toStop: NodeJS.Timeout | undefined;

  const oneSession = async (): Promise<void> => {
    const started = performance.now();
    let driver: Driver | undefined;
    try {
      driver = await o.open();
      await driver.handshake(o.era);
      const outcome = await new Promise<'ok' | 'error' | 'lost'>((resolve) => {
        const timer = setTimeout(() => resolve('lost'), o.drainTimeoutMs);
        (driver as Driver).sink = {
          response(id, ok) {
            if (id !== 1) {
              unexpected++;
              return;
            }
            clearTimeout(timer);
            resolve(ok ? 'ok' : 'error');
          },
          notification: () => {},
          unexpected: () => {
            unexpected++;
          },
          flush: () => {},
          failed: () => {
            clearTimeout(timer);
            resolve('lost');
          },
        };
        (driver as Driver).send([1]);
      });
      await driver.close();
      driver = undefined;
      const now = performance.now();
      if (outcome === 'lost') lost++;
      else if (outcome === 'error') errors++;
      consecutiveFailures = outcome === 'ok' ? 0 : consecutiveFailures + 1;
      // A session counts in the window it ended in, as a response does in the request loops: over stdio a session
      // (a process start) can outlast a short window, and would otherwise never be counted.
      if (phase === 'measure') {
        messages++;
        latency.record((now - started) * 1000);
        const b = bucketOf(now - tMeasure);
        buckets[b] = (buckets[b] ?? 0) + 1;
      }
    } catch (err) {
      errors++;
      consecutiveFailures++;
      if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) failure ??= err as Error;
    } finally {
      await driver?.close().catch(() => {});
    }
  };

  try {
    await Promise.all(
      Array.from({ length: o.workers }, async () => {
        while (phase !== 'stop' && failure === undefined) await oneSession();
      }),
    );
  } finally {
    clearTimeout(toMeasure);
    if (toStop) clearTimeout(toStop);
    clearInterval(progress);
  }
  if (failure && tEnd === 0) tEnd = performance.now();
  const durationMs = tMeasure > 0 ? tEnd - tMeasure : 0;
  return {
    messages,
    durationMs,
    latency: latency.summary(),
    errors,
    lost,
    unexpected,
    notifications: 0,
    timeline: buildTimeline(buckets, durationMs),
    failure,
  };
}
