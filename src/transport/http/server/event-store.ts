/**
 * Where SSE events are kept so that a client whose stream broke can resume it with `Last-Event-ID` (legacy era;
 * 2026-07-28 has no resumability). Writes are synchronous and in send order (the hot path never waits on a store);
 * replay may be asynchronous, so that a shared store (Redis, …) can implement the same interface later.
 */

/** One stored SSE event. */
export interface StoredEvent {
  readonly id: string;
  readonly message: string;
}

export interface EventStore {
  /** Records an event of `streamId` in `sessionId`. Event ids increase within a session (they are decimal integers). */
  append(sessionId: string, streamId: string, eventId: string, message: string): void;
  /**
   * The events of the stream `lastEventId` belongs to that came after it, oldest first; undefined when the id is
   * unknown (never issued, or already evicted).
   */
  replay(
    sessionId: string,
    lastEventId: string,
  ):
    | { streamId: string; events: StoredEvent[] }
    | undefined
    | Promise<{ streamId: string; events: StoredEvent[] } | undefined>;
  /** Forgets a session's events (DELETE, idle expiry). */
  deleteSession(sessionId: string): void;
}

interface Entry {
  readonly seq: number;
  readonly streamId: string;
  readonly message: string;
}

interface SessionEvents {
  entries: Entry[];
  /** Index of the oldest live entry (entries before it were evicted; compacted now and then). */
  head: number;
  bytes: number;
}

/**
 * The default store: per session, the newest `maxEvents` events and at most `maxBytes` of message text (UTF-16 code
 * units × 2 is not counted: the bound is on string length, a close proxy for the bytes sent). Older events are evicted,
 * so memory per session is bounded whatever the client does.
 */
export class MemoryEventStore implements EventStore {
  readonly #sessions = new Map<string, SessionEvents>();
  readonly #maxEvents: number;
  readonly #maxBytes: number;

  constructor(options: { maxEvents: number; maxBytes: number }) {
    this.#maxEvents = options.maxEvents;
    this.#maxBytes = options.maxBytes;
  }

  append(sessionId: string, streamId: string, eventId: string, message: string): void {
    if (this.#maxEvents === 0) return;
    let s = this.#sessions.get(sessionId);
    if (s === undefined) {
      s = { entries: [], head: 0, bytes: 0 };
      this.#sessions.set(sessionId, s);
    }
    s.entries.push({ seq: Number(eventId), streamId, message });
    s.bytes += message.length;
    while (s.entries.length - s.head > this.#maxEvents || (s.bytes > this.#maxBytes && s.entries.length - s.head > 1)) {
      const old = s.entries[s.head++] as Entry;
      s.bytes -= old.message.length;
    }
    if (s.head > 64 && s.head * 2 > s.entries.length) {
      s.entries = s.entries.slice(s.head);
      s.head = 0;
    }
  }

  replay(sessionId: string, lastEventId: string): { streamId: string; events: StoredEvent[] } | undefined {
    const s = this.#sessions.get(sessionId);
    const seq = Number(lastEventId);
    if (s === undefined || !Number.isSafeInteger(seq)) return undefined;
    let at = -1;
    for (let i = s.head; i < s.entries.length; i++) {
      if ((s.entries[i] as Entry).seq === seq) {
        at = i;
        break;
      }
    }
    if (at === -1) return undefined;
    const streamId = (s.entries[at] as Entry).streamId;
    const events: StoredEvent[] = [];
    for (let i = at + 1; i < s.entries.length; i++) {
      const e = s.entries[i] as Entry;
      if (e.streamId === streamId) events.push({ id: String(e.seq), message: e.message });
    }
    return { streamId, events };
  }

  deleteSession(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  /** Number of sessions holding events (for tests and metrics). */
  get sessionCount(): number {
    return this.#sessions.size;
  }
}
