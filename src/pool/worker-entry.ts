/**
 * The worker side of WorkerPool (piscina runs this module's default export in each worker thread): loads the
 * handler's module once per worker, runs the handler with the arguments (structured-cloned by postMessage: no JSON
 * text is made) and a context whose `signal` aborts when the caller cancels (a message on the task's port) and whose
 * `progress()` posts progress back on it. The handler's result is cloned back the same way.
 */

import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';

/** What WorkerPool sends per task. */
export interface WorkerTask {
  /** The module (a file URL or path) and the export that is the handler. */
  module: string;
  export: string;
  args: unknown;
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

type Handler = (args: unknown, ctx: WorkerContext) => unknown;

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
    return await handler(task.args, ctx);
  } finally {
    port.close();
  }
}
