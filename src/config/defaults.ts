/**
 * Defaults for the framing layer, taken from the seed (../shared/seed/erlmcp-performance-tuning-guide.md), camelCased.
 * One object per component, units in the comments (fastify's defaultInitOptions).
 */

export const MiB = 1024 * 1024;

export interface FramingOptions {
  /** 'ndjson' (MCP stdio framing) or 'length-prefixed' (4-byte big-endian length, erlmcp's {packet, 4}). */
  framing: 'ndjson' | 'length-prefixed';
  /**
   * Largest frame accepted or sent, in bytes. Default 16 MiB (erlmcp's own default; the official SDK caps at 10 MiB;
   * the seed's production profile uses 1 MiB). 1 B … 256 MiB.
   */
  maxMessageSize: number;
}

export const DEFAULT_FRAMING_OPTIONS: Readonly<FramingOptions> = Object.freeze({
  framing: 'ndjson',
  maxMessageSize: 16 * MiB, // 16 MiB
});

export interface BatchWriterOptions extends FramingOptions {
  /** Flush when this many messages are pending (the seed's batch_size). 1 disables coalescing within a turn. */
  batchSize: number;
  /** Flush when this many bytes are pending, whatever the count. */
  batchMaxBytes: number;
  /**
   * While the sink is blocked by backpressure, pending data is handed to it at least every batchTimeoutMs
   * (the seed's batch timeout, 10 ms). It never delays a write when the sink is not blocked.
   */
  batchTimeoutMs: number;
  /**
   * Bound on bytes waiting to be written (our queue plus the sink's own buffer). A write that would exceed it is refused
   * with NMCP_ERR_WRITE_QUEUE_FULL instead of memory growing. Must be ≥ maxMessageSize + 4.
   */
  maxPendingBytes: number;
}

export const DEFAULT_BATCH_WRITER_OPTIONS: Readonly<BatchWriterOptions> = Object.freeze({
  ...DEFAULT_FRAMING_OPTIONS,
  batchSize: 100, // messages (the seed's batch_size)
  batchMaxBytes: 1 * MiB, // 1 MiB
  batchTimeoutMs: 10, // ms (the seed's batch timeout)
  maxPendingBytes: 64 * MiB, // 64 MiB
});

export const FRAMING_RULES = {
  framing: ['ndjson', 'length-prefixed'],
  maxMessageSize: { min: 1, max: 256 * MiB, what: 'bytes, up to 256 MiB' },
} as const;

export const BATCH_WRITER_RULES = {
  ...FRAMING_RULES,
  batchSize: { min: 1, max: 1_000_000, what: 'messages' },
  batchMaxBytes: { min: 1, max: 256 * MiB, what: 'bytes' },
  batchTimeoutMs: { min: 0, max: 60_000, what: 'milliseconds' },
  maxPendingBytes: { min: 1, max: 8 * 1024 * MiB, what: 'bytes' },
} as const;

export interface RouteRegistryOptions {
  /** Resolve routes through the route cache (the seed's enable_route_cache). Off: every lookup reads the table. */
  enableRouteCache: boolean;
  /** How long a cached route may be used, ms (the seed's cache_ttl: 30 s). A table change invalidates it at once. */
  cacheTtlMs: number;
  /** Cached routes kept before the least recently used is evicted (the seed's max_cache_entries). */
  maxCacheEntries: number;
  /** Count lookups, hits, misses, evictions and messages per route (the seed's enable_stats_collection). */
  enableStatsCollection: boolean;
}

export const DEFAULT_ROUTE_REGISTRY_OPTIONS: Readonly<RouteRegistryOptions> = Object.freeze({
  enableRouteCache: true,
  cacheTtlMs: 30_000, // ms (the seed's cache_ttl)
  maxCacheEntries: 10_000, // entries (the seed's max_cache_entries)
  enableStatsCollection: true,
});

export const ROUTE_REGISTRY_RULES = {
  cacheTtlMs: { min: 1, max: 86_400_000, what: 'milliseconds, up to one day' },
  maxCacheEntries: { min: 1, max: 10_000_000, what: 'entries' },
} as const;
