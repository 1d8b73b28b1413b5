/**
 * The request loops over a set of connections (drivers): closed loop (N requests in flight per connection, a new
 * one sent as each answer arrives) for throughput, open loop (a fixed offered rate, sent on schedule whatever the
 * answers do) for latency. Every request is tracked by id until its one response; what is left after the drain is lost.
 *
 * Coordinated omission: in the open loop a request's latency is measured from the time it was *due* by the schedule,
 * not from when it was actually written. A stalled server (or a stalled load generator) then shows as latency on
 * every request that should have gone out during the stall, as it would for real clients arriving at that rate —
 * the "intended send time" correction of wrk2. recordValueWithExpectedInterval is the other HdrHistogram way: it
 * back-fills synthetic samples for a closed loop with one request in flight, and is only exact there; with N in
 * flight and C connections the schedule is what we know exactly, so it is used instead. The closed loop reports the
 * latency each request saw from its write (no correction: it measures service time under saturation).
 */
import type { Driver } from './driver.js';
import { LatencyRecorder } from './latency.js';
import type { LatencySummary } from './report.js';

export const TIMELINE_MS = 250;

/** Open loop: below this gap (ms) to the next due request the loop polls instead of sleeping on a timer. */
const SPIN_MS = 2;

function pick(s: LatencySummary): { p50: number; p99: number; max: number } {
  return { p50: s.p50, p99: s.p99, max: s.max };
}

/** The longest a drain waits in all, however steadily a backlog is still being answered. */
export const MAX_DRAIN_MS = 120_000;

/** The timeline bucket of an arrival `ms` after the window opened. */
export function bucketOf(ms: number): number {
  return Math.max(0, Math.floor(ms / TIMELINE_MS));
}

/**
 * Messages per TIMELINE_MS over a window of `durationMs`. An arrival at the closing instant (or counted just after
 * the timer that closed the window fired) folds into the last bucket, so the timeline always sums to the messages.
 */
export function buildTimeline(buckets: readonly (number | undefined)[], durationMs: number): LoopResult['timeline'] {
  // Round, not ceil: a window that overran its timer by a fraction of a ms does not get an almost empty bucket.
  const n = Math.max(1, Math.round(durationMs / TIMELINE_MS));
  const out = Array.from({ length: n }, (_, i) => ({ tMs: i * TIMELINE_MS, messages: buckets[i] ?? 0 }));
  const last = out[n - 1] as { tMs: number; messages: number };
  for (let i = n; i < buckets.length; i++) last.messages += buckets[i] ?? 0;
  return out;
}

export interface LoopOptions {
  drivers: readonly Driver[];
  mode: 'closed' | 'open';
  /** Closed loop: requests in flight per connection. */
  inFlight: number;
  /** Open loop: offered requests per second, all connections together. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** How long answers to the last requests are waited for before they count as lost. */
  drainTimeoutMs: number;
  /** Called as the measured window opens and closes (server CPU and RSS are read here). */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
  /** Progress: elapsed ms of warm-up + measurement, every 250 ms. */
  onProgress?: (elapsedMs: number) => void;
}

export interface LoopResult {
  /** Responses received in the measured window. */
  messages: number;
  /** The measured window's actual length. */
  durationMs: number;
  latency: LatencySummary;
  errors: number;
  lost: number;
  unexpected: number;
  /** Notifications received (none are expected from a request/response workload). */
  notifications: number;
  timeline: { tMs: number; messages: number }[];
  /**
   * Open loop: how late the generator wrote requests in the measured window compared with their due time (µs). Near 0
   * means the schedule was kept, so the latency figures are the server's; a large lag means the generator (or the
   * machine) could not keep up, and the latency — measured from the due time — includes that wait.
   */
  scheduleLagUs?: { p50: number; p99: number; max: number } | undefined;
  /** Why the loop stopped early (a connection failed), if it did. */
  failure: Error | undefined;
}

type Phase = 'warmup' | 'measure' | 'drain' | 'done';

class Conn {
  readonly outstanding = new Map<number, number>();
  nextId = 1;
  reissue = 0;
  constructor(readonly driver: Driver) {}
}

