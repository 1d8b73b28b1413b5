import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ErrorCode, NmcpError } from '../../../errors.js';

export type { EventSourceMessage };

export interface SseHandlers {
  /** One complete event (a `message`, a priming event with only an id, or an event of another type). */
  event(event: EventSourceMessage): void;
  /** The server's `retry:` field, ms. */
  retry(ms: number): void;
}

/**
 * Reads one SSE response body to its end, handing each event to `handlers` in order. Resolves when the server ends
 * the stream; rejects when the connection fails (or is aborted) or an event exceeds `maxEventSize` characters (the
 * parser would otherwise buffer an unterminated event without bound).
 */
export async function readSse(body: AsyncIterable<Buffer>, maxEventSize: number, handlers: SseHandlers): Promise<void> {
  let oversize: NmcpError | undefined;
  const parser = createParser({
    onEvent: (event) => handlers.event(event),
    onRetry: (ms) => handlers.retry(ms),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') {
        oversize = new NmcpError(
          ErrorCode.FRAME_TOO_LARGE,
          `an SSE event exceeds maxMessageSize (${maxEventSize} characters)`,
          { maxMessageSize: maxEventSize, fatal: true },
        );
      }
      // Unknown fields and a malformed retry are ignored, as EventSource does.
    },
    maxBufferSize: maxEventSize,
  });
  // A multi-byte character split across two chunks must not become two replacement characters.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of body) {
    parser.feed(decoder.write(chunk));
    if (oversize) throw oversize;
  }
  const rest = decoder.end();
  if (rest) parser.feed(rest);
  if (oversize) throw oversize;
}
