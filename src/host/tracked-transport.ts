/**
 * A Transport seen through: every call goes to `inner`, and `onClosed` runs once, right after the session's sink heard
 * `closed` (for any reason, from either side). McpHost wraps each connection in one to unbind it from the registry.
 */

import type { Transport, TransportSink } from '../transport/types.js';

export function trackTransport(inner: Transport, onClosed: () => void): Transport {
  let done = false;
  const fire = (): void => {
    if (done) return;
    done = true;
    onClosed();
  };
  return {
    kind: inner.kind,
    start: (sink: TransportSink) => {
      const tracked: TransportSink = {
        message: (text) => sink.message(text),
        frameError: (error) => sink.frameError(error),
        closed: (reason) => {
          try {
            sink.closed(reason);
          } finally {
            fire();
          }
        },
      };
      if (sink.interrupted) tracked.interrupted = (reason) => sink.interrupted?.(reason);
      if (sink.resumed) tracked.resumed = () => sink.resumed?.();
      return inner.start(tracked);
    },
    send: (message, relatedRequestId) => inner.send(message, relatedRequestId),
    close: (reason) => inner.close(reason),
  };
}
