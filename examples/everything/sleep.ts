/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it aborts (a cancelled request, tasks/cancel):
 * node:timers/promises rejects with a generic AbortError instead, and the example tools report the real reason.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
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
