/**
 * systemInfo(): one snapshot of the process for an operator (`GET /info`, `nmcp info`) — memory, handles, sessions and
 * connections by transport, event-loop utilization and delay, the route tables' counters, and the seed's "top
 * consumers": the sessions holding the most unsent bytes and those with the highest message rate.
 */
import { activeCore } from '../native/index.js';
import type { RouteRegistry, RouteRegistryStats } from '../registry/route-registry.js';
import type { MemoryMonitor, MemorySample } from './memory-monitor.js';
import type { NmcpMetrics } from './nmcp-metrics.js';

export interface SessionInfo {
  transport: string;
  /** How long it has been open, seconds. */
  ageSeconds: number;
  messagesIn: number;
  messagesOut: number;
  /** (in + out) ÷ age. */
  messagesPerSecond: number;
  /** Bytes queued for the peer, not yet written (byte-stream transports). */
  pendingBytes: number;
  /** The client's name and version, when it said. */
  client?: string;
}

export interface SystemInfo {
  pid: number;
  uptimeSeconds: number;
  node: string;
  core: { kind: 'native' | 'twin'; version: string };
  memory: MemorySample & { shedding: boolean; warning: boolean };
  handles: number;
  eventLoop: { utilization: number; delayP50Ms: number; delayP99Ms: number; delayMaxMs: number };
  sessions: Record<string, number>;
  registries: RouteRegistryStats[];
  top: { byPendingBytes: SessionInfo[]; byMessageRate: SessionInfo[] };
}

export interface SystemInfoSources {
  metrics: NmcpMetrics;
  memory: MemoryMonitor;
  registries?: readonly RouteRegistry[];
  /** How many sessions each top list holds (5). */
  top?: number;
}

export function systemInfo(sources: SystemInfoSources): SystemInfo {
  const { metrics, memory, registries = [], top = 5 } = sources;
  const now = Date.now();
  const sessions: SessionInfo[] = [];
  const byTransport: Record<string, number> = {};
  for (const [session, transport] of metrics.sessions) {
    const since = metrics.openedAt(session) ?? now;
    const age = Math.max((now - since) / 1000, 0.001);
    const rpc = session.rpc;
    const pending = (transport as { pendingBytes?: unknown }).pendingBytes;
    const info: SessionInfo = {
      transport: transport.kind,
      ageSeconds: Math.round(age * 10) / 10,
      messagesIn: rpc.messagesIn,
      messagesOut: rpc.messagesOut,
      messagesPerSecond: Math.round(((rpc.messagesIn + rpc.messagesOut) / age) * 10) / 10,
      pendingBytes: typeof pending === 'number' ? pending : 0,
    };
    const client = session.clientInfo;
    if (client !== undefined) info.client = `${client.name} ${client.version}`;
    sessions.push(info);
    byTransport[transport.kind] = (byTransport[transport.kind] ?? 0) + 1;
  }
  const core = activeCore();
  const delay = metrics.eventLoopDelay();
  const m = memory.check();
  return {
    pid: process.pid,
    uptimeSeconds: Math.round(process.uptime()),
    node: process.version,
    core: { kind: core.kind === 'native' ? 'native' : 'twin', version: core.version },
    memory: { ...pick(m), shedding: memory.shedding, warning: memory.warning },
    handles: process.getActiveResourcesInfo().length,
    eventLoop: {
      utilization: Math.round(metrics.eventLoopUtilization * 1000) / 1000,
      delayP50Ms: round2(delay.p50),
      delayP99Ms: round2(delay.p99),
      delayMaxMs: round2(delay.max),
    },
    sessions: byTransport,
    registries: registries.map((r) => r.stats()),
    top: {
      byPendingBytes: [...sessions].sort((a, b) => b.pendingBytes - a.pendingBytes).slice(0, top),
      byMessageRate: [...sessions].sort((a, b) => b.messagesPerSecond - a.messagesPerSecond).slice(0, top),
    },
  };
}

function pick(m: MemorySample): MemorySample {
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

function round2(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : 0;
}
