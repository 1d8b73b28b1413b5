/**
 * WorkerPool (issue 8, point 1; docs/worker-pool.md): CPU-heavy tool, resource and prompt handlers run in worker
 * threads (piscina) so that the event loop — every other session's messages — keeps turning. The seed's process pool,
 * the Node way: `workerCount` workers kept (cores × 2), up to `maxOverflow` more while tasks wait (retired after
 * `idleTimeoutMs`), FIFO queueing bounded by `maxQueueLength` (past it a call is refused at once with a JSON-RPC error).
 *
 *   const pool = new WorkerPool();
 *   server.registerTool('hash', { inputSchema }, pool.handler({ module: new URL('./hash.js', import.meta.url), export: 'hash' }));
 *
 * Arguments cross by structured clone (postMessage) — or, given the JSON text they were parsed from (a request's frame,
 * `options.source`: McpServer's `runIn: 'worker'` does this), as that text, JSON.parsed in the worker: far cheaper for
 * the event loop than cloning an object graph (bench/pool-args.bench.mjs). Results come back by clone. Progress comes
 * back over a MessagePort per call; cancellation (the request's AbortSignal) is sent to the worker's handler as an abort of its own
 * `ctx.signal`, and a handler that does not stop within `cancelGraceMs` has its worker terminated (piscina replaces
 * it). A per-handler `timeoutMs` answers -32001 and does the same; a worker that crashes answers -32603 for that call
 * only. Per-handler `concurrency` bounds how many of its calls are in the pool at once.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ErrorCode, NmcpError } from '../errors.js';
import { McpError, RpcCode } from '../protocol/jsonrpc.js';
import { resolveWorkerPoolOptions, type WorkerPoolOptions } from './options.js';
import { CODED, type CodedHandlerError, type WorkerTask } from './worker-entry.js';

/** The JSON-RPC code of a call refused because the pool's queue is full (the implementation-defined server range). */
export const POOL_FULL_RPC_CODE = -32000;

export interface WorkerHandlerSpec {
  /** The handler's module: a file URL, or an absolute path. */
  module: string | URL;
  /** Its export that is the handler: `(args, ctx) => result` (default 'default'). */
  export?: string;
  /** At most this many calls of this handler in the pool at once; the next wait their turn, FIFO. Default: no own limit. */
  concurrency?: number;
  /** A call running longer is answered with -32001 and its worker terminated (and replaced), ms. Default: none. */
  timeoutMs?: number;
}

/** How one call's arguments travel (McpServer's WorkerCallOptions). */
export interface PoolCallOptions {
  /** `args` is an array of the handler's arguments before ctx (a resource read's `(uri)` or `(uri, variables)`). */
  spread?: boolean;
  /**
   * JSON text that `args` was parsed from and still equals, and the property path to them in it (a request's frame:
   * `['params', 'arguments']`): the text goes to the worker, which JSON.parses it, instead of `args` being cloned.
   */
  source?: { text: string; path: readonly string[] };
}

/** What a call needs of its request context (McpServer's ServerContext has it). */
export interface PoolCallContext {
  readonly signal?: AbortSignal;
  readonly meta?: Record<string, unknown> | undefined;
  progress?(progress: number, total?: number, message?: string): void;
}

export interface WorkerPoolStats {
  /** Workers running now (kept + overflow). */
  threads: number;
  /** Tasks waiting for a worker. */
  queued: number;
  /** Calls waiting for their handler's `concurrency` slot. */
  waiting: number;
  completed: number;
  /** Handlers that threw or rejected (their error is the call's answer). */
  failed: number;
  /** Calls whose worker crashed (exited, or could not load the module). */
  crashed: number;
  timedOut: number;
  cancelled: number;
  /** Calls refused because the queue was full. */
  refused: number;
}

/** The worker script: the compiled worker-entry.js next to this module, or dist/'s when running from the sources. */
function workerScript(): string {
  const sibling = new URL('./worker-entry.js', import.meta.url);
  if (existsSync(sibling)) return fileURLToPath(sibling);
  const built = new URL('../../dist/pool/worker-entry.js', import.meta.url);
  if (existsSync(built)) return fileURLToPath(built);
  throw new NmcpError(
    ErrorCode.INVALID_STATE,
    'the worker script pool/worker-entry.js is missing: build nmcp (npm run build)',
    {},
  );
}

class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  get waiting(): number {
    return this.#waiting.length;
  }
  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

