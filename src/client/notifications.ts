/**
 * Routes the server's notifications to the client's handlers (`client.onNotification`), in both eras. In the modern
 * era, change notifications arrive only on a subscriptions/listen stream: the router keeps the stream's filter in
 * line with the handlers registered for list_changed (when the server advertises them) and the subscribed resource
 * URIs, and delivers change notifications of the current stream only (ListenManager).
 */

import type { JsonObject } from '../protocol/jsonrpc.js';
import type { JsonRpcSession } from '../session/session.js';
import { ACKNOWLEDGED_NOTIFICATION, type ListenManager, type SubscriptionFilter } from './listen.js';
import type { ClientNotificationHandler } from './types.js';

const LIST_CHANGED = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
} as const;
const CAPABILITY_OF = { toolsListChanged: 'tools', promptsListChanged: 'prompts', resourcesListChanged: 'resources' };
const RESOURCE_UPDATED = 'notifications/resources/updated';

function isChangeNotification(method: string): boolean {
  return Object.hasOwn(LIST_CHANGED, method) || method === RESOURCE_UPDATED;
}

export class NotificationRouter {
  readonly #handlers = new Map<string, Set<ClientNotificationHandler>>();
  readonly #subscribed = new Set<string>();
  readonly #onError: (error: Error) => void;
  #session: JsonRpcSession | undefined;
  #listen: ListenManager | undefined;
  #serverCapabilities: JsonObject = {};

  constructor(onError: (error: Error) => void) {
    this.#onError = onError;
  }

  /** Routes the session's notifications for every method that has a handler. */
  attach(session: JsonRpcSession): void {
    this.#session = session;
    for (const method of this.#handlers.keys()) this.#route(method);
  }

  /** Modern era: change notifications come through `listen`; opens the stream if handlers already want one. */
  useListen(listen: ListenManager, serverCapabilities: JsonObject): Promise<void> {
    this.#listen = listen;
    this.#serverCapabilities = serverCapabilities;
    this.#session?.notificationHandlers.set(ACKNOWLEDGED_NOTIFICATION, (p) => listen.onAcknowledged(p));
    return this.#refresh();
  }

  on(method: string, handler: ClientNotificationHandler): () => void {
    let set = this.#handlers.get(method);
    if (!set) {
      set = new Set();
      this.#handlers.set(method, set);
      this.#route(method);
      this.#interestChanged(method);
    }
    set.add(handler);
    return () => {
      const current = this.#handlers.get(method);
      if (!current?.delete(handler) || current.size > 0) return;
      this.#handlers.delete(method);
      this.#session?.notificationHandlers.delete(method);
      this.#interestChanged(method);
    };
  }

  /** Modern era: adds / removes a URI of the listen filter; resolves once the server acknowledged the new filter. */
  subscribe(uri: string): Promise<void> {
    this.#subscribed.add(uri);
    return this.#refresh();
  }
  unsubscribe(uri: string): Promise<void> {
    this.#subscribed.delete(uri);
    return this.#refresh();
  }

  close(): void {
    this.#listen?.close();
  }

  #route(method: string): void {
    this.#session?.notificationHandlers.set(method, (params) => this.#dispatch(method, params));
  }

  #dispatch(method: string, params: JsonObject): void {
    if (this.#listen && isChangeNotification(method) && !this.#listen.accepts(params)) return;
    for (const handler of [...(this.#handlers.get(method) ?? [])]) {
      try {
        handler(params);
      } catch (err) {
        this.#onError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  #interestChanged(method: string): void {
    if (this.#listen && isChangeNotification(method)) this.#refresh().catch((e: Error) => this.#onError(e));
  }

  #refresh(): Promise<void> {
    if (!this.#listen) return Promise.resolve();
    const filter: SubscriptionFilter = {};
    for (const [method, key] of Object.entries(LIST_CHANGED)) {
      const cap = this.#serverCapabilities[CAPABILITY_OF[key]] as { listChanged?: unknown } | undefined;
      if (this.#handlers.has(method) && cap?.listChanged) filter[key] = true;
    }
    if (this.#subscribed.size > 0) filter.resourceSubscriptions = [...this.#subscribed];
    return this.#listen.update(filter);
  }
}
