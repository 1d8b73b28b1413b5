/**
 * The fan-out workload: N sessions subscribed to one resource; one more session calls the everything example's
 * `trigger_resource_update` tool, and the time from that call to the moment the last of the N sessions received its
 * notifications/resources/updated is one sample. One update at a time (the next is triggered once all N arrived), so
 * each sample is a clean end-to-end broadcast; messages/s counts delivered notifications.
 */
import type { Driver } from './driver.js';
import { LatencyRecorder } from './latency.js';
import { bucketOf, buildTimeline, type LoopResult } from './load-loop.js';

/** examples/everything's watched resource, the one trigger_resource_update changes by default. */
export const FANOUT_URI = 'test://watched-resource';
const UPDATED = Buffer.from('"notifications/resources/updated"');

export interface FanoutOptions {
  subscribers: readonly Driver[];
  trigger: Driver;
  warmupMs: number;
  durationMs: number;
  /** How long one broadcast may take before its missing notifications count as lost. */
  drainTimeoutMs: number;
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
  onProgress?: (elapsedMs: number) => void;
}

/** Subscribes each session (after its handshake) and opens its notification stream. */
export async function subscribeAll(subscribers: readonly Driver[]): Promise<void> {
  await Promise.all(
    subscribers.map(async (d) => {
      await d.control('resources/subscribe', { uri: FANOUT_URI });
      await d.listen();
    }),
  );
}

export async function runFanout(o: FanoutOptions): Promise<LoopResult> {
  const latency = new LatencyRecorder();
  const n = o.subscribers.length;
  let received = 0; // notifications of the current broadcast
  let unexpected = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let lastArrival = 0;
  for (const d of o.subscribers) {
    d.sink = {
      response: () => {
        unexpected++;
      },
      notification(frame) {
        if (frame.indexOf(UPDATED) === -1) {
          unexpected++; // another notification (a log line, list_changed): not what is measured
          return;
        }
        received++;
        if (received === n) {
          lastArrival = performance.now();
          wake?.();
        }
      },
      unexpected: () => {
        unexpected++;
      },
      flush: () => {},
      failed(err) {
        failure ??= err;
        wake?.();
      },
    };
  }

  let phase = 'warmup' as 'warmup' | 'measure' | 'done';
  let messages = 0;
  let errors = 0;
  let lost = 0;
  let tMeasure = 0;
  let tEnd = 0;
  const buckets: number[] = [];
  const t0 = performance.now();
  const progress = setInterval(() => o.onProgress?.(performance.now() - t0), 250);
  progress.unref();
  const phaseTimer = setTimeout(() => {
    o.onMeasureStart?.();
    tMeasure = performance.now();
    phase = 'measure';
  }, o.warmupMs);
  try {
    for (;;) {
      if (failure) break;
      const now = performance.now();
      if (phase === 'measure' && now - tMeasure >= o.durationMs) break;
      received = 0;
      const allArrived = new Promise<void>((resolve) => {
        const timer = setTimeout(done, o.drainTimeoutMs);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
      const sentAt = performance.now();
      const sentPhase = phase;
      const answered = o.trigger.control('tools/call', { name: 'trigger_resource_update', arguments: {} }).then(
        () => true,
        () => false,
      );
      await allArrived;
      if (!(await answered)) errors++;
      if (failure) break;
      if (received < n) {
        lost += n - received;
        failure = new Error(
          `${n - received} of ${n} sessions did not receive the update within ${o.drainTimeoutMs} ms`,
        );
        break;
      }
      if (sentPhase === 'measure') {
        latency.record((lastArrival - sentAt) * 1000);
        messages += n;
        const b = bucketOf(lastArrival - tMeasure);
        buckets[b] = (buckets[b] ?? 0) + n;
      }
    }
    tEnd = performance.now();
    if (phase === 'measure') o.onMeasureEnd?.();
  } finally {
    phase = 'done';
    clearTimeout(phaseTimer);
    clearInterval(progress);
  }
  const durationMs = tMeasure > 0 ? tEnd - tMeasure : 0;
  return {
    messages,
    durationMs,
    latency: latency.summary(),
    errors,
    lost,
    unexpected,
    notifications: messages,
    timeline: buildTimeline(buckets, durationMs),
    failure,
  };
}
