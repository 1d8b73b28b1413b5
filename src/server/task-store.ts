/**
 * Where tasks live (the tasks extension io.modelcontextprotocol/tasks of 2026-07-28, SEP-2663; the experimental tasks
 * of 2025-11-25): a TaskStore keeps each task's serializable state — status, timestamps, TTL, the inlined result or
 * error, the outstanding input requests — so that tasks/get can answer from it. What cannot be serialized (the running
 * handler, its AbortController, the promises waiting for input) stays with the TaskManager (tasks.ts) of the process
 * that runs the task; a shared store lets other processes answer tasks/get, not drive the task.
 *
 * The default, InMemoryTaskStore, is bounded: a task is dropped once its TTL has elapsed, and when the store is full
 * the oldest finished task makes room. A store full of running tasks refuses new ones (tools/call answers -32603)
 * rather than forget work a client may still be polling.
 */

import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL.has(status);
}

/** The JSON-RPC error a failed task carries (SEP-2663: `failed` is for protocol errors only). */
export interface TaskError {
  code: number;
  message: string;
  data?: unknown;
}

/** One task as stored. Wire fields use the 2026-07-28 names (ttlMs, pollIntervalMs). */
export interface TaskRecord {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  lastUpdatedAt: string;
  /** Retention from creation, ms; null = unlimited. */
  ttlMs: number | null;
  /** Suggested polling interval, ms. */
  pollIntervalMs?: number;
  /** `completed`: the request's result (e.g. a CallToolResult). */
  result?: JsonObject;
  /** `failed`: the JSON-RPC error. */
  error?: TaskError;
  /** `input_required`: the outstanding server→client requests, by key. */
  inputRequests?: { [key: string]: JsonObject };
  /**
   * Who may see the task: the id of the legacy (2025-11-25) session that created it, so that one session's
   * tasks/get and tasks/list never reach another's. Undefined for a 2026-07-28 task, whose unguessable id is the
   * credential (the extension has no session and no tasks/list).
   */
  owner?: string;
}

/** Storage of task state. Methods may be synchronous or return promises (a database, Redis, …). */
export interface TaskStore {
  /**
   * Stores a new task. Once this settles, get() must find it: CreateTaskResult is sent only after (SEP-2663's
   * durable-create rule). Throws when the task cannot be stored (a full store).
   */
  create(task: TaskRecord): void | Promise<void>;
  /** The task, or undefined when it is unknown or expired. */
  get(taskId: string): TaskRecord | undefined | Promise<TaskRecord | undefined>;
  /** Replaces a stored task (a new status, result, input requests). A task no longer stored stays absent. */
  update(task: TaskRecord): void | Promise<void>;
  /** The tasks of `owner`, oldest first (2025-11-25 tasks/list). */
  list(owner: string): TaskRecord[] | Promise<TaskRecord[]>;
}

export interface InMemoryTaskStoreOptions {
  /** Most tasks kept at once (running and finished). Default 10,000. */
  maxTasks?: number;
  /** Clock, ms since the epoch (tests). Default Date.now. */
  now?: () => number;
}

interface Entry {
  record: TaskRecord;
  /** ms since the epoch; Infinity when ttlMs is null. */
  expiresAt: number;
}

/** The default TaskStore: a Map in insertion (= creation) order, bounded, TTLs enforced on access. */
export class InMemoryTaskStore implements TaskStore {
  readonly #tasks = new Map<string, Entry>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: InMemoryTaskStoreOptions = {}) {
    const max = options.maxTasks ?? 10_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('InMemoryTaskStore: maxTasks must be ≥ 1');
    this.#max = max;
    this.#now = options.now ?? Date.now;
  }

  /** How many tasks are stored (expired ones included until they are next looked at). */
  get size(): number {
    return this.#tasks.size;
  }

  create(task: TaskRecord): void {
    if (this.#tasks.size >= this.#max) this.#makeRoom();
    const created = Date.parse(task.createdAt);
    this.#tasks.set(task.taskId, {
      record: { ...task },
      expiresAt: task.ttlMs === null ? Number.POSITIVE_INFINITY : created + task.ttlMs,
    });
  }

  get(taskId: string): TaskRecord | undefined {
    const entry = this.#live(taskId);
    return entry && { ...entry.record };
  }

  update(task: TaskRecord): void {
    const entry = this.#live(task.taskId);
    if (entry === undefined) return;
    entry.record = { ...task };
    // The TTL counts from creation, but a server may change it over the task's life (SEP-2663).
    if (task.ttlMs !== undefined) {
      entry.expiresAt =
        task.ttlMs === null ? Number.POSITIVE_INFINITY : Date.parse(entry.record.createdAt) + task.ttlMs;
    }
  }

  list(owner: string): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const [id, entry] of this.#tasks) {
      if (entry.expiresAt <= this.#now()) this.#tasks.delete(id);
      else if (entry.record.owner === owner) out.push({ ...entry.record });
    }
    return out;
  }

  #live(taskId: string): Entry | undefined {
    const entry = this.#tasks.get(taskId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#tasks.delete(taskId);
      return undefined;
    }
    return entry;
  }

  /** Drops expired tasks; if none, the oldest finished one; if every task is running, refuses. */
  #makeRoom(): void {
    const now = this.#now();
    let oldestFinished: string | undefined;
    for (const [id, entry] of this.#tasks) {
      if (entry.expiresAt <= now) this.#tasks.delete(id);
      else if (oldestFinished === undefined && isTerminal(entry.record.status)) oldestFinished = id;
    }
    if (this.#tasks.size < this.#max) return;
    if (oldestFinished !== undefined) {
      this.#tasks.delete(oldestFinished);
      return;
    }
    throw new McpError(
      RpcCode.INTERNAL_ERROR,
      `Cannot create a task: ${this.#max} tasks are running (the task store is full)`,
    );
  }
}
