/**
 * WorkerPool's options (the seed's poolboy settings, the Node way), checked at construction: a bad value throws
 * NMCP_ERR_INVALID_OPTION naming the key.
 */
import { availableParallelism } from 'node:os';
import { ErrorCode, NmcpError } from '../errors.js';

export interface WorkerPoolOptions {
  /** Workers kept (the seed's worker_count = schedulers × 2). Default: available cores × 2. */
  workerCount: number;
  /** More workers started while every one is busy and tasks wait, retired after idleTimeoutMs (the seed's max_overflow). Default 10. */
  maxOverflow: number;
  /** An overflow worker idle this long is stopped, ms (the seed's hibernate_after). Default 5,000. */
  idleTimeoutMs: number;
  /** Tasks waiting for a worker at most; past it a call is refused at once with a JSON-RPC error (the seed's max_message_queue_len). Default 10,000. */
  maxQueueLength: number;
  /** How long a cancelled or timed-out handler may take to stop by itself before its worker is terminated, ms. Default 1,000. */
  cancelGraceMs: number;
}

export const DEFAULT_WORKER_POOL_OPTIONS: Readonly<Omit<WorkerPoolOptions, 'workerCount'>> = Object.freeze({
  maxOverflow: 10,
  idleTimeoutMs: 5_000,
  maxQueueLength: 10_000,
  cancelGraceMs: 1_000,
});

const RULES: Record<keyof WorkerPoolOptions, { min: number; max: number; what: string }> = {
  workerCount: { min: 1, max: 1024, what: 'workers' },
  maxOverflow: { min: 0, max: 1024, what: 'workers' },
  idleTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds' },
  maxQueueLength: { min: 0, max: 10_000_000, what: 'tasks' },
  cancelGraceMs: { min: 0, max: 60_000, what: 'milliseconds' },
};

export function resolveWorkerPoolOptions(input: Partial<WorkerPoolOptions> = {}): Readonly<WorkerPoolOptions> {
  if (typeof input !== 'object' || input === null) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, 'WorkerPool options must be an object', { key: 'pool' });
  }
  const out: WorkerPoolOptions = {
    workerCount: availableParallelism() * 2,
    ...DEFAULT_WORKER_POOL_OPTIONS,
  };
  for (const [key, value] of Object.entries(input)) {
    const rule = RULES[key as keyof WorkerPoolOptions];
    if (rule === undefined) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `pool.${key} is not a WorkerPool option (${Object.keys(RULES).join(', ')})`,
        { key: `pool.${key}`, value },
      );
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
      throw new NmcpError(
        ErrorCode.INVALID_OPTION,
        `pool.${key} must be a whole number from ${rule.min} to ${rule.max} (${rule.what}), got ${JSON.stringify(value)}`,
        { key: `pool.${key}`, value },
      );
    }
    out[key as keyof WorkerPoolOptions] = value;
  }
  return Object.freeze(out);
}
