/**
 * Tasks: a tools/call answered with a task handle instead of its result, the result fetched later by polling
 * (docs/mcp-eras.md §7). Two wire dialects over one TaskManager:
 *
 * - 2026-07-28, the extension `io.modelcontextprotocol/tasks` (SEP-2663). Server-directed: a client that lists the
 *   extension in a request's `_meta` client capabilities may get `{ resultType: 'task', taskId, status, … }` back;
 *   `tasks/get` returns the task with its result, error or input requests inlined; `tasks/update` delivers input
 *   responses; `tasks/cancel` acks. No tasks/result, no tasks/list. All three methods need the extension declared on
 *   the request (-32021 otherwise).
 * - 2025-11-25, the experimental core tasks. Client-directed: a tools/call with `task: { ttl? }` gets
 *   `{ task: { taskId, status, ttl, … } }`; tasks/get, tasks/result (blocks until the task ends), tasks/list (the
 *   session's tasks) and tasks/cancel; capability `tasks`. Client input during a task is an ordinary server→client
 *   request on the session.
 *
 * A tool opts in with `execution: { taskSupport: 'optional' | 'required' }`, and its handler hands the long part of
 * its work over with `return asTask(async (ctx) => …)`: the handler itself runs in the request (and may ask for
 * input there — a 2026-07-28 input_required round — before deciding), the work runs as the task with a ctx whose
 * signal is aborted by tasks/cancel and whose elicit / createMessage / listRoots become the task's input requests.
 * When the client cannot take a task (no extension declared, a 2025 call without `task`), the work of an 'optional'
 * tool runs inline and the call is answered with its result; a 'required' tool is refused before its handler runs.
 */

import { randomUUID } from 'node:crypto';
import { type JsonObject, McpError, type RequestId, RpcCode } from '../protocol/jsonrpc.js';
import type { ProtocolVersion } from '../protocol/versions.js';
import type { InputOptions, ServerContext } from './context.js';
import type { Call } from './core.js';
import type { ModernEncoder } from './encode.js';
import { copyState, duplicateKey, invalidKey, missingCapability } from './input-required.js';
import { legacyElicitParams, type ServerSession } from './server-session.js';
import { InMemoryTaskStore, isTerminal, type TaskError, type TaskRecord, type TaskStore } from './task-store.js';
import type {
  CallToolResult,
  ClientCapabilities,
  CreateMessageParams,
  CreateMessageResult,
  ElicitParams,
  ElicitResult,
  Era,
  Implementation,
  ListRootsResult,
  LoggingLevel,
} from './types.js';
import { errorMessage, invalidParams, isObject, McpCode, META, requireString } from './wire.js';

/** The extension identifier (2026-07-28), in `capabilities.extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** 2025-11-25: the `_meta` key tying a message (tasks/result's result, a request made by a task) to its task. */
export const RELATED_TASK_META = 'io.modelcontextprotocol/related-task';
/** The only legacy revision with tasks. */
const TASKS_LEGACY_VERSION = '2025-11-25';

/** Whether a tool may run as a task: never (default), when the client can take one, or only as one. */
export type TaskSupport = 'forbidden' | 'optional' | 'required';

export interface TaskOptions {
  /** Where task state lives. Default: an InMemoryTaskStore of `maxTasks` tasks. */
  store?: TaskStore;
  /** Bound of the default store (ignored with `store`). Default 10,000. */
  maxTasks?: number;
  /** How long a task is kept from its creation, ms; null = until the store evicts it. Default 3,600,000 (1 h). */
  ttlMs?: number | null;
  /** Polling interval suggested to clients, ms. Default 1000. */
  pollIntervalMs?: number;
}

/** Per-task overrides, given to asTask(). */
export interface TaskWorkOptions {
  ttlMs?: number | null;
  pollIntervalMs?: number;
  /** The statusMessage of the created task. */
  statusMessage?: string;
}

/** The part of a tool's work that runs as the task. Its ctx is the task's (see the module comment). */
export type TaskWorkFunction = (ctx: ServerContext) => CallToolResult | undefined | Promise<CallToolResult | undefined>;

/** What a tool handler returns to have `work` run as a task (or inline, when the client cannot take a task). */
export class TaskWork {
  constructor(
    readonly work: TaskWorkFunction,
    readonly options: TaskWorkOptions = {},
  ) {}
}

