import { describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { JsonRpcSession } from '../../src/session/session.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';

/** A transport driven by the test: it records what is sent and can lose and regain its "connection". */
class ScriptedTransport implements Transport {
  readonly kind = 'scripted';
  sink: TransportSink | undefined;
  sent: string[] = [];
  up = true;
  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
  }
  send(message: string): boolean {
    if (!this.up) return false;
    this.sent.push(message);
    return true;
  }
  async close(reason?: Error): Promise<void> {
    this.sink?.closed(reason);
  }
  lose(reason: Error): void {
    this.up = false;
    this.sink?.interrupted?.(reason);
  }
  regain(): void {
    this.up = true;
    this.sink?.resumed?.();
  }
}

describe('JsonRpcSession over a reconnecting transport', () => {
  it('interrupted: pending requests fail at once with the reason, handlers of the peer are aborted; the session stays open', async () => {
    const transport = new ScriptedTransport();
    const session = new JsonRpcSession(transport, { outboundTimeoutMs: 0 });
    let aborted: unknown;
    session.requestHandlers.set(
      'slow',
      (_p, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            reject(ctx.signal.reason);
          });
        }),
    );
    const events: string[] = [];
    session.oninterrupted = (r) => events.push(`interrupted: ${r.message}`);
    session.onresumed = () => events.push('resumed');
    await session.start();
    transport.sink?.message('{"jsonrpc":"2.0","id":"s1","method":"slow"}');
    expect(session.inFlightCount).toBe(1);
    const pending = [session.request('a'), session.request('b')].map((p) => p.catch((e: unknown) => e));

    transport.lose(new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the connection to x was lost; reconnecting'));
    const errors = (await Promise.all(pending)) as NmcpError[];
    for (const e of errors) {
      expect(e.code).toBe(ErrorCode.CONNECTION_CLOSED);
      expect(e.message).toBe('the connection to x was lost; reconnecting');
      expect(e.details.reconnecting).toBe(true);
    }
    expect((aborted as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(session.inFlightCount).toBe(0);
    expect(session.closed).toBe(false);
    expect(events).toEqual(['interrupted: the connection to x was lost; reconnecting']);

    // While down, a request is refused at once, saying why.
    const refused = (await session.request('c').catch((e: unknown) => e)) as NmcpError;
    expect(refused.message).toBe('c: the connection to x was lost; reconnecting');
    expect(refused.details.reconnecting).toBe(true);

    // The old handler's late reply is not sent to the new peer.
    transport.regain();
    expect(events).toEqual(['interrupted: the connection to x was lost; reconnecting', 'resumed']);
    await new Promise((r) => setTimeout(r, 5));
    expect(transport.sent.some((m) => m.includes('"s1"'))).toBe(false);

    // After resumed, requests work again.
    const next = session.request('d');
    const last = JSON.parse(transport.sent.at(-1) as string) as { id: number; method: string };
    expect(last.method).toBe('d');
    transport.sink?.message(JSON.stringify({ jsonrpc: '2.0', id: last.id, result: { ok: true } }));
    expect(await next).toEqual({ ok: true });
    await session.close();
  });
});
