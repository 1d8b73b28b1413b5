import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError, RawJson, RpcCode } from '../../src/protocol/jsonrpc.js';
import { JsonRpcSession } from '../../src/session/session.js';
import { MemoryTransport } from '../../src/transport/memory.js';

/** The raw side of a connection: sends text, records what it receives. */
class RawPeer {
  received: unknown[] = [];
  closed = false;
  #waiters: (() => void)[] = [];
  constructor(readonly transport: MemoryTransport) {}
  async start() {
    await this.transport.start({
      message: (text) => {
        this.received.push(JSON.parse(text));
        for (const w of this.#waiters.splice(0)) w();
      },
      frameError: () => {},
      closed: () => {
        this.closed = true;
      },
    });
  }
  send(value: unknown) {
    this.transport.send(typeof value === 'string' ? value : JSON.stringify(value));
  }
  async waitFor(n: number, ms = 2000): Promise<unknown[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${JSON.stringify(this.received)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 20);
      });
    }
    return this.received;
  }
}

let sessions: JsonRpcSession[] = [];
afterEach(async () => {
  for (const s of sessions) await s.close();
  sessions = [];
});

async function setup(options: ConstructorParameters<typeof JsonRpcSession>[1] = {}) {
  const [a, b] = MemoryTransport.pair();
  const session = new JsonRpcSession(a, options);
  sessions.push(session);
  const peer = new RawPeer(b);
  await peer.start();
  session.requestHandlers.set('echo', (params) => ({ echoed: params.text }));
  session.requestHandlers.set('slow', async (params, ctx) => {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, Number(params.ms ?? 200));
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(ctx.signal.reason);
      });
    });
    return { done: params.tag ?? true };
  });
  await session.start();
  return { session, peer };
}

const req = (id: unknown, method: string, params?: JsonObject) => ({ jsonrpc: '2.0', id, method, params });

describe('JsonRpcSession: malformed input gets the right error and the session goes on', () => {
  it.each([
    ['not JSON', '{"jsonrpc":"2.0", "id": 1,', { id: null, code: RpcCode.PARSE_ERROR }],
    [
      'wrong jsonrpc',
      JSON.stringify({ jsonrpc: '1.0', id: 3, method: 'echo' }),
      { id: 3, code: RpcCode.INVALID_REQUEST },
    ],
    ['missing jsonrpc', JSON.stringify({ id: 4, method: 'echo' }), { id: 4, code: RpcCode.INVALID_REQUEST }],
    ['missing method', JSON.stringify({ jsonrpc: '2.0', id: 5 }), { id: 5, code: RpcCode.INVALID_REQUEST }],
    [
      'non-string method',
      JSON.stringify({ jsonrpc: '2.0', id: 6, method: 7 }),
      { id: 6, code: RpcCode.INVALID_REQUEST },
    ],
    [
      'object id',
      JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'echo' }),
      { id: null, code: RpcCode.INVALID_REQUEST },
    ],
    [
      'null id',
      JSON.stringify({ jsonrpc: '2.0', id: null, method: 'echo' }),
      { id: null, code: RpcCode.INVALID_REQUEST },
    ],
    ['a scalar', '42', { id: null, code: RpcCode.INVALID_REQUEST }],
    ['unknown method', JSON.stringify(req(8, 'nope')), { id: 8, code: RpcCode.METHOD_NOT_FOUND }],
    [
      'array params',
      JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'echo', params: [1] }),
      { id: 9, code: RpcCode.INVALID_PARAMS },
    ],
    ['a batch when batches are off', JSON.stringify([req(10, 'echo')]), { id: null, code: RpcCode.INVALID_REQUEST }],
  ])('%s', async (_name, text, want) => {
    const { peer } = await setup();
    peer.send(text);
    peer.send(req('after', 'echo', { text: 'still alive' }));
    const [first, second] = await peer.waitFor(2);
    expect(first).toMatchObject({ jsonrpc: '2.0', id: want.id, error: { code: want.code } });
    expect(typeof (first as { error: { message: string } }).error.message).toBe('string');
    expect(second).toEqual({ jsonrpc: '2.0', id: 'after', result: { echoed: 'still alive' } });
  });

  it('a thrown error is -32603 for that request only; an McpError keeps its code and data', async () => {
    const { session, peer } = await setup();
    session.requestHandlers.set('boom', () => {
      throw new Error('kaput');
    });
    session.requestHandlers.set('reject', async () => {
      throw new McpError(RpcCode.INVALID_PARAMS, 'bad x', { field: 'x' });
    });
    peer.send(req(1, 'boom'));
    peer.send(req(2, 'reject'));
    peer.send(req(3, 'echo', { text: 'ok' }));
    const got = await peer.waitFor(3);
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Internal error: kaput' } });
    expect(got).toContainEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32602, message: 'bad x', data: { field: 'x' } },
    });
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 3, result: { echoed: 'ok' } });
  });
});

