/**
 * The worker side of WorkerPool (piscina runs this module's default export in each worker thread): loads the
 * handler's module once per worker, runs the handler with the arguments — structured-cloned by postMessage, or parsed
 * here from the JSON text of the request they came in (no JSON text is made for the worker) — and a context whose
 * `signal` aborts when the caller cancels (a message on the task's port) and whose `progress()` posts progress back on
 * it. The handler's result is cloned back; an error it throws with a numeric `code` keeps that code (withCode).
 */

import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';

/** What WorkerPool sends per task. */
export interface WorkerTask {
  /** The module (a file URL or path) and the export that is the handler. */
  module: string;
  export: string;
  /** The arguments, structured-cloned (undefined when `json` carries them). */
  args: unknown;
  /** Or: JSON text holding them (the request's frame), parsed here, and the property path to them in it. */
  json?: string;
  path?: string[];
  /** `args` is an array of the handler's arguments before ctx (a resource read's `(uri)` or `(uri, variables)`). */
  spread?: boolean;
  meta: Record<string, unknown> | undefined;
  /** Progress goes out on it; a { type: 'cancel' } message comes in on it. */
  port: MessagePort;
}

/** What a handler running in a worker gets besides its arguments. */
export interface WorkerContext {
  /** Aborted when the request is cancelled (or times out); a handler that never yields is stopped by force instead. */
  readonly signal: AbortSignal;
  /** The request's `_meta`. */
  readonly meta: Record<string, unknown> | undefined;
  /** Sends notifications/progress for the request (a no-op when it carried no progressToken). */
  progress(progress: number, total?: number, message?: string): void;
}

type Handler = (...args: unknown[]) => unknown;

const loaded = new Map<string, Promise<Handler>>();

function load(module: string, name: string): Promise<Handler> {
  const key = `${module}#${name}`;
  let handler = loaded.get(key);
  if (handler === undefined) {
    const url = module.startsWith('file:') ? module : pathToFileURL(module).href;
    handler = import(url).then((m: Record<string, unknown>) => {
      const fn = m[name];
      if (typeof fn !== 'function') throw new Error(`${module} has no function export "${name}"`);
      return fn as Handler;
    });
    loaded.set(key, handler);
    handler.catch(() => loaded.delete(key));
  }
  return handler;
}

export default async function run(task: WorkerTask): Promise<unknown> {
  const controller = new AbortController();
  const port = task.port;
  port.on('message', (m: { type?: string; reason?: string }) => {
    if (m?.type === 'cancel') controller.abort(new Error(m.reason ?? 'cancelled'));
  });
  try {
    const handler = await load(task.module, task.export);
    const ctx: WorkerContext = {
      signal: controller.signal,
      meta: task.meta,
      progress: (progress, total, message) => port.postMessage({ type: 'progress', progress, total, message }),
    };
    let args = task.args;
    if (task.json !== undefined) {
      args = JSON.parse(task.json);
      for (const key of task.path ?? []) args = (args as Record<string, unknown>)[key];
    }
    try {
      return await (task.spread === true ? handler(...(args as unknown[]), ctx) : handler(args, ctx));
    } catch (err) {
      throw withCode(err);
    }
  } finally {
    port.close();
  }
}

/** What a handler's error with a JSON-RPC `code` crosses back as (WorkerPool makes it an McpError again). */
export interface CodedHandlerError {
  readonly [CODED]: true;
  readonly message: string;
  readonly code: number;
  readonly data?: unknown;
}

export const CODED = 'nmcp:codedHandlerError';

/**
 * A structured clone of an Error keeps its name, message and stack only: a handler's error that carries a numeric
 * `code` (an McpError, or any Error with one) crosses as a plain object instead, so that the call is answered with it.
 */
function withCode(err: unknown): unknown {
  const e = err as { code?: unknown; data?: unknown } | null;
  if (!(err instanceof Error) || typeof e?.code !== 'number') return err;
  const out: CodedHandlerError = { [CODED]: true, message: err.message, code: e.code };
  if (e.data === undefined) return out;
  try {
    return { ...out, data: structuredClone(e.data) };
  } catch {
    return out; // data that cannot be cloned (a function, …) is left out
  }
}
