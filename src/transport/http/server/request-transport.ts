/**
 * The modern era's Transport (2026-07-28, stateless): one per POST, under its own McpServer session that lives as long
 * as the request. Everything the session sends belongs to that one request (its reply, progress, logs, a
 * subscriptions/listen stream's notifications), so it all goes to the POST's answer; the reply ends it.
 *
 * Why a session per request rather than one shared session: request ids are the client's and collide between
 * clients, and a session's state (the envelope's capabilities and client info, open listens) must never be visible
 * to another client. McpServer.connect is a few object allocations (no I/O, no schema work: registries are shared),
 * measured in docs/http.md.
 */

import type { RequestId } from '../../../protocol/jsonrpc.js';
import type { Transport, TransportSink } from '../../types.js';
import type { Exchange } from './exchange.js';
import { isResponse, isResponseTo } from './outbound.js';

export class RequestTransport implements Transport {
  readonly kind = 'http';
  readonly requestId: RequestId;
  #exchange: Exchange | undefined;
  #sink: TransportSink | undefined;
  #closed = false;
  /** Called once the reply went out (the owner then closes the session). */
  onReplied: (() => void) | undefined;

  constructor(requestId: RequestId) {
    this.requestId = requestId;
  }

  bind(exchange: Exchange): void {
    this.#exchange = exchange;
  }

  async start(sink: TransportSink): Promise<void> {
    this.#sink = sink;
  }

  dispatch(text: string): void {
    this.#sink?.message(text);
  }

  send(message: string, relatedRequestId?: RequestId): boolean {
    const exchange = this.#exchange;
    if (this.#closed || exchange === undefined) return false;
    const final = relatedRequestId === undefined ? isResponse(message) : isResponseTo(message, relatedRequestId);
    const ok = exchange.deliver(message, final);
    if (final) this.onReplied?.();
    // A JSON-only client cannot take a notification before its reply: it is dropped, not refused (refusing would fail
    // nothing useful: the modern era has no server→client requests).
    return ok || !final;
  }

  async close(reason?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Closed before its reply (McpHttpHandler.close, McpHost.removeServer): answer the POST rather than leave it
    // hanging. A no-op once the reply went out.
    this.#exchange?.abort(
      503,
      JSON.stringify({
        jsonrpc: '2.0',
        id: this.requestId,
        error: {
          code: -32000,
          message: `Service Unavailable: the request's session was closed${reason ? ` (${reason.message})` : ''}`,
        },
      }),
    );
    this.#sink?.closed(reason);
  }
}
