/**
 * The router (docs/core-api.md §Router) of both cores: the same unit checks against the native addon and the twin,
 * and raw equality of the two on random operation sequences (every return value, thrown message, `out` array, stats
 * and route snapshot). The native half is skipped when the addon is not built (or under NMCP_NATIVE=0).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BindingRouter, type CoreBinding, Framing, RouteKind } from '../../src/native/binding-types.js';
import { loadNativeBinding, twinBinding } from '../../src/native/index.js';

const native = process.env.NMCP_NATIVE === '0' ? undefined : loadNativeBinding();
const cores: [string, CoreBinding | undefined][] = [
  ['twin', twinBinding],
  ['native', native],
];

function methodsOf(list: readonly string[]): { bytes: Buffer; ends: Uint32Array } {
  const parts = list.map((m) => Buffer.from(m, 'utf8'));
  const ends = new Uint32Array(parts.length);
  let n = 0;
  parts.forEach((p, i) => {
    n += p.length;
    ends[i] = n;
  });
  return { bytes: Buffer.concat(parts), ends };
}

function route(r: BindingRouter, transport: number, list: readonly string[], now: number): number[] {
  const { bytes, ends } = methodsOf(list);
  const out = new Uint32Array(2 * list.length);
  r.routeMethods(transport, bytes, ends, list.length, now, out);
  return [...out];
}

function stats(r: BindingRouter) {
  const out = new Float64Array(8);
  r.stats(out);
  const [lookups, hits, misses, unrouted, evictions, expirations, invalidations, entries] = out;
  return { lookups, hits, misses, unrouted, evictions, expirations, invalidations, entries };
}

for (const [name, core] of cores) {
  describe.skipIf(core === undefined)(`router (${name})`, () => {
    const make = (cache = true, ttl = 30_000, max = 10_000, collect = true) =>
      (core as CoreBinding).createRouter(cache, ttl, max, collect);
    const basic = () => {
      const r = make();
      r.registerServer(1);
      r.registerTransport(10);
      r.bindTransport(10, 1);
      r.setRoute(1, 'tools/call', RouteKind.HANDLER, 7);
      return r;
    };

    it('routes through the binding, caches, and counts per route', () => {
      const r = basic();
      expect(route(r, 10, ['tools/call', 'ping', 'tools/call'], 0)).toEqual([1, 7, 0, 0, 1, 7]);
      expect(stats(r)).toMatchObject({ lookups: 3, hits: 1, misses: 2, unrouted: 1, entries: 1 });
      expect(JSON.parse(r.routesJson())).toEqual([{ server: 1, method: 'tools/call', kind: 1, value: 7, messages: 2 }]);
    });

    it('a table change is seen by the very next lookup (no stale route after unregister)', () => {
      const r = basic();
      route(r, 10, ['tools/call'], 0);
      r.setRoute(1, 'tools/call', RouteKind.UPSTREAM, 3);
      expect(route(r, 10, ['tools/call'], 1)).toEqual([2, 3]);
      r.unregisterServer(1);
      expect(route(r, 10, ['tools/call'], 2)).toEqual([0, 0]);
      expect(stats(r).invalidations).toBe(2);
    });

    it('TTL expiry and LRU eviction at the cap', () => {
      const r = make(true, 10, 2);
      r.registerServer(1);
      r.registerTransport(1);
      r.bindTransport(1, 1);
      r.setFallback(1, RouteKind.HANDLER, 0);
      route(r, 1, ['a', 'b'], 0);
      route(r, 1, ['a'], 5); // a is the most recent: c evicts b
      route(r, 1, ['c'], 5);
      expect(stats(r)).toMatchObject({ evictions: 1, entries: 2 });
      route(r, 1, ['a'], 15); // expired
      expect(stats(r).expirations).toBe(1);
      expect(r.sweep(100)).toBe(2);
      expect(stats(r).entries).toBe(0);
    });

    it('updateConfig applies live or throws naming the key, keeping the old config', () => {
      const r = basic();
      expect(() => r.updateConfig(undefined, 0)).toThrow(/cacheTtlMs/);
      expect(() => r.updateConfig(undefined, undefined, 1.5)).toThrow(/maxCacheEntries/);
      expect(() => make(true, 30_000, 0)).toThrow(/maxCacheEntries/);
      r.setFallback(1, RouteKind.HANDLER, 0);
      route(r, 10, ['a', 'b', 'c'], 0);
      r.updateConfig(undefined, undefined, 1);
      expect(stats(r)).toMatchObject({ evictions: 2, entries: 1 });
      r.updateConfig(false);
      expect(stats(r).entries).toBe(0);
      expect(route(r, 10, ['a'], 1)).toEqual([1, 0]);
      expect(stats(r).entries).toBe(0);
    });

    it('bad ids and kinds throw with the id and change nothing', () => {
      const r = basic();
      expect(() => r.registerServer(1)).toThrow('server 1 is already registered');
      expect(() => r.bindTransport(10, 9)).toThrow('server 9 is not registered');
      expect(() => r.setRoute(1, 'x', 5, 0)).toThrow(/route kind/);
      expect(route(r, 10, ['tools/call'], 0)).toEqual([1, 7]);
    });

    it('routes the records of a decoded chunk in one call, escaped and assembled methods included', () => {
      const r = basic();
      r.setRoute(1, 'ping', RouteKind.HANDLER, 2);
      const decoder = (core as CoreBinding).createDecoder(Framing.NDJSON, 1 << 20);
      const records = new Int32Array(8 * 9);
      const first = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/ca');
      expect(decoder.push(first, 0, records, 0)).toBe(0);
      const lines = [
        'll"}', // completes the frame begun above: assembled
        '{"jsonrpc":"2.0","method":"ping"}',
        '{"jsonrpc":"2.0","id":2,"method":"nope"}',
        '{"jsonrpc":"2.0","id":3,"result":{}}',
        '{"jsonrpc":"2.0","id":4,"method":"p\\u0069ng"}',
        'not json',
      ];
      const chunk = Buffer.from(`${lines.join('\n')}\n`);
      const n = decoder.push(chunk, 0, records, 0);
      expect(n).toBe(6);
      const assembled = new Uint8Array(records[10] as number);
      decoder.takeAssembled(assembled);
      const out = new Uint32Array(2 * n);
      expect(r.routeRecords(10, chunk, assembled, records, 0, n, 0, out)).toBe(2);
      expect([...out]).toEqual([1, 7, 1, 2, 0, 0, 0, 0, RouteKind.ESCAPED, 0, 0, 0]);
    });
  });
}

type Op =
  | ['registerServer' | 'unregisterServer' | 'registerTransport' | 'unregisterTransport', number]
  | ['bindTransport', number, number]
  | ['setRoute', number, string, number, number]
  | ['removeRoute', number, string]
  | ['setFallback', number, number, number]
  | ['route', number, string[], number]
  | ['updateConfig', boolean | undefined, number | undefined, number | undefined, boolean | undefined]
  | ['sweep', number];

const id = fc.integer({ min: 0, max: 3 });
const method = fc.constantFrom('tools/call', 'ping', 'resources/read', 'é/ü', 'a', '');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(
    fc.constantFrom('registerServer', 'unregisterServer', 'registerTransport', 'unregisterTransport'),
    id,
  ) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('bindTransport'), id, fc.integer({ min: -1, max: 3 })) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('setRoute'), id, method, fc.integer({ min: 0, max: 3 }), fc.nat(9)) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('removeRoute'), id, method) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('setFallback'), id, fc.integer({ min: 0, max: 2 }), fc.nat(9)) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('route'), id, fc.array(method, { maxLength: 5 }), fc.nat(6)) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('route'), id, fc.array(method, { maxLength: 5 }), fc.nat(6)) as fc.Arbitrary<Op>,
  fc.tuple(
    fc.constant('updateConfig'),
    fc.option(fc.boolean(), { nil: undefined }),
    fc.option(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(2.5)), { nil: undefined }),
    fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
    fc.option(fc.boolean(), { nil: undefined }),
  ) as fc.Arbitrary<Op>,
  fc.tuple(fc.constant('sweep'), fc.nat(8)) as fc.Arbitrary<Op>,
);

/** Everything observable from running `ops` on a fresh router of `core`. */
function trace(core: CoreBinding, ops: readonly Op[]): unknown[] {
  const r = core.createRouter(true, 6, 3, true);
  // A populated start, so that random lookups hit, expire and get evicted often.
  for (const i of [0, 1]) {
    r.registerServer(i);
    r.registerTransport(i);
    r.bindTransport(i, i);
    r.setFallback(i, RouteKind.HANDLER, i);
  }
  const events: unknown[] = [];
  let now = 0;
  for (const op of ops) {
    try {
      switch (op[0]) {
        case 'route':
          now += op[3];
          events.push(route(r, op[1], op[2], now));
          break;
        case 'sweep':
          events.push(r.sweep(now + op[1]));
          break;
        case 'bindTransport':
          r.bindTransport(op[1], op[2]);
          break;
        case 'setRoute':
          r.setRoute(op[1], op[2], op[3], op[4]);
          break;
        case 'removeRoute':
          events.push(r.removeRoute(op[1], op[2]));
          break;
        case 'setFallback':
          r.setFallback(op[1], op[2], op[3]);
          break;
        case 'updateConfig':
          r.updateConfig(op[1], op[2], op[3], op[4]);
          break;
        default:
          r[op[0]](op[1]);
      }
      events.push('ok');
    } catch (err) {
      events.push(`throws: ${(err as Error).message}`);
    }
    events.push(stats(r));
  }
  events.push(JSON.parse(r.routesJson()));
  return events;
}