export class WorkerPool {
  readonly options: Readonly<WorkerPoolOptions>;
  readonly #piscina: Piscina;
  readonly #slots = new Map<WorkerHandlerSpec, Slots>();
  readonly #stats = { completed: 0, failed: 0, crashed: 0, timedOut: 0, cancelled: 0, refused: 0 };

  constructor(options: Partial<WorkerPoolOptions> = {}) {
    this.options = resolveWorkerPoolOptions(options);
    const { workerCount, maxOverflow, idleTimeoutMs, maxQueueLength } = this.options;
    this.#piscina = new Piscina({
      filename: workerScript(),
      minThreads: workerCount,
      maxThreads: workerCount + maxOverflow,
      idleTimeout: idleTimeoutMs,
      maxQueue: maxQueueLength,
    });
    // A worker that dies is replaced by piscina; its task is rejected (and answered) — never an unhandled error here.
    this.#piscina.on('error', () => {});
  }

  stats(): WorkerPoolStats {
    let waiting = 0;
    for (const s of this.#slots.values()) waiting += s.waiting;
    return { threads: this.#piscina.threads.length, queued: this.#piscina.queueSize, waiting, ...this.#stats };
  }

  /** A handler for registerTool / registerResource / registerPrompt that runs `spec` in the pool. */
  handler<Args = unknown, Result = unknown>(
    spec: WorkerHandlerSpec,
  ): (args: Args, ctx: PoolCallContext) => Promise<Result> {
    checkSpec(spec);
    return (args, ctx) => this.run(spec, args, ctx) as Promise<Result>;
  }

  /** Runs `spec` with `args` in a worker; resolves with what the handler returns. */
  async run(
    spec: WorkerHandlerSpec,
    args: unknown,
    ctx: PoolCallContext = {},
    options: PoolCallOptions = {},
  ): Promise<unknown> {
    const queued = this.#piscina.queueSize;
    if (queued >= this.options.maxQueueLength && this.#piscina.threads.length >= this.#piscina.maxThreads) {
      throw this.#full();
    }
    let slots: Slots | undefined;
    if (spec.concurrency !== undefined) {
      slots = this.#slots.get(spec);
      if (slots === undefined) {
        slots = new Slots(spec.concurrency);
        this.#slots.set(spec, slots);
      }
      if (slots.waiting >= this.options.maxQueueLength) throw this.#full();
      await slots.acquire();
    }
    try {
      return await this.#run(spec, args, ctx, options);
    } finally {
      slots?.release();
    }
  }

  async #run(spec: WorkerHandlerSpec, args: unknown, ctx: PoolCallContext, options: PoolCallOptions): Promise<unknown> {
    const { port1, port2 } = new MessageChannel();
    const terminate = new AbortController();
    let stopping: 'cancelled' | 'timedOut' | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'cancelled' | 'timedOut', reason: string) => {
      if (stopping !== undefined) return;
      stopping = why;
      // Ask the handler to stop (its ctx.signal); one that does not yield within the grace period loses its worker.
      port1.postMessage({ type: 'cancel', reason });
      graceTimer = setTimeout(() => terminate.abort(new Error(reason)), this.options.cancelGraceMs);
    };
    const onMessage = (m: { type?: string; progress?: number; total?: number; message?: string }) => {
      if (m?.type === 'progress' && typeof m.progress === 'number') ctx.progress?.(m.progress, m.total, m.message);
    };
    port1.on('message', onMessage);
    const onAbort = () => {
      const reason: unknown = ctx.signal?.reason;
      stop('cancelled', reason instanceof Error ? reason.message : String(reason ?? 'cancelled'));
    };
    if (ctx.signal?.aborted) onAbort();
    else ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => stop('timedOut', `timed out after ${spec.timeoutMs} ms`), spec.timeoutMs);
    const source = options.source;
    const task: WorkerTask = {
      module: moduleUrl(spec.module),
      export: spec.export ?? 'default',
      args: source === undefined ? args : undefined,
      meta: ctx.meta,
      port: port2,
    };
    if (source !== undefined) {
      task.json = source.text;
      task.path = [...source.path];
    }
    if (options.spread === true) task.spread = true;
    try {
      const result = await this.#piscina.run(task, { transferList: [port2], signal: terminate.signal });
      if (stopping === 'timedOut') throw this.#timedOut(spec);
      this.#stats.completed++;
      return result;
    } catch (err) {
      if (stopping === 'timedOut') throw this.#timedOut(spec);
      if (stopping === 'cancelled') {
        this.#stats.cancelled++;
        throw new McpError(RpcCode.REQUEST_TIMEOUT, 'cancelled', { cancelled: true });
      }
      if (isCoded(err)) {
        this.#stats.failed++;
        throw new McpError(err.code, err.message, err.data);
      }
      const e = err instanceof Error ? err : new Error(String(err));
      if (e.message === 'Task queue is at limit') throw this.#full();
      if (isCrash(e)) {
        this.#stats.crashed++;
        throw new McpError(RpcCode.INTERNAL_ERROR, `the worker running this handler crashed: ${e.message}`, {
          crashed: true,
        });
      }
      this.#stats.failed++;
      throw e instanceof McpError ? e : toMcpError(e);
    } finally {
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      ctx.signal?.removeEventListener('abort', onAbort);
      // Progress the handler posted just before it returned may still be queued (the result travels on another
      // channel): deliver it before the port closes.
      for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) onMessage(m.message);
      port1.close();
    }
  }

  #timedOut(spec: WorkerHandlerSpec): McpError {
    this.#stats.timedOut++;
    return new McpError(
      RpcCode.REQUEST_TIMEOUT,
      `the handler timed out after ${spec.timeoutMs} ms (its worker was stopped)`,
      {
        timeoutMs: spec.timeoutMs,
      },
    );
  }

  #full(): McpError {
    this.#stats.refused++;
    const max = this.options.maxQueueLength;
    return new McpError(
      POOL_FULL_RPC_CODE,
      `server busy: the worker pool's queue is full (maxQueueLength ${max}); retry later`,
      {
        reason: 'maxQueueLength',
        maxQueueLength: max,
      },
    );
  }

  /** Stops every worker (running handlers are terminated). */
  async close(): Promise<void> {
    await this.#piscina.destroy();
  }
}