/**
 * Returned by a tool handler (of a tool declaring `execution.taskSupport`): runs `work` as a task and answers the
 * call with the task handle; when the request cannot take a task, runs `work` inline and answers with its result.
 */
export function asTask(work: TaskWorkFunction, options?: TaskWorkOptions): TaskWork {
  if (typeof work !== 'function') throw new TypeError('asTask(work): work must be a function');
  return new TaskWork(work, options);
}

/** The JSON-RPC error of a task that failed. */
function taskError(err: unknown): TaskError {
  if (err instanceof McpError) {
    return err.data === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, data: err.data };
  }
  return { code: RpcCode.INTERNAL_ERROR, message: errorMessage(err) };
}

interface Waiter {
  resolve(value: JsonObject): void;
  reject(reason: unknown): void;
}

/** A task running in this process. */
interface Live {
  record: TaskRecord;
  readonly abort: AbortController;
  /** 2026-07-28 input requests awaiting a tasks/update, by key. */
  readonly waiters: Map<string, Waiter>;
  /** Keys are never reused within a task (SEP-2663), so they count up. */
  nextKey: number;
  /** 2025-11-25: server→client requests in flight. */
  asking: number;
  /** Store writes, in order. */
  writes: Promise<void>;
  readonly finished: Promise<void>;
  finish(): void;
  timer: NodeJS.Timeout | undefined;
  /** 2025-11-25: tells the creating session of a status change (notifications/tasks/status); 2026: undefined. */
  readonly statusChanged: ((record: TaskRecord) => void) | undefined;
}

/** The ctx of a task's work: the creating request's identity, the task's signal, input through the task. */
class TaskContext implements ServerContext {
  readonly signal: AbortSignal;
  readonly requestId: RequestId;
  readonly meta: JsonObject | undefined;
  readonly era: Era;
  readonly protocolVersion: ProtocolVersion;
  readonly session: ServerSession;
  readonly clientCapabilities: ClientCapabilities | undefined;
  readonly clientInfo: Implementation | undefined;
  readonly #manager: TaskManager;
  readonly #live: Live;
  readonly #used = new Set<string>();
  readonly #answers: Record<string, JsonObject> = {};
  #state: unknown;

  constructor(manager: TaskManager, live: Live, origin: ServerContext) {
    this.#manager = manager;
    this.#live = live;
    this.signal = live.abort.signal;
    this.requestId = origin.requestId;
    this.meta = origin.meta;
    this.era = origin.era;
    this.protocolVersion = origin.protocolVersion;
    this.session = origin.session;
    this.clientCapabilities = origin.clientCapabilities;
    this.clientInfo = origin.clientInfo;
  }

  /** The creating request has been answered, so its progressToken is spent; SEP-2663 has no progress on tasks. */
  progress(): void {}

  /** Legacy: notifications/message on the session (its log level). 2026-07-28: none (SEP-2663 has no task logs). */
  log(level: LoggingLevel, data: unknown, logger?: string): void {
    if (this.era === 'legacy') this.session.log(level, data, logger);
  }

  elicit(params: ElicitParams, options?: InputOptions): Promise<ElicitResult> {
    return this.#ask('elicit', 'elicitation/create', params, options) as Promise<ElicitResult>;
  }

  createMessage(params: CreateMessageParams, options?: InputOptions): Promise<CreateMessageResult> {
    return this.#ask('sampling', 'sampling/createMessage', params, options) as Promise<CreateMessageResult>;
  }

  listRoots(options?: InputOptions): Promise<ListRootsResult> {
    return this.#ask('roots', 'roots/list', undefined, options) as Promise<unknown> as Promise<ListRootsResult>;
  }

  get inputResponses(): Readonly<Record<string, JsonObject>> {
    return this.#answers;
  }

  /** The work runs once, in this process: its state never leaves it (no requestState round trip). */
  requestState<T = unknown>(): T | undefined {
    return this.#state as T | undefined;
  }

  setRequestState(state: unknown): void {
    this.#state = copyState(state);
  }

  /** Keys as in a request's ctx (InputOptions.key): unique within the task, the default one counting up. */
  #ask(kind: string, method: string, params: JsonObject | undefined, options: InputOptions | undefined) {
    const bad = invalidKey(method, options?.key);
    if (bad) return Promise.reject(bad);
    const key = options?.key ?? `${kind}-${this.#live.nextKey++}`;
    if (this.#used.has(key)) return Promise.reject(duplicateKey(method, key));
    this.#used.add(key);
    return this.#manager.ask(this.#live, this, key, method, params).then((answer) => {
      this.#answers[key] = answer;
      return answer;
    });
  }
}

