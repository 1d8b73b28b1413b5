/**
 * Change notifications, per session. Legacy era: notifications/{tools,prompts,resources}/list_changed go to every
 * initialized session; notifications/resources/updated to the sessions that resources/subscribe'd to the URI. Modern
 * era: nothing is unsolicited — a client opens `subscriptions/listen` with a filter; the server acknowledges the
 * honored subset (notifications/subscriptions/acknowledged), then sends each matching change stamped with the listen
 * id in `_meta["io.modelcontextprotocol/subscriptionId"]`. The listen request gets no response while it is open; the
 * client ends it with notifications/cancelled; server.close() ends it with a result (docs/mcp-eras.md §3.8).
 */

import { type JsonObject, McpError, RawJson, type RequestId, RpcCode } from '../protocol/jsonrpc.js';
import type { Call } from './core.js';
import { type Listen, type ServerSession, stateOf } from './server-session.js';
import type { Implementation, ServerCapabilities, SubscriptionFilter } from './types.js';
import { invalidParams, isObject, META, requireString } from './wire.js';

export type ChangeKind = 'tools' | 'prompts' | 'resources';

const FILTER_FLAG = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
} as const;

const LIST_CHANGED = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
} as const;

function parseFilter(value: unknown): SubscriptionFilter | undefined {
  if (!isObject(value)) return undefined;
  for (const flag of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) {
    if (value[flag] !== undefined && typeof value[flag] !== 'boolean') return undefined;
  }
  const uris = value.resourceSubscriptions;
  if (uris !== undefined && !(Array.isArray(uris) && uris.every((u) => typeof u === 'string'))) return undefined;
  return value as SubscriptionFilter;
}

/** What of `requested` the server can deliver: true flags whose capability is advertised. */
function honoredSubset(requested: SubscriptionFilter, caps: ServerCapabilities): SubscriptionFilter {
  const honored: SubscriptionFilter = {};
  if (requested.toolsListChanged === true && caps.tools?.listChanged === true) honored.toolsListChanged = true;
  if (requested.promptsListChanged === true && caps.prompts?.listChanged === true) honored.promptsListChanged = true;
  if (requested.resourcesListChanged === true && caps.resources?.listChanged === true) {
    honored.resourcesListChanged = true;
  }
  const uris = requested.resourceSubscriptions;
  if (uris !== undefined && uris.length > 0 && caps.resources?.subscribe === true) {
    honored.resourceSubscriptions = [...uris];
  }
  return honored;
}

function stamped(id: RequestId, params?: JsonObject): JsonObject {
  return { ...params, _meta: { [META.SUBSCRIPTION_ID]: id } };
}

export class Subscriptions {
  constructor(
    private readonly capabilities: () => ServerCapabilities,
    private readonly serverInfo: Implementation,
    private readonly maxListens: number,
  ) {}

  /** resources/subscribe (legacy). */
  subscribe(call: Call): JsonObject {
    call.state.subscriptions.add(requireString(call.params, 'uri', 'resources/subscribe'));
    return {};
  }

  /** resources/unsubscribe (legacy). */
  unsubscribe(call: Call): JsonObject {
    call.state.subscriptions.delete(requireString(call.params, 'uri', 'resources/unsubscribe'));
    return {};
  }

  /** subscriptions/listen (modern): acknowledges, then stays open until cancelled or ended by the server. */
  listen(call: Call): Promise<unknown> {
    const requested = parseFilter(call.params.notifications);
    if (requested === undefined) {
      throw invalidParams("Invalid params: 'notifications' is required and must be a valid SubscriptionFilter");
    }
    const { state, rpc } = call;
    if (state.listens.size >= this.maxListens) throw new McpError(RpcCode.INTERNAL_ERROR, 'Subscription limit reached');
    const id = rpc.id;
    const filter = honoredSubset(requested, this.capabilities());
    call.session.notify('notifications/subscriptions/acknowledged', stamped(id, { notifications: filter }), id);
    return new Promise((resolve) => {
      const onAbort = () => {
        // Cancelled by the client, or the connection closed: the session sends nothing for this id.
        state.listens.delete(id);
        resolve(undefined);
      };
      const listen: Listen = {
        id,
        filter,
        end: () => {
          rpc.signal.removeEventListener('abort', onAbort);
          state.listens.delete(id);
          const meta = { [META.SUBSCRIPTION_ID]: id, [META.SERVER_INFO]: this.serverInfo };
          resolve(new RawJson(JSON.stringify({ resultType: 'complete', _meta: meta })));
        },
      };
      state.listens.set(id, listen);
      rpc.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** notifications/<kind>/list_changed to the sessions that should hear of it. */
  listChanged(sessions: Iterable<ServerSession>, kind: ChangeKind): void {
    const caps = this.capabilities();
    if (caps[kind]?.listChanged !== true) return;
    const method = LIST_CHANGED[kind];
    const flag = FILTER_FLAG[kind];
    for (const session of sessions) {
      const s = stateOf(session);
      if (s.phase === 'legacy') session.notify(method);
      else if (s.phase === 'modern') {
        for (const listen of s.listens.values()) {
          if (listen.filter[flag] === true) session.notify(method, stamped(listen.id), listen.id);
        }
      }
    }
  }

  /** notifications/resources/updated to the sessions subscribed to `uri` (and only those). */
  resourceUpdated(sessions: Iterable<ServerSession>, uri: string): void {
    for (const session of sessions) {
      const s = stateOf(session);
      if (s.phase === 'legacy') {
        if (s.subscriptions.has(uri)) session.notify('notifications/resources/updated', { uri });
      } else if (s.phase === 'modern') {
        for (const listen of s.listens.values()) {
          if (listen.filter.resourceSubscriptions?.includes(uri)) {
            session.notify('notifications/resources/updated', stamped(listen.id, { uri }), listen.id);
          }
        }
      }
    }
  }
}