describe('JsonRpcSession: requests', () => {
  it('answers sync and async handlers, and splices RawJson results', async () => {
    const { session, peer } = await setup();
    session.requestHandlers.set('raw', () => new RawJson('{"cached":[1,2,3]}'));
    session.requestHandlers.set('nothing', () => undefined);
    peer.send(req(1, 'echo', { text: 'a' }));
    peer.send(req(2, 'slow', { ms: 5 }));
    peer.send(req(3, 'raw'));
    peer.send(req(4, 'nothing'));
    const got = await peer.waitFor(4);
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 1, result: { echoed: 'a' } });
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 2, result: { done: true } });
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 3, result: { cached: [1, 2, 3] } });
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 4, result: {} });
  });

  it('a duplicate in-flight id is an error for the duplicate only', async () => {
    const { peer } = await setup();
    peer.send(req(7, 'slow', { ms: 100, tag: 'first' }));
    peer.send(req(7, 'slow', { ms: 10, tag: 'second' }));
    const got = await peer.waitFor(2);
    expect(got[0]).toMatchObject({ id: 7, error: { code: RpcCode.INVALID_REQUEST } });
    expect((got[0] as { error: { message: string } }).error.message).toContain('already in flight');
    expect(got[1]).toEqual({ jsonrpc: '2.0', id: 7, result: { done: 'first' } });
    await sleep(50);
    expect(peer.received).toHaveLength(2);
    // Once answered, the id may be used again.
    peer.send(req(7, 'echo', { text: 'reuse' }));
    expect((await peer.waitFor(3))[2]).toEqual({ jsonrpc: '2.0', id: 7, result: { echoed: 'reuse' } });
  });

  it('distinguishes the ids 1 and "1"', async () => {
    const { peer } = await setup();
    peer.send(req(1, 'slow', { ms: 30, tag: 'number' }));
    peer.send(req('1', 'slow', { ms: 10, tag: 'string' }));
    const got = await peer.waitFor(2);
    expect(got).toContainEqual({ jsonrpc: '2.0', id: '1', result: { done: 'string' } });
    expect(got).toContainEqual({ jsonrpc: '2.0', id: 1, result: { done: 'number' } });
  });

  it('notifications/cancelled aborts the handler and no response is sent', async () => {
    const { session, peer } = await setup();
    let aborted = false;
    session.requestHandlers.set('watch', (_p, ctx) => {
      return new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ late: true });
        });
      });
    });
    peer.send(req(1, 'watch'));
    await sleep(20);
    peer.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'user' } });
    peer.send(req(2, 'echo', { text: 'next' }));
    await peer.waitFor(1);
    await sleep(50);
    expect(aborted).toBe(true);
    expect(peer.received).toEqual([{ jsonrpc: '2.0', id: 2, result: { echoed: 'next' } }]);
    expect(session.inFlightCount).toBe(0);
  });

  it('requestTimeoutMs answers -32001 and aborts the handler; the late result is dropped', async () => {
    const { peer } = await setup({ requestTimeoutMs: 30 });
    peer.send(req(1, 'slow', { ms: 1000 }));
    const [r] = await peer.waitFor(1);
    expect(r).toMatchObject({ id: 1, error: { code: RpcCode.REQUEST_TIMEOUT } });
    await sleep(50);
    expect(peer.received).toHaveLength(1);
  });

  it('ctx.progress sends notifications/progress with the request progressToken', async () => {
    const { session, peer } = await setup();
    session.requestHandlers.set('work', async (_p, ctx) => {
      ctx.progress(1, 2, 'half');
      ctx.progress(2, 2);
      return {};
    });
    peer.send(req(1, 'work', { _meta: { progressToken: 'tok' } }));
    peer.send(req(2, 'work'));
    const got = await peer.waitFor(4);
    expect(got.slice(0, 2)).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 1, total: 2, message: 'half' },
      },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 2, total: 2 } },
    ]);
    expect(got.filter((m) => (m as { method?: string }).method)).toHaveLength(2); // no token → no progress
  });
});

describe('JsonRpcSession: batches (2025-03-26 only)', () => {
  it('answers a batch with one array of responses, in any order, notifications excluded', async () => {
    const { session, peer } = await setup();
    session.batchesAllowed = true;
    peer.send([
      req(1, 'echo', { text: 'a' }),
      req(2, 'slow', { ms: 10 }),
      { jsonrpc: '2.0', method: 'n' },
      req(3, 'nope'),
    ]);
    const [batch] = await peer.waitFor(1);
    expect(Array.isArray(batch)).toBe(true);
    expect(batch).toHaveLength(3);
    expect(batch).toContainEqual({ jsonrpc: '2.0', id: 1, result: { echoed: 'a' } });
    expect(batch).toContainEqual({ jsonrpc: '2.0', id: 2, result: { done: true } });
    expect(batch).toContainEqual(expect.objectContaining({ id: 3, error: expect.objectContaining({ code: -32601 }) }));
  });

  it('a batch of notifications gets no response; an empty batch is -32600', async () => {
    const { session, peer } = await setup();
    session.batchesAllowed = true;
    peer.send([{ jsonrpc: '2.0', method: 'n' }]);
    peer.send([]);
    const [r] = await peer.waitFor(1);
    expect(r).toMatchObject({ id: null, error: { code: RpcCode.INVALID_REQUEST } });
    await sleep(30);
    expect(peer.received).toHaveLength(1);
  });
});