/** Whether a request's `_meta` client capabilities list the tasks extension (2026-07-28). */
export function declaresTasks(capabilities: ClientCapabilities | undefined): boolean {
  const extensions = capabilities?.extensions;
  return isObject(extensions) && extensions[TASKS_EXTENSION] !== undefined;
}

/** -32021 naming the tasks extension (SEP-2663 §Capability Negotiation). */
export function tasksRequired(what: string): McpError {
  return new McpError(
    McpCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
    `Missing required client capability: ${what} needs the ${TASKS_EXTENSION} extension in the request's client capabilities`,
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  );
}

/** The legacy (2025-11-25) `tasks` capability this server declares. */
export const LEGACY_TASKS_CAPABILITY: JsonObject = Object.freeze({
  list: {},
  cancel: {},
  requests: { tools: { call: {} } },
}) as JsonObject;

const sessionIds = new WeakMap<ServerSession, string>();

/** The owner of a legacy session's tasks: a random id per session (never sent). */
function ownerOf(session: ServerSession): string {
  let id = sessionIds.get(session);
  if (id === undefined) {
    id = randomUUID();
    sessionIds.set(session, id);
  }
  return id;
}

export class TaskManager {
  readonly store: TaskStore;
  readonly ttlMs: number | null;
  readonly pollIntervalMs: number;
  readonly #encoder: ModernEncoder;
  readonly #onError: (error: Error) => void;
  readonly #live = new Map<string, Live>();

  constructor(options: TaskOptions, encoder: ModernEncoder, onError: (error: Error) => void) {
    const ttl = options.ttlMs === undefined ? 3_600_000 : options.ttlMs;
    if (ttl !== null && (!Number.isSafeInteger(ttl) || ttl < 1)) {
      throw new RangeError('McpServer.tasks.ttlMs must be a positive integer (ms) or null');
    }
    const poll = options.pollIntervalMs ?? 1000;
    if (!Number.isSafeInteger(poll) || poll < 1) {
      throw new RangeError('McpServer.tasks.pollIntervalMs must be a positive integer (ms)');
    }
    this.store = options.store ?? new InMemoryTaskStore({ maxTasks: options.maxTasks ?? 10_000 });
    this.ttlMs = ttl;
    this.pollIntervalMs = poll;
    this.#encoder = encoder;
    this.#onError = onError;
  }

  /** How many tasks run in this process. */
  get running(): number {
    return this.#live.size;
  }

