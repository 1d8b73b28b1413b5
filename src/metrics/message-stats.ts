/**
 * The hot-path half of the metrics: a SessionObserver that only increments plain numbers (no prom-client call, no
 * label object, no string built per message). NmcpMetrics keeps one per transport kind and publishes it on scrape.
 *
 * Label cardinality is bounded: a method outside MCP's own list is counted as `other` (a peer cannot grow the label
 * set by inventing methods), and at most MAX_ERROR_CODES distinct error codes are kept apart (others: `other`).
 */
import { performance } from 'node:perf_hooks';
import type { MessageKindCode, SessionObserver } from '../session/session.js';

/** The seed's duration buckets, seconds. */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1]);

/** MCP's methods (both eras): each is its own label value; anything else is `other`. */
export const MCP_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'subscriptions/listen',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/cancel',
  'tasks/update',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/roots/list_changed',
  'notifications/subscriptions/acknowledged',
  'notifications/elicitation/complete',
  'notifications/tasks/status',
]);

export const OTHER = 'other';
const MAX_ERROR_CODES = 32;

/** Counts of one method: messages by direction and kind, and the duration histogram of its replies. */
export class MethodCounts {
  /** Received, by MessageKind (request, notification, response, error). */
  readonly in = [0, 0, 0, 0];
  /** Sent, by MessageKind. */
  readonly out = [0, 0, 0, 0];
  /** Replies by duration bucket (not cumulative; the last slot is +Inf). */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  durationSum = 0;
  durationCount = 0;
}

export class MessageStats implements SessionObserver {
  readonly #methods = new Map<string, MethodCounts>();
  readonly #other = new MethodCounts();
  readonly #errors = new Map<number | typeof OTHER, number>();

  /** Methods seen, with their counts (`other` last). */
  methods(): [string, MethodCounts][] {
    return [...this.#methods, [OTHER, this.#other]];
  }

  /** Error replies by JSON-RPC code. */
  errors(): [number | typeof OTHER, number][] {
    return [...this.#errors];
  }

  received(kind: MessageKindCode, method: string | undefined): void {
    (this.#counts(method).in[kind] as number)++;
  }

  sent(kind: MessageKindCode, method: string): void {
    (this.#counts(method).out[kind] as number)++;
  }

  replied(method: string, startedAt: number, code: number): void {
    const c = this.#counts(method);
    const seconds = (performance.now() - startedAt) / 1000;
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[b] as number)) b++;
    (c.buckets[b] as number)++;
    c.durationSum += seconds;
    c.durationCount++;
    if (code === 0) {
      (c.out[2] as number)++;
    } else {
      (c.out[3] as number)++;
      this.#error(code);
    }
  }

  rejected(code: number): void {
    (this.#other.out[3] as number)++;
    this.#error(code);
  }

  #counts(method: string | undefined): MethodCounts {
    if (method === undefined) return this.#other;
    const c = this.#methods.get(method);
    if (c !== undefined) return c;
    if (!MCP_METHODS.has(method)) return this.#other;
    const added = new MethodCounts();
    this.#methods.set(method, added);
    return added;
  }

  #error(code: number): void {
    const key = this.#errors.has(code) || this.#errors.size < MAX_ERROR_CODES ? code : OTHER;
    this.#errors.set(key, (this.#errors.get(key) ?? 0) + 1);
  }
}
