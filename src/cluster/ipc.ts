/**
 * The messages between the primary of `nmcp serve --processes N` and its server processes, over node:cluster's IPC
 * channel. Every message carries `nmcp` (its kind), so that prom-client's own cluster messages (AggregatorRegistry)
 * on the same channel pass by. Questions (`ask`) are answered (`answer`) by id; an unanswered one fails after a timeout
 * instead of hanging a scrape.
 */

/** primary → process: close every session and exit 0. */
export interface StopMessage {
  nmcp: 'stop';
}

/** process → primary: the server listens (`where` as `nmcp serve` prints it). */
export interface ListeningMessage {
  nmcp: 'listening';
  where: string;
}

/** Either side: a question (`what`), answered by an AnswerMessage with the same id. */
export interface AskMessage {
  nmcp: 'ask';
  id: number;
  what: string;
}

export interface AnswerMessage {
  nmcp: 'answer';
  id: number;
  value?: unknown;
  error?: string;
}

/**
 * Either way through the primary, with a connection's socket as the message's handle: the connection goes to process
 * `to`, which reads `head` (base64: the bytes already read from it) first.
 */
export interface HandoffMessage {
  nmcp: 'handoff';
  to: number;
  head: string;
}

export type ClusterMessage = StopMessage | ListeningMessage | AskMessage | AnswerMessage | HandoffMessage;

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === 'object' && message !== null && typeof (message as { nmcp?: unknown }).nmcp === 'string';
}

/** Questions one side answers: what → its answer (JSON-cloneable). */
export type Answers = Readonly<Record<string, () => unknown | Promise<unknown>>>;

/**
 * One end of the channel: asks questions of the other end and answers its questions. `send` is process.send (in a
 * server process) or worker.send (in the primary, one Channel per process).
 */
export class Channel {
  readonly #send: (message: ClusterMessage) => void;
  readonly #answers: Answers;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  #nextId = 1;

  constructor(send: (message: ClusterMessage) => void, answers: Answers) {
    this.#send = send;
    this.#answers = answers;
  }

  /** Asks the other end; rejects after `timeoutMs` or when the channel closes. */
  ask(what: string, timeoutMs = 5_000): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.#send({ nmcp: 'ask', id, what });
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err as Error);
      }
    });
  }

  /** Handles a message from the other end: true when it was a question or an answer. */
  receive(message: ClusterMessage): boolean {
    if (message.nmcp === 'answer') {
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return true; // late, after its timeout
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error === undefined) pending.resolve(message.value);
      else pending.reject(new Error(message.error));
      return true;
    }
    if (message.nmcp !== 'ask') return false;
    const answer = this.#answers[message.what];
    const reply = (value: unknown, error?: string) => {
      try {
        this.#send(
          error === undefined ? { nmcp: 'answer', id: message.id, value } : { nmcp: 'answer', id: message.id, error },
        );
      } catch {
        // The other end is gone: nobody waits for the answer.
      }
    };
    if (answer === undefined) {
      reply(undefined, `unknown question ${JSON.stringify(message.what)}`);
      return true;
    }
    Promise.resolve()
      .then(answer)
      .then(
        (value) => reply(value),
        (err: unknown) => reply(undefined, (err as Error)?.message ?? String(err)),
      );
    return true;
  }

  /** The other end is gone: every question waiting for it fails now. */
  close(reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(reason));
      this.#pending.delete(id);
    }
  }
}
