/**
 * Raw bytes on the stdin of `nmcp serve --stdio --example everything`: every malformed message gets the JSON-RPC
 * error the spec names, and the session goes on (checked by a ping after each case).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, RawPeer } from './helpers.js';

const errorOf = (m: Json) => m.error as { code: number; message: string; data?: unknown };

describe('malformed input to nmcp serve --stdio (raw NDJSON)', () => {
  let peer: RawPeer;
  let n = 0;
  const alive = async () => {
    const id = `alive-${++n}`;
    const r = await peer.request(id, 'ping');
    expect(r.result).toEqual({});
  };

  beforeAll(async () => {
    peer = new RawPeer();
    const init = await peer.initialize();
    expect(init.result).toBeDefined();
  });

  afterAll(async () => {
    expect(peer.garbage).toEqual([]);
    expect(await peer.close()).toBe(0);
  });

  it('bad JSON → -32700 with id null, and the session lives', async () => {
    const before = peer.received.length;
    peer.write('{"jsonrpc":"2.0","id":1,"method":\n');
    const m = await peer.waitFor((x) => peer.received.indexOf(x) >= before && x.id === null);
    expect(errorOf(m).code).toBe(-32700);
    await alive();
  });

  it('a line that is not an object → -32600', async () => {
    peer.write('42\n');
    const m = await peer.waitFor((x) => x.id === null && errorOf(x)?.code === -32600);
    expect(errorOf(m).code).toBe(-32600);
    await alive();
  });

  it('wrong jsonrpc version → -32600 with the id', async () => {
    peer.send({ jsonrpc: '1.0', id: 'wrong-version', method: 'ping' });
    const r = await peer.response('wrong-version');
    expect(errorOf(r).code).toBe(-32600);
    await alive();
  });

  it('missing method → -32600', async () => {
    peer.send({ jsonrpc: '2.0', id: 'no-method', params: {} });
    const r = await peer.response('no-method');
    expect(errorOf(r).code).toBe(-32600);
    await alive();
  });

  it('a method that is not a string → -32600', async () => {
    peer.send({ jsonrpc: '2.0', id: 'num-method', method: 7 });
    const r = await peer.response('num-method');
    expect(errorOf(r).code).toBe(-32600);
    await alive();
  });

  it('bad id type (object, boolean, null) → -32600 with id null', async () => {
    for (const id of [{ a: 1 }, true, null]) {
      const before = peer.received.length;
      peer.send({ jsonrpc: '2.0', id, method: 'ping' });
      const m = await peer.waitFor((x) => peer.received.indexOf(x) >= before && x.id === null && x.error !== undefined);
      expect(errorOf(m).code).toBe(-32600);
    }
    await alive();
  });

  it('unknown method → -32601', async () => {
    const r = await peer.request('unknown', 'no/such/method');
    expect(errorOf(r).code).toBe(-32601);
    await alive();
  });

  it('params that are not an object → -32602', async () => {
    peer.send({ jsonrpc: '2.0', id: 'array-params', method: 'tools/list', params: [1, 2] });
    const r = await peer.response('array-params');
    expect(errorOf(r).code).toBe(-32602);
    await alive();
  });

  it('a duplicate in-flight id → an error for the duplicate only; the first request completes', async () => {
    peer.send({ jsonrpc: '2.0', id: 'dup', method: 'tools/call', params: { name: 'slow', arguments: { ms: 300 } } });
    peer.send({ jsonrpc: '2.0', id: 'dup', method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } });
    const first = await peer.waitFor((x) => x.id === 'dup');
    expect(errorOf(first).code).toBe(-32600);
    expect(errorOf(first).message).toMatch(/duplicate|in flight/i);
    const second = await peer.waitFor((x) => x.id === 'dup' && x.result !== undefined, 5000);
    expect((second.result as { content: { text: string }[] }).content[0]?.text).toMatch(/^waited \d+ ms$/);
    expect(peer.received.filter((x) => x.id === 'dup')).toHaveLength(2);
    await alive();
  });

  it('an empty line and CRLF line endings are tolerated', async () => {
    peer.write('\n');
    peer.write('{"jsonrpc":"2.0","id":"crlf","method":"ping"}\r\n');
    const r = await peer.response('crlf');
    expect(r.result).toEqual({});
  });

  it('wire order: every progress notification precedes its response', async () => {
    peer.send({
      jsonrpc: '2.0',
      id: 'prog',
      method: 'tools/call',
      params: { name: 'long_running_operation', arguments: { steps: 3, delayMs: 1 }, _meta: { progressToken: 'p1' } },
    });
    const response = await peer.response('prog');
    const at = peer.received.indexOf(response);
    const progress = peer.received
      .slice(0, at)
      .filter((m) => m.method === 'notifications/progress' && (m.params as Json).progressToken === 'p1')
      .map((m) => (m.params as Json).progress);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('the wire codes of misses: unknown resource -32002 (legacy era, with data.uri), unknown tool -32602', async () => {
    const r = await peer.request('miss', 'resources/read', { uri: 'test://nope' });
    expect(errorOf(r)).toMatchObject({ code: -32002, data: { uri: 'test://nope' } });
    const t = await peer.request('miss-tool', 'tools/call', { name: 'nope', arguments: {} });
    expect(errorOf(t).code).toBe(-32602);
  });

  it('notifications/cancelled aborts the handler (ctx.signal) and no response is sent', async () => {
    peer.send({
      jsonrpc: '2.0',
      id: 'to-cancel',
      method: 'tools/call',
      params: { name: 'slow', arguments: { ms: 20_000 } },
    });
    await new Promise((r) => setTimeout(r, 50));
    peer.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'to-cancel', reason: 'test' },
    });
    const log = await peer.waitFor(
      (m) => m.method === 'notifications/message' && ((m.params as Json).data as Json)?.requestId === 'to-cancel',
    );
    expect(log.params).toMatchObject({ level: 'debug', logger: 'slow', data: { tool: 'slow' } });
    await alive();
    expect(peer.received.some((m) => m.id === 'to-cancel')).toBe(false);
  });

  it('a batch outside 2025-03-26 → -32600', async () => {
    const before = peer.received.length;
    peer.write('[{"jsonrpc":"2.0","id":"b1","method":"ping"}]\n');
    const m = await peer.waitFor((x) => peer.received.indexOf(x) >= before && x.id === null && x.error !== undefined);
    expect(errorOf(m).code).toBe(-32600);
    await alive();
  });
});

describe('nmcp serve --stdio --max-message-size 1024', () => {
  let peer: RawPeer;

  beforeAll(async () => {
    peer = new RawPeer(['--max-message-size', '1024']);
    await peer.initialize();
  });

  afterAll(async () => {
    expect(await peer.close()).toBe(0);
  });

  it('an oversize line → an error with id null, and the session lives', async () => {
    const before = peer.received.length;
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 'big',
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x'.repeat(4000) } },
    });
    peer.write(`${big}\n`);
    const m = await peer.waitFor((x) => peer.received.indexOf(x) >= before && x.error !== undefined);
    expect(m.id).toBeNull();
    expect(errorOf(m).code).toBe(-32600);
    expect(peer.received.some((x) => x.id === 'big' && x.result !== undefined)).toBe(false);
    const r = await peer.request('after-big', 'tools/call', { name: 'echo', arguments: { text: 'small' } });
    expect(r.result).toEqual({ content: [{ type: 'text', text: 'small' }] });
  });

  it('an oversize line split across many writes is skipped as a whole', async () => {
    const before = peer.received.length;
    for (let i = 0; i < 8; i++) peer.write('y'.repeat(500));
    peer.write('\n{"jsonrpc":"2.0","id":"after-split","method":"ping"}\n');
    const r = await peer.response('after-split');
    expect(r.result).toEqual({});
    const errors = peer.received.slice(before).filter((x) => x.error !== undefined);
    expect(errors).toHaveLength(1);
  });
});