export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const latency = new LatencyRecorder();
  const lag = o.mode === 'open' ? new LatencyRecorder() : undefined;
  let phase: Phase = 'warmup';
  let failure: Error | undefined;
  let errors = 0;
  let unexpected = 0;
  let notifications = 0;
  let messages = 0;
  let answered = 0;
  let tMeasure = 0;
  let tEnd = 0;
  const buckets: number[] = [];
  let wake: (() => void) | undefined;
  const conns = o.drivers.map((d) => new Conn(d));
  const perConnRate = o.rate / Math.max(1, conns.length);
  // Open loop: at most one second of offered load outstanding per connection. Past that, due requests wait to be
  // written (and their wait counts in their latency, measured from when they were due), so a server that cannot keep
  // up grows latency, not the load generator's memory.
  const maxOutstanding = Math.max(256, Math.ceil(perConnRate));
  let tStart = 0;
  /**
   * Open loop: one schedule over all the connections. Request k is due at tStart + k / rate and goes to connection
   * k mod N, so the connections take turns and arrivals are evenly spaced. (A schedule per connection, each starting
   * at tStart, had every connection send at the same instant: with `nmcp load`'s hundreds of clients, bursts of N
   * requests every N / rate seconds; and each pump cost N. Now a pump costs what it sends.)
   */
  let scheduled = 0;
  const dueAt = (k: number) => tStart + (k * 1000) / o.rate;

  const stopped = () => phase === 'drain' || phase === 'done';
  /** Every request answered, and (open loop) every request due inside the window sent. */
  const drained = () =>
    (o.mode === 'closed' || dueAt(scheduled) >= tEnd) && conns.every((c) => c.outstanding.size === 0);

  for (const c of conns) {
    c.driver.sink = {
      response(id, ok) {
        const sentAt = c.outstanding.get(id);
        if (sentAt === undefined) {
          unexpected++;
          return;
        }
        c.outstanding.delete(id);
        answered++;
        const now = performance.now();
        if (!ok) errors++;
        // Latency is kept for requests sent (or due) inside the measured window, whenever their answer arrives.
        if (sentAt >= tMeasure && tMeasure > 0 && sentAt < (tEnd || Number.POSITIVE_INFINITY)) {
          latency.record((now - sentAt) * 1000);
        }
        if (phase === 'measure') {
          messages++;
          const b = bucketOf(now - tMeasure);
          buckets[b] = (buckets[b] ?? 0) + 1;
        }
        if (o.mode === 'closed') c.reissue++;
      },
      notification() {
        notifications++;
      },
      unexpected() {
        unexpected++;
      },
      flush() {
        if (o.mode === 'closed') {
          if (c.reissue > 0 && !stopped()) issue(c, c.reissue);
          c.reissue = 0;
        } else if (phase !== 'done') pump();
        if (phase === 'drain' && drained()) wake?.();
      },
      failed(err) {
        failure ??= err;
        wake?.();
      },
    };
  }

  const issue = (c: Conn, n: number) => {
    const ids: number[] = [];
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      const id = c.nextId++;
      c.outstanding.set(id, now);
      ids.push(id);
    }
    c.driver.send(ids);
  };

  const pump = () => {
    const now = performance.now();
    // In the drain, requests that fell due inside the window but were held back (the outstanding cap) still go out:
    // leaving them unsent would drop exactly the slowest samples, the omission this loop exists to avoid.
    const until = phase === 'measure' || phase === 'warmup' ? now : phase === 'drain' ? Math.min(now, tEnd) : 0;
    const batches = new Map<Conn, number[]>();
    for (;;) {
      const due = dueAt(scheduled);
      if (due > until) break;
      // A request due after the measured window closed is not sent: the schedule ends with the window.
      if (tEnd > 0 && due >= tEnd) break;
      const c = conns[scheduled % conns.length] as Conn;
      // A connection at its cap (a second of its load unanswered: the server has stalled) holds the schedule at its
      // turn: the requests behind it wait too, and their latency, counted from when they were due, grows.
      if (c.outstanding.size >= maxOutstanding) break;
      if (lag && tMeasure > 0 && due >= tMeasure) lag.record((now - due) * 1000);
      scheduled++;
      const id = c.nextId++;
      c.outstanding.set(id, due);
      const ids = batches.get(c);
      if (ids) ids.push(id);
      else batches.set(c, [id]);
    }
    for (const [c, ids] of batches) c.driver.send(ids);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /**
   * Waits for the last answers. A request counts as lost only when the server has gone silent for drainTimeoutMs
   * with it unanswered: an overloaded server that is still working through a backlog (an open loop offered more than
   * it can serve) is waited for, up to MAX_DRAIN_MS in all, rather than having its late answers called lost.
   */
  const drain = async () => {
    const started = performance.now();
    for (;;) {
      const before = answered;
      await sleep(o.drainTimeoutMs);
      if (failure || drained() || answered === before || performance.now() - started >= MAX_DRAIN_MS) return;
    }
  };

  /**
   * The open loop's clock. A 1 ms timer would send each request up to a millisecond (plus timer jitter) after it was
   * due, and since latency is measured from the due time, that lateness would be reported as the server's. So while
   * the next request is due within SPIN_MS the loop polls with setImmediate (I/O — the answers — is still served
   * between polls), and sleeps on a timer only across longer gaps. At rates above ~1,000/s it polls all the time and
   * keeps one core of the load generator busy: the price of an on-time schedule in Node. scheduleLagUs reports how
   * well it was kept.
   */
  let tickTimer: NodeJS.Timeout | undefined;
  let tickImmediate: NodeJS.Immediate | undefined;
  const tick = () => {
    tickTimer = undefined;
    tickImmediate = undefined;
    if (phase === 'done') return;
    pump();
    const wait = dueAt(scheduled) - performance.now();
    if (wait > SPIN_MS) tickTimer = setTimeout(tick, wait - SPIN_MS / 2);
    else tickImmediate = setImmediate(tick);
  };

  tStart = performance.now();
  const progress = setInterval(() => o.onProgress?.(performance.now() - tStart), 250);
  progress.unref();
  if (o.mode === 'open') tick();
  try {
    if (o.mode === 'closed') for (const c of conns) issue(c, o.inFlight);
    if (o.warmupMs > 0) await sleep(o.warmupMs);
    if (!failure) {
      o.onMeasureStart?.();
      tMeasure = performance.now();
      phase = 'measure';
      await sleep(o.durationMs);
      tEnd = performance.now();
      phase = 'drain';
      o.onMeasureEnd?.();
    }
    // The open loop's clock keeps running through the drain: it sends what fell due just before the window closed.
    if (!failure && !drained()) await drain();
  } finally {
    phase = 'done';
    if (tickTimer) clearTimeout(tickTimer);
    if (tickImmediate) clearImmediate(tickImmediate);
    clearInterval(progress);
  }
  const durationMs = tEnd > 0 ? tEnd - tMeasure : 0;
  const timeline = buildTimeline(buckets, durationMs);
  return {
    messages,
    durationMs,
    latency: latency.summary(),
    errors,
    lost: conns.reduce((n, c) => n + c.outstanding.size, 0),
    unexpected,
    notifications,
    timeline,
    scheduleLagUs: lag && lag.count > 0 ? pick(lag.summary()) : undefined,
    failure,
  };
}
