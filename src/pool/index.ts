export type { WorkerPoolOptions } from './options.js';
export { DEFAULT_WORKER_POOL_OPTIONS, resolveWorkerPoolOptions } from './options.js';
export type { WorkerContext, WorkerTask } from './worker-entry.js';
export type { PoolCallContext, PoolCallOptions, WorkerHandlerSpec, WorkerPoolStats } from './worker-pool.js';
export { POOL_FULL_RPC_CODE, WorkerPool } from './worker-pool.js';