describe.skipIf(native === undefined)('router: twin vs native, identical traces', () => {
  it('random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        expect(trace(twinBinding, ops)).toEqual(trace(native as CoreBinding, ops));
      }),
      { numRuns: 300 },
    );
  });
});

describe.skipIf(native === undefined)('pushRouted: twin and native agree', () => {
  it('on random streams cut at random places (records, routes, stats)', () => {
    const methods = ['tools/call', 'ping', 'é', 'x'];
    const lineArb = fc.oneof(
      fc.constantFrom(...methods).map((m) => `{"jsonrpc":"2.0","id":1,"method":${JSON.stringify(m)}}`),
      fc.constant('{"jsonrpc":"2.0","method":"p\\u0069ng"}'),
      fc.constant('{"jsonrpc":"2.0","id":2,"result":{}}'),
      fc.constant('not json'),
    );
    const run = (core: CoreBinding, text: string, cuts: number[]) => {
      const r = core.createRouter(true, 30_000, 2, true);
      r.registerServer(1);
      r.registerTransport(1);
      r.bindTransport(1, 1);
      r.setRoute(1, 'tools/call', RouteKind.HANDLER, 5);
      r.setFallback(1, RouteKind.UPSTREAM, 9);
      const d = core.createDecoder(Framing.NDJSON, 1 << 20);
      const bytes = Buffer.from(text);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const events: unknown[] = [];
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        const chunk = bytes.subarray(prev, p);
        prev = p;
        const out = new Int32Array(8 * 64);
        const routes = new Uint32Array(2 * 64);
        const n = d.pushRouted(chunk, 0, out, 0, r, 1, 0, routes);
        events.push([n, [...out.subarray(8, 8 + 8 * n)], [...routes.subarray(0, 2 * n)]]);
        if (n > 0 && out[8] === 1) d.takeAssembled(new Uint8Array(out[10] as number));
      }
      events.push(stats(r));
      return events;
    };
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 4 }), (ls, cuts) => {
        const text = `${ls.join('\n')}\n`;
        expect(run(twinBinding, text, cuts)).toEqual(run(native as CoreBinding, text, cuts));
      }),
      { numRuns: 200 },
    );
  });
});