  /**
   * Creates a task — stored before this resolves, so that tasks/get finds it as soon as the handle is sent — and
   * starts `run` with the task's ctx. `run` resolves with the request's final result or rejects: an McpError makes
   * the task `failed` with that error, anything else `failed` with -32603.
   */
  async start(
    origin: ServerContext,
    run: (ctx: ServerContext) => Promise<JsonObject>,
    options: TaskWorkOptions & { requestedTtlMs?: number },
  ): Promise<TaskRecord> {
    const now = new Date().toISOString();
    let ttlMs = options.ttlMs !== undefined ? options.ttlMs : this.ttlMs;
    // 2025-11-25: the client may ask for a shorter retention; the server's is the ceiling.
    const asked = options.requestedTtlMs;
    if (asked !== undefined && Number.isSafeInteger(asked) && asked > 0 && (ttlMs === null || asked < ttlMs)) {
      ttlMs = asked;
    }
    const record: TaskRecord = {
      taskId: randomUUID(),
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs,
      pollIntervalMs: options.pollIntervalMs ?? this.pollIntervalMs,
    };
    if (options.statusMessage !== undefined) record.statusMessage = options.statusMessage;
    if (origin.era === 'legacy') record.owner = ownerOf(origin.session);
    await this.store.create(record);

    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const live: Live = {
      record,
      abort: new AbortController(),
      waiters: new Map(),
      nextKey: 0,
      asking: 0,
      writes: Promise.resolve(),
      finished,
      finish,
      timer: undefined,
      // 2025-11-25 lets a receiver tell the requestor of each status change (a MAY; clients still poll). The 2026
      // extension's notifications/tasks needs a subscriptions/listen with taskIds, which nmcp does not offer.
      statusChanged:
        origin.era === 'legacy'
          ? (changed) => {
              origin.session.rpc.notify('notifications/tasks/status', legacyTask(changed));
            }
          : undefined,
    };
    this.#live.set(record.taskId, live);
    if (ttlMs !== null) {
      // Past its TTL the store forgets the task: stop the work too, nobody can fetch its result.
      live.timer = setTimeout(() => this.#settle(live, 'cancelled', { statusMessage: 'The task expired' }), ttlMs);
      live.timer.unref?.();
    }
    const ctx = new TaskContext(this, live, origin);
    // The work starts on a later turn: the handle is sent first, whatever the work does synchronously.
    setImmediate(() => {
      if (isTerminal(live.record.status)) return;
      let result: Promise<JsonObject>;
      try {
        result = run(ctx);
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (value) => this.#settle(live, 'completed', { result: value }),
        (err: unknown) => this.#settle(live, 'failed', { error: taskError(err), statusMessage: errorMessage(err) }),
      );
    });
    return { ...record };
  }

  /** Client input asked by a task's work (see TaskContext). */
  ask(live: Live, ctx: TaskContext, key: string, method: string, params: JsonObject | undefined): Promise<JsonObject> {
    if (live.abort.signal.aborted) return Promise.reject(live.abort.signal.reason);
    const missing = missingCapability(method, params, ctx.clientCapabilities);
    if (missing) {
      return Promise.reject(
        new McpError(
          McpCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
          `Cannot request input (${method}): the client capabilities the task was created with do not declare it`,
          { requiredCapabilities: missing },
        ),
      );
    }
    if (ctx.era === 'legacy') return this.#askSession(live, ctx, method, params);
    const request = params === undefined ? { method } : { method, params };
    return new Promise<JsonObject>((resolve, reject) => {
      live.waiters.set(key, { resolve, reject });
      this.#write(live, {
        status: 'input_required',
        inputRequests: { ...live.record.inputRequests, [key]: request },
      });
    });
  }

  /** 2025-11-25: the request goes to the client on the session; the task shows input_required meanwhile. */
  async #askSession(live: Live, ctx: TaskContext, method: string, params: JsonObject | undefined) {
    const related = { [RELATED_TASK_META]: { taskId: live.record.taskId } };
    const meta = isObject(params?._meta) ? { ...params._meta, ...related } : related;
    const sent = method === 'elicitation/create' && params !== undefined ? legacyElicitParams(params) : params;
    this.#write(live, { status: 'input_required' });
    live.asking++;
    try {
      return await ctx.session.request(method, { ...sent, _meta: meta }, { signal: live.abort.signal });
    } finally {
      if (--live.asking === 0 && live.record.status === 'input_required') this.#write(live, { status: 'working' });
    }
  }

  /** Applies a change to a running task and queues its store write (in order). */
  #write(live: Live, patch: Partial<TaskRecord>): Promise<void> {
    const record: TaskRecord = { ...live.record, ...patch, lastUpdatedAt: new Date().toISOString() };
    for (const key of Object.keys(patch) as (keyof TaskRecord)[]) if (patch[key] === undefined) delete record[key];
    const statusChanged = record.status !== live.record.status ? live.statusChanged : undefined;
    live.record = record;
    live.writes = live.writes.then(
      () => this.store.update(record),
      () => this.store.update(record),
    );
    live.writes.catch((err: unknown) => this.#onError(err instanceof Error ? err : new Error(String(err))));
    // Sent once stored, so a tasks/get prompted by the notification sees the same state.
    if (statusChanged !== undefined) live.writes.then(() => statusChanged(record)).catch(() => {});
    return live.writes;
  }

  /** Ends a running task (first outcome wins: a late result after a cancel is dropped). */
  #settle(live: Live, status: 'completed' | 'failed' | 'cancelled', patch: Partial<TaskRecord>): Promise<void> {
    if (isTerminal(live.record.status)) return live.writes;
    if (live.timer) clearTimeout(live.timer);
    this.#live.delete(live.record.taskId);
    const reason = new McpError(RpcCode.INVALID_REQUEST, `Task ${live.record.taskId} is ${status}`);
    if (!live.abort.signal.aborted && status !== 'completed') live.abort.abort(reason);
    for (const waiter of live.waiters.values()) waiter.reject(reason);
    live.waiters.clear();
    const done = this.#write(live, { ...patch, status, inputRequests: undefined });
    live.finish();
    return done;
  }

  /** The task `taskId` as `owner` may see it, or -32602. */
  async #find(taskId: string, owner: string | undefined): Promise<TaskRecord> {
    const live = this.#live.get(taskId);
    const record = live ? live.record : await this.store.get(taskId);
    if (record === undefined || record.owner !== owner) {
      throw invalidParams(`Failed to retrieve task: Task not found (${taskId})`);
    }
    return record;
  }

  // ---- 2026-07-28 (SEP-2663)

  /** tasks/get, tasks/update, tasks/cancel need the extension on the request (-32021). */
  #modernTaskId(call: Call, method: string): string {
    const meta = call.params._meta;
    const caps = isObject(meta) ? (meta[META.CLIENT_CAPABILITIES] as ClientCapabilities | undefined) : undefined;
    if (!declaresTasks(caps)) throw tasksRequired(method);
    return requireString(call.params, 'taskId', method);
  }

  /** CreateTaskResult: `Result & Task`, flat. */
  created(record: TaskRecord): JsonObject {
    return this.#encoder.taskCreated({ resultType: 'task', ...modernTask(record) });
  }

  async get(call: Call): Promise<unknown> {
    const record = await this.#find(this.#modernTaskId(call, 'tasks/get'), undefined);
    return this.#encoder.complete('tasks/get', modernTask(record));
  }

  async update(call: Call): Promise<unknown> {
    const taskId = this.#modernTaskId(call, 'tasks/update');
    const responses = call.params.inputResponses;
    if (!isObject(responses)) throw invalidParams('Invalid params: tasks/update requires "inputResponses" (an object)');
    await this.#find(taskId, undefined);
    const live = this.#live.get(taskId);
    if (live !== undefined) {
      const pending = { ...live.record.inputRequests };
      const answered: [Waiter, JsonObject][] = [];
      // Keys not outstanding (never issued, already answered) are ignored (SEP-2663).
      for (const [key, value] of Object.entries(responses)) {
        const waiter = live.waiters.get(key);
        if (waiter === undefined || !isObject(value)) continue;
        live.waiters.delete(key);
        delete pending[key];
        answered.push([waiter, value]);
      }
      if (answered.length > 0) {
        const rest = Object.keys(pending).length > 0;
        // The new state is stored before the ack, so the next tasks/get sees the answered keys gone.
        await this.#write(live, rest ? { inputRequests: pending } : { status: 'working', inputRequests: undefined });
        for (const [waiter, value] of answered) waiter.resolve(value);
      }
    }
    return this.#encoder.complete('tasks/update', {});
  }

  async cancel(call: Call): Promise<unknown> {
    const taskId = this.#modernTaskId(call, 'tasks/cancel');
    await this.#cancel(await this.#find(taskId, undefined));
    // The same empty ack for a running and a finished task: cancel is idempotent (SEP-2663).
    return this.#encoder.complete('tasks/cancel', {});
  }

  async #cancel(record: TaskRecord): Promise<TaskRecord> {
    if (isTerminal(record.status)) return record;
    const live = this.#live.get(record.taskId);
    if (live !== undefined) {
      await this.#settle(live, 'cancelled', { statusMessage: 'Cancelled by the client' });
      return live.record;
    }
    // Stored but not running here (another process, or one that restarted): the record is all there is.
    const cancelled: TaskRecord = { ...record, status: 'cancelled', lastUpdatedAt: new Date().toISOString() };
    delete cancelled.inputRequests;
    await this.store.update(cancelled);
    return cancelled;
  }

  // ---- 2025-11-25 (experimental core tasks)

  /** tasks/* exist on 2025-11-25 sessions only. */
  #legacyTaskId(call: Call, method: string): string {
    if (call.state.protocolVersion !== TASKS_LEGACY_VERSION) {
      throw new McpError(RpcCode.METHOD_NOT_FOUND, `Method not found: ${method} (tasks need protocol 2025-11-25)`);
    }
    return requireString(call.params, 'taskId', method);
  }

  /** Whether a legacy tools/call asks to run as a task (a `task` object on a 2025-11-25 session). */
  static legacyAugmented(call: Call): boolean {
    return call.state.protocolVersion === TASKS_LEGACY_VERSION && isObject(call.params.task);
  }

  /** The legacy CreateTaskResult: `{ task }`. */
  legacyCreated(record: TaskRecord): JsonObject {
    return { task: legacyTask(record) };
  }

  async legacyGet(call: Call): Promise<unknown> {
    const taskId = this.#legacyTaskId(call, 'tasks/get');
    return legacyTask(await this.#find(taskId, ownerOf(call.session)));
  }

  /** tasks/result: waits for the task to end, then answers what the request would have (its result, or its error). */
  async legacyResult(call: Call): Promise<unknown> {
    const taskId = this.#legacyTaskId(call, 'tasks/result');
    const owner = ownerOf(call.session);
    let record = await this.#find(taskId, owner);
    while (!isTerminal(record.status)) {
      const live = this.#live.get(taskId);
      if (live) await until(live.finished, call.rpc.signal);
      else await delay(record.pollIntervalMs ?? this.pollIntervalMs, call.rpc.signal);
      record = await this.#find(taskId, owner);
    }
    if (record.status === 'failed' && record.error) {
      throw new McpError(record.error.code, record.error.message, record.error.data);
    }
    if (record.status !== 'completed' || record.result === undefined) {
      throw invalidParams(`Task ${taskId} was ${record.status}: it has no result`);
    }
    const result = record.result;
    const meta = isObject(result._meta) ? result._meta : {};
    return { ...result, _meta: { ...meta, [RELATED_TASK_META]: { taskId } } };
  }

  async legacyList(call: Call): Promise<unknown> {
    if (call.state.protocolVersion !== TASKS_LEGACY_VERSION) {
      throw new McpError(RpcCode.METHOD_NOT_FOUND, 'Method not found: tasks/list (tasks need protocol 2025-11-25)');
    }
    // One page: the store is bounded, and a session's tasks are few.
    if (call.params.cursor !== undefined) throw invalidParams('Invalid params: invalid cursor');
    const tasks = await this.store.list(ownerOf(call.session));
    return { tasks: tasks.map((t) => legacyTask(this.#live.get(t.taskId)?.record ?? t)) };
  }

  async legacyCancel(call: Call): Promise<unknown> {
    const taskId = this.#legacyTaskId(call, 'tasks/cancel');
    const record = await this.#find(taskId, ownerOf(call.session));
    // 2025-11-25: cancelling a finished task is an error (-32602), unlike SEP-2663's idempotent ack.
    if (isTerminal(record.status)) {
      throw invalidParams(`Cannot cancel task: already in terminal status '${record.status}'`);
    }
    return legacyTask(await this.#cancel(record));
  }

  /** Fails every task running here (server shutdown): a stored `working` task would otherwise be polled forever. */
  async close(): Promise<void> {
    const settling = [...this.#live.values()].map((live) =>
      this.#settle(live, 'failed', {
        error: { code: RpcCode.INTERNAL_ERROR, message: 'The server closed before the task finished' },
        statusMessage: 'The server closed before the task finished',
      }),
    );
    await Promise.allSettled(settling);
  }
}

/** The 2026-07-28 wire shape (DetailedTask): status-specific payload inlined, no owner. */
function modernTask(record: TaskRecord): JsonObject {
  const out: JsonObject = {
    taskId: record.taskId,
    status: record.status,
    createdAt: record.createdAt,
    lastUpdatedAt: record.lastUpdatedAt,
    ttlMs: record.ttlMs,
  };
  if (record.statusMessage !== undefined) out.statusMessage = record.statusMessage;
  if (record.pollIntervalMs !== undefined) out.pollIntervalMs = record.pollIntervalMs;
  if (record.status === 'completed' && record.result !== undefined) out.result = record.result;
  if (record.status === 'failed' && record.error !== undefined) out.error = record.error as unknown as JsonObject;
  if (record.status === 'input_required') out.inputRequests = record.inputRequests ?? {};
  return out;
}

/** The 2025-11-25 wire shape (Task): `ttl` and `pollInterval`, results only through tasks/result. */
function legacyTask(record: TaskRecord): JsonObject {
  const out: JsonObject = {
    taskId: record.taskId,
    status: record.status,
    createdAt: record.createdAt,
    lastUpdatedAt: record.lastUpdatedAt,
    ttl: record.ttlMs,
  };
  if (record.statusMessage !== undefined) out.statusMessage = record.statusMessage;
  if (record.pollIntervalMs !== undefined) out.pollInterval = record.pollIntervalMs;
  return out;
}

/** `promise`, or the signal's reason once it aborts (tasks/result of a client that gave up). */
function until(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
