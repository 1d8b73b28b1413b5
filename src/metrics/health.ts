/**
 * Health checks (the seed's health_check: registry, transports, memory — plus the process's handles and the event
 * loop, the Node equivalents of its process checks). Each check is ok, warn or fail; the report fails when one check
 * fails, and `/health` then answers 503.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RouteRegistry } from '../registry/route-registry.js';
import type { MemoryMonitor } from './memory-monitor.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** The event-loop monitor's timer period, ms. Node records the time between its ticks: the delay is that minus this. */
const RESOLUTION_MS = 10;

export interface CheckResult {
  status: CheckStatus;
  /** What was found, in words. */
  detail: string;
  [fact: string]: unknown;
}

export interface HealthReport {
  status: CheckStatus;
  checks: Record<'registry' | 'transports' | 'memory' | 'process' | 'eventLoop', CheckResult>;
}

export interface HealthInit {
  /** Sampled for the memory check (its memoryWarningBytes is the limit; shedding fails the check too). */
  memory: MemoryMonitor;
  /** Route tables to check (each must answer its stats). */
  registries?: readonly RouteRegistry[];
  /** Whether the transports serve (listeners listening, the stdio session open). Default: always. */
  transports?: () => { ok: boolean; detail: string };
  /** Active handles (sockets, timers, …) over which the process check warns (10,000). */
  maxHandles?: number;
  /** Event-loop delay p99 over which the event-loop check fails, ms (1,000; warns over half of it). */
  maxEventLoopDelayMs?: number;
}

export class HealthChecks {
  readonly #init: HealthInit;
  readonly #delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor(init: HealthInit) {
    this.#init = init;
    this.#delay.enable();
  }

  /** Runs every check now. The event-loop figures cover the time since the previous report. */
  report(): HealthReport {
    const checks: HealthReport['checks'] = {
      registry: this.#registry(),
      transports: this.#transports(),
      memory: this.#memory(),
      process: this.#process(),
      eventLoop: this.#eventLoop(),
    };
    const statuses = Object.values(checks).map((c) => c.status);
    const status: CheckStatus = statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'ok';
    return { status, checks };
  }

  close(): void {
    this.#delay.disable();
  }

  #registry(): CheckResult {
    const registries = this.#init.registries ?? [];
    if (registries.length === 0) return { status: 'ok', detail: 'no route table in use' };
    try {
      let lookups = 0;
      let entries = 0;
      for (const r of registries) {
        const s = r.stats();
        lookups += s.lookups;
        entries += s.entries;
      }
      return { status: 'ok', detail: `${registries.length} route table(s) answer`, lookups, cachedRoutes: entries };
    } catch (err) {
      return { status: 'fail', detail: `a route table does not answer: ${(err as Error).message}` };
    }
  }

  #transports(): CheckResult {
    const t = this.#init.transports?.() ?? { ok: true, detail: 'no transport to check' };
    return { status: t.ok ? 'ok' : 'fail', detail: t.detail };
  }

  #memory(): CheckResult {
    const monitor = this.#init.memory;
    const m = monitor.check();
    const limit = monitor.options.memoryWarningBytes;
    const facts = { rss: m.rss, heapUsed: m.heapUsed, memoryWarningBytes: limit };
    if (monitor.shedding) {
      return {
        status: 'fail',
        detail: `shedding load: RSS over memoryShedBytes (${monitor.options.memoryShedBytes})`,
        ...facts,
      };
    }
    if (m.rss > limit)
      return { status: 'fail', detail: `RSS ${m.rss} B is over memoryWarningBytes (${limit} B)`, ...facts };
    return {
      status: 'ok',
      detail: limit > 0 ? `RSS ${m.rss} B, under memoryWarningBytes` : `RSS ${m.rss} B (no memoryWarningBytes)`,
      ...facts,
    };
  }

  #process(): CheckResult {
    const resources = process.getActiveResourcesInfo();
    const max = this.#init.maxHandles ?? 10_000;
    const facts = {
      handles: resources.length,
      maxHandles: max,
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
    };
    if (resources.length > max) {
      return {
        status: 'warn',
        detail: `${resources.length} active handles, over ${max}: a leak of sockets or timers?`,
        ...facts,
      };
    }
    return { status: 'ok', detail: `${resources.length} active handles`, ...facts };
  }

  #eventLoop(): CheckResult {
    const d = this.#delay;
    const p99 = Math.max(0, d.percentile(99) / 1e6 - RESOLUTION_MS);
    const max = this.#init.maxEventLoopDelayMs ?? 1_000;
    d.reset();
    const facts = { delayP99Ms: Math.round(p99 * 100) / 100, maxEventLoopDelayMs: max };
    if (p99 > max)
      return { status: 'fail', detail: `event-loop delay p99 ${facts.delayP99Ms} ms over ${max} ms`, ...facts };
    if (p99 > max / 2) return { status: 'warn', detail: `event-loop delay p99 ${facts.delayP99Ms} ms`, ...facts };
    return { status: 'ok', detail: `event-loop delay p99 ${facts.delayP99Ms} ms`, ...facts };
  }
}
