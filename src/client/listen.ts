/**
 * The modern era's change notifications (protocol 2026-07-28): a server sends list_changed and resources/updated
 * only on a `subscriptions/listen` stream — a request that is never answered while the subscription lives; the
 * server first sends `notifications/subscriptions/acknowledged` (with the honoured filter), then the notifications,
 * each stamped with `_meta["io.modelcontextprotocol/subscriptionId"]` = the listen request's id. The client ends it
 * with notifications/cancelled for that id.
 *
 * The client keeps at most one subscription whose filter is what it wants right now (list_changed types that have a
 * handler and that the server advertises, plus the subscribed resource URIs). A change of filter opens the new
 * subscription first, waits for its acknowledgement, then cancels the old one, and only the current subscription's
 * notifications are delivered, so nothing is lost or seen twice across the switch.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { isRequestId, type JsonObject, type RequestId } from '../protocol/jsonrpc.js';
import type { JsonRpcSession } from '../session/session.js';
import { META } from './negotiation.js';

export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

interface Subscription {
  abort: AbortController;
  /** The listen request's id, from the acknowledgement's subscriptionId (set on acknowledgement). */
  id: RequestId | undefined;
  filter: SubscriptionFilter;
}

const ACK = 'notifications/subscriptions/acknowledged';

export class ListenManager {
  readonly #session: JsonRpcSession;
  readonly #envelope: () => JsonObject;
  readonly #ackTimeoutMs: number;
  readonly #onError: (error: Error) => void;
  #current: Subscription | undefined;
  /** Updates run one at a time (an acknowledgement is matched to the one listen request waiting for it). */
  #queue: Promise<void> = Promise.resolve();
  #waitingAck: ((params: JsonObject) => void) | undefined;

  constructor(
    session: JsonRpcSession,
    envelope: () => JsonObject,
    ackTimeoutMs: number,
    onError: (error: Error) => void,
  ) {
    this.#session = session;
    this.#envelope = envelope;
    this.#ackTimeoutMs = ackTimeoutMs;
    this.#onError = onError;
  }

  /** The acknowledgement notification (routed here by the client). */
  onAcknowledged(params: JsonObject): void {
    const waiting = this.#waitingAck;
    this.#waitingAck = undefined;
    waiting?.(params);
  }

  /** Whether a change notification belongs to the current subscription (or to none: then it is not a listen one). */
  accepts(params: JsonObject): boolean {
    const meta = params._meta as JsonObject | undefined;
    const id = meta?.[META.SUBSCRIPTION_ID];
    if (id === undefined) return true;
    return this.#current !== undefined && this.#current.id === id;
  }

  /** Makes the subscription match `filter` (an empty filter closes it); resolves once the server acknowledged. */
  update(filter: SubscriptionFilter): Promise<void> {
    const run = this.#queue.then(() => this.#apply(filter));
    this.#queue = run.catch(() => {});
    return run;
  }

  close(): void {
    this.#current?.abort.abort(new Error('subscription closed'));
    this.#current = undefined;
  }

  async #apply(filter: SubscriptionFilter): Promise<void> {
    const previous = this.#current;
    if (previous && sameFilter(previous.filter, filter)) return;
    if (isEmpty(filter)) {
      this.close();
      return;
    }
    const sub: Subscription = { abort: new AbortController(), id: undefined, filter };
    const acknowledged = new Promise<JsonObject>((resolve, reject) => {
      const timer =
        this.#ackTimeoutMs > 0
          ? setTimeout(() => {
              this.#waitingAck = undefined;
              reject(
                new NmcpError(
                  ErrorCode.CONNECTION_CLOSED,
                  `subscriptions/listen: no acknowledgement within ${this.#ackTimeoutMs} ms`,
                ),
              );
            }, this.#ackTimeoutMs)
          : undefined;
      this.#waitingAck = (params) => {
        if (timer) clearTimeout(timer);
        // Switch synchronously: a notification right behind the acknowledgement must already be accepted.
        const id = (params._meta as JsonObject | undefined)?.[META.SUBSCRIPTION_ID];
        sub.id = isRequestId(id) ? id : undefined;
        this.#current = sub;
        previous?.abort.abort(new Error('subscription replaced'));
        resolve(params);
      };
      // The listen request stays pending for the subscription's life: no timeout; aborting it sends
      // notifications/cancelled. It settles early only on the server's graceful end or an error.
      this.#session
        .request(
          'subscriptions/listen',
          { _meta: this.#envelope(), notifications: { ...filter } },
          {
            timeoutMs: 0,
            signal: sub.abort.signal,
          },
        )
        .then(
          () => {
            if (this.#current === sub) this.#current = undefined;
          },
          (err: unknown) => {
            if (this.#current === sub) this.#current = undefined;
            if (this.#waitingAck) {
              this.#waitingAck = undefined;
              if (timer) clearTimeout(timer);
              reject(err);
            } else if (!sub.abort.signal.aborted && !this.#session.closed) {
              this.#onError(err instanceof Error ? err : new Error(String(err)));
            }
          },
        );
    });
    try {
      await acknowledged;
    } catch (err) {
      sub.abort.abort(err);
      throw err;
    }
  }
}

function isEmpty(f: SubscriptionFilter): boolean {
  return (
    !f.toolsListChanged &&
    !f.promptsListChanged &&
    !f.resourcesListChanged &&
    (f.resourceSubscriptions === undefined || f.resourceSubscriptions.length === 0)
  );
}

function sameFilter(a: SubscriptionFilter, b: SubscriptionFilter): boolean {
  const uris = (f: SubscriptionFilter) => [...(f.resourceSubscriptions ?? [])].sort().join('\n');
  return (
    !!a.toolsListChanged === !!b.toolsListChanged &&
    !!a.promptsListChanged === !!b.promptsListChanged &&
    !!a.resourcesListChanged === !!b.resourcesListChanged &&
    uris(a) === uris(b)
  );
}

export { ACK as ACKNOWLEDGED_NOTIFICATION };