function checkSpec(spec: WorkerHandlerSpec): void {
  const bad = (key: string, what: string) =>
    new NmcpError(ErrorCode.INVALID_OPTION, `worker handler ${key} ${what}`, { key: `worker.${key}` });
  if (typeof spec !== 'object' || spec === null)
    throw bad('spec', 'must be { module, export?, concurrency?, timeoutMs? }');
  if (!(spec.module instanceof URL) && (typeof spec.module !== 'string' || spec.module === '')) {
    throw bad('module', 'must be a file URL or an absolute path');
  }
  if (typeof spec.module === 'string' && !spec.module.startsWith('file:') && !spec.module.startsWith('/')) {
    throw bad('module', `must be absolute (new URL('./x.js', import.meta.url)), got ${JSON.stringify(spec.module)}`);
  }
  if (spec.export !== undefined && (typeof spec.export !== 'string' || spec.export === '')) {
    throw bad('export', 'must be the name of an export');
  }
  if (spec.concurrency !== undefined && (!Number.isInteger(spec.concurrency) || spec.concurrency < 1)) {
    throw bad('concurrency', `must be a whole number ≥ 1, got ${JSON.stringify(spec.concurrency)}`);
  }
  if (spec.timeoutMs !== undefined && (!Number.isInteger(spec.timeoutMs) || spec.timeoutMs < 1)) {
    throw bad('timeoutMs', `must be a whole number of milliseconds ≥ 1, got ${JSON.stringify(spec.timeoutMs)}`);
  }
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return module.startsWith('file:') ? module : pathToFileURL(module).href;
}

/** A worker that went away (exit, uncaught error outside the handler, a module that does not load). */
function isCrash(e: Error): boolean {
  return /worker exited|Terminating worker thread|has no function export|Cannot find module|ERR_MODULE_NOT_FOUND/.test(
    `${e.message} ${(e as { code?: string }).code ?? ''}`,
  );
}

/** A handler's error that carried a JSON-RPC code, as it crossed back from the worker (worker-entry.ts). */
function isCoded(err: unknown): err is CodedHandlerError {
  return typeof err === 'object' && err !== null && (err as Record<string, unknown>)[CODED] === true;
}

/** A handler's own error, as the call's answer: its message (and JSON-RPC code if it carried one). */
function toMcpError(e: Error): McpError {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? new McpError(code, e.message) : new McpError(RpcCode.INTERNAL_ERROR, e.message);
}
