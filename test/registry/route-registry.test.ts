/**
 * RouteRegistry over the active core (native in `npm test`'s first pass, the twin under NMCP_NATIVE=0): options with
 * the seed's defaults and errors naming the key, coded errors for bad ids, chunk routing through a FrameDecoder, live
 * updateConfig, and lookups interleaved with table changes (no stale route, ever).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { FrameDecoder } from '../../src/framing/frame-decoder.js';
import { RouteKind } from '../../src/native/binding-types.js';
import { decodeTarget, RouteRegistry } from '../../src/registry/route-registry.js';

function registry(now = { t: 0 }, options = {}) {
  const r = new RouteRegistry({ ...options, now: () => now.t });
  r.registerServer(1);
  r.registerServer(2);
  r.registerTransport(100);
  r.bindTransport(100, 1);
  r.setRoute(1, 'tools/call', { handler: 7 });
  r.setRoute(2, 'tools/call', { upstream: 3 });
  return r;
}

describe('RouteRegistry', () => {
  it("has the seed's defaults and names a bad key (the old options stay)", () => {
    const r = new RouteRegistry();
    expect(r.options).toEqual({
      enableRouteCache: true,
      cacheTtlMs: 30_000,
      maxCacheEntries: 10_000,
      enableStatsCollection: true,
    });
    expect(() => new RouteRegistry({ cacheTtlMs: 0 })).toThrow(/registry\.cacheTtlMs must be an integer from 1/);
    const err = (() => {
      try {
        r.updateConfig({ maxCacheEntries: -1 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
    expect((err as NmcpError).message).toMatch(/registry\.maxCacheEntries/);
    expect(r.options.maxCacheEntries).toBe(10_000);
  });

  it('routes, caches and counts; bad ids are coded errors that change nothing', () => {
    const r = registry();
    expect(r.route(100, 'tools/call')).toEqual({ handler: 7 });
    expect(r.route(100, 'tools/call')).toEqual({ handler: 7 });
    expect(r.route(100, 'nope')).toBeUndefined();
    expect(r.stats()).toMatchObject({ lookups: 3, hits: 1, misses: 2, unrouted: 1, entries: 1 });
    expect(r.stats().hitRatio).toBeCloseTo(1 / 3);
    for (const bad of [() => r.registerServer(1), () => r.bindTransport(100, 9), () => r.registerTransport(-1)]) {
      expect(bad).toThrow(NmcpError);
      try {
        bad();
      } catch (e) {
        expect((e as NmcpError).code).toBe(ErrorCode.INVALID_ROUTE);
      }
    }
    expect(r.route(100, 'tools/call')).toEqual({ handler: 7 });
    expect(r.routes()).toEqual([
      { server: 1, method: 'tools/call', target: { handler: 7 }, messages: 3 },
      { server: 2, method: 'tools/call', target: { upstream: 3 }, messages: 0 },
    ]);
  });

  it('TTL: a cached route is used until cacheTtlMs, then looked up again', () => {
    const now = { t: 1000 };
    const r = registry(now, { cacheTtlMs: 50 });
    r.route(100, 'tools/call');
    now.t = 1049;
    r.route(100, 'tools/call');
    expect(r.stats()).toMatchObject({ hits: 1, expirations: 0 });
    now.t = 1050;
    r.route(100, 'tools/call');
    expect(r.stats()).toMatchObject({ hits: 1, expirations: 1, misses: 2 });
  });

  it('LRU: at maxCacheEntries the least recently used route goes; a lower cap evicts live', () => {
    const r = registry({ t: 0 }, { maxCacheEntries: 2 });
    r.setFallback(1, { handler: 0 });
    r.routeMethods(100, ['a', 'b', 'a', 'c']); // c evicts b (a was used after b)
    expect(r.stats()).toMatchObject({ evictions: 1, entries: 2 });
    r.routeMethods(100, ['a']);
    expect(r.stats().hits).toBe(2);
    r.updateConfig({ maxCacheEntries: 1 });
    expect(r.stats()).toMatchObject({ evictions: 2, entries: 1 });
  });

  it('routes every frame of a decoded chunk in one call (escaped methods too)', () => {
    const r = registry();
    r.setRoute(1, 'ping', { handler: 2 });
    const d = new FrameDecoder({ framing: 'ndjson' });
    const lines = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call"}',
      '{"jsonrpc":"2.0","id":2,"method":"p\\u0069ng"}',
      '{"jsonrpc":"2.0","id":3,"result":{}}',
      '{"jsonrpc":"2.0","method":"unknown"}',
    ];
    expect(d.push(Buffer.from(`${lines.join('\n')}\n`))).toBe(4);
    const out = r.routeFrames(100, d);
    const targets = [0, 1, 2, 3].map((i) => decodeTarget(out[2 * i] as number, out[2 * i + 1] as number));
    expect(targets).toEqual([{ handler: 7 }, { handler: 2 }, undefined, undefined]);
    expect(out[0]).toBe(RouteKind.HANDLER);
  });

  it('table changes between lookups: never a stale route (rebind, route change, unregister, re-register)', () => {
    const r = registry();
    const seen: unknown[] = [];
    const step = (change: () => void) => {
      r.route(100, 'tools/call'); // cache it
      change();
      seen.push(r.route(100, 'tools/call'));
    };
    step(() => r.bindTransport(100, 2));
    step(() => r.setRoute(2, 'tools/call', { handler: 9 }));
    step(() => r.removeRoute(2, 'tools/call'));
    step(() => r.setFallback(2, { upstream: 4 }));
    step(() => r.unregisterServer(2));
    step(() => {
      r.registerServer(2);
      r.bindTransport(100, 2);
      r.setRoute(2, 'tools/call', { handler: 5 });
    });
    step(() => r.unregisterTransport(100));
    expect(seen).toEqual([
      { upstream: 3 },
      { handler: 9 },
      undefined,
      { upstream: 4 },
      undefined,
      { handler: 5 },
      undefined,
    ]);
  });

  it('updateConfig under lookups: turning the cache off and on loses no route', () => {
    const r = registry();
    const methods = Array.from({ length: 64 }, (_, i) => (i % 2 ? 'tools/call' : 'x'));
    r.setRoute(1, 'x', { handler: 1 });
    for (let round = 0; round < 20; round++) {
      const out = r.routeMethods(100, methods);
      for (let i = 0; i < 64; i++) expect(out[2 * i + 1]).toBe(i % 2 ? 7 : 1);
      r.updateConfig({ enableRouteCache: round % 2 === 0, maxCacheEntries: 1 + (round % 3), cacheTtlMs: 1 + round });
    }
    expect(r.stats().unrouted).toBe(0);
  });
});

describe('RouteRegistry.pushFrames: decoding and routing in one call', () => {
  const lines = [
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}',
    '{"jsonrpc":"2.0","method":"ping"}',
    '{"jsonrpc":"2.0","id":2,"method":"p\\u0069ng"}',
    '{"jsonrpc":"2.0","id":3,"result":{}}',
    '{"jsonrpc":"2.0","id":4,"method":"nope"}',
  ];
  const stream = Buffer.from(`${lines.join('\n')}\n`);
  const expected = [{ handler: 7 }, { handler: 2 }, { handler: 2 }, undefined, undefined];

  it('routes every record as push decodes it, whatever the chunk boundaries (frames that span chunks too)', () => {
    for (const cut of [1, 7, 40, 70, 100, stream.length - 1]) {
      const r = registry();
      r.setRoute(1, 'ping', { handler: 2 });
      const d = new FrameDecoder({ framing: 'ndjson' });
      const got: unknown[] = [];
      for (const chunk of [stream.subarray(0, cut), stream.subarray(cut)]) {
        const n = r.pushFrames(d, chunk, 100);
        for (let i = 0; i < n; i++) got.push(decodeTarget(d.routes[2 * i] as number, d.routes[2 * i + 1] as number));
      }
      expect(got, `cut at ${cut}`).toEqual(expected);
      // The same lookups as routing afterwards would make: counted once per frame with a string method.
      expect(r.stats().lookups).toBe(4);
    }
  });

  it('grows its route array with the decoder (a chunk of more frames than the initial capacity)', () => {
    const r = registry();
    const many = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call"}\n'.repeat(3000));
    const d = new FrameDecoder({ framing: 'ndjson' });
    expect(r.pushFrames(d, many, 100)).toBe(3000);
    for (let i = 0; i < 3000; i++) expect(d.routes[2 * i + 1]).toBe(7);
  });
});