describe('JsonRpcSession: outbound requests', () => {
  /** A session whose peer is another JsonRpcSession. */
  async function pair(options: ConstructorParameters<typeof JsonRpcSession>[1] = {}) {
    const [a, b] = MemoryTransport.pair();
    const client = new JsonRpcSession(a, options);
    const server = new JsonRpcSession(b);
    sessions.push(client, server);
    await server.start();
    await client.start();
    return { client, server };
  }

  it('resolves with the result, rejects with the peer McpError', async () => {
    const { client, server } = await pair();
    server.requestHandlers.set('add', (p) => ({ sum: Number(p.a) + Number(p.b) }));
    server.requestHandlers.set('fail', () => {
      throw new McpError(-32002, 'no such thing', { uri: 'x' });
    });
    await expect(client.request('add', { a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
    const err = await client.request('fail').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err).toMatchObject({ code: -32002, message: 'no such thing', data: { uri: 'x' } });
  });

  it('times out with REQUEST_TIMEOUT and tells the peer with notifications/cancelled', async () => {
    const { client, server } = await pair();
    let cancelled: unknown;
    server.requestHandlers.set('hang', (_p, ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => {})));
    server.notificationHandlers.set('notifications/cancelled', (p) => {
      cancelled = p;
    });
    const err = await client.request('hang', {}, { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: RpcCode.REQUEST_TIMEOUT });
    await sleep(20);
    expect(cancelled).toMatchObject({ requestId: 0 });
    expect(server.inFlightCount).toBe(0);
  });

  it('progress resets the timeout; maxTotalTimeoutMs still bounds it', async () => {
    const { client, server } = await pair();
    server.requestHandlers.set('long', async (p, ctx) => {
      for (let i = 0; i < Number(p.steps); i++) {
        await sleep(25);
        ctx.progress(i + 1, Number(p.steps));
      }
      return { ok: true };
    });
    const seen: number[] = [];
    await expect(
      client.request('long', { steps: 8 }, { timeoutMs: 60, onProgress: (p) => seen.push(p.progress) }),
    ).resolves.toEqual({ ok: true });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const err = await client
      .request('long', { steps: 20 }, { timeoutMs: 60, maxTotalTimeoutMs: 120, onProgress: () => {} })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: RpcCode.REQUEST_TIMEOUT });
    expect((err as Error).message).toContain('maxTotalTimeout');
  });

  it('an AbortSignal cancels: the promise rejects and the peer handler is aborted', async () => {
    const { client, server } = await pair();
    let aborted = false;
    server.requestHandlers.set('hang', (_p, ctx) => {
      return new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({});
        }),
      );
    });
    const ac = new AbortController();
    const p = client.request('hang', {}, { signal: ac.signal });
    await sleep(20);
    ac.abort(new Error('user gave up'));
    await expect(p).rejects.toThrow('user gave up');
    await sleep(20);
    expect(aborted).toBe(true);
  });

  it('closing the connection fails pending requests with NMCP_ERR_CONNECTION_CLOSED', async () => {
    const { client, server } = await pair();
    server.requestHandlers.set('hang', () => new Promise(() => {}));
    const p = client.request('hang');
    await sleep(10);
    await server.close();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    await expect(client.request('x')).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});

describe('relatedRequestId (what Streamable HTTP routes on)', () => {
  it('tags a response, its progress and a request made on its behalf with the inbound request id', async () => {
    const [a, b] = MemoryTransport.pair();
    const sent: [string, unknown][] = [];
    const send = a.send.bind(a);
    a.send = (text: string, related?: unknown) => {
      sent.push([JSON.parse(text).method ?? 'response', related]);
      return send(text);
    };
    const session = new JsonRpcSession(a, {});
    session.requestHandlers.set('work', async (_params, ctx) => {
      ctx.progress(1, 2);
      session.notify('notifications/unrelated', {});
      await session.request('sampling/createMessage', {}, { relatedRequestId: ctx.id, timeoutMs: 50 }).catch(() => {});
      return {};
    });
    await session.start();
    const peer = new RawPeer(b);
    await peer.start();
    peer.send({ jsonrpc: '2.0', id: 'r1', method: 'work', params: { _meta: { progressToken: 't' } } });
    peer.send('{not json');
    await peer.waitFor(5);
    expect(sent).toEqual([
      ['notifications/progress', 'r1'],
      ['notifications/unrelated', undefined],
      ['sampling/createMessage', 'r1'],
      ['response', undefined], // the parse error: no request to relate it to
      ['notifications/cancelled', 'r1'], // the sampling request timed out
      ['response', 'r1'],
    ]);
    await session.close();
  });
});
