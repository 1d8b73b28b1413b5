/**
 * The route table shared with worker threads (issue 8, point 3): a RouteRegistry on the main thread shares its table,
 * real worker_threads attach (test/registry/fixtures/shared-table-worker.mjs, over the built dist/) and read it while
 * the main thread changes it. Runs on the active core — native in `npm test`'s first pass (one table owned by the
 * core), the twin under NMCP_NATIVE=0 (a replica per thread fed with the owner's changes); assertions that only hold
 * for one table read by every thread (stats and message counts summed over threads) skip under the twin.
 */
import { Buffer } from 'node:buffer';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type BindingRouter, type CoreBinding, RouteKind } from '../../src/native/binding-types.js';
import { activeCore, loadNativeBinding, twinBinding } from '../../src/native/index.js';
import {
  decodeTarget,
  RouteRegistry,
  SharedRouteTable,
  type SharedRouteTableHandle,
} from '../../src/registry/route-registry.js';

const native = activeCore().kind === 'native';
const WORKER = new URL('./fixtures/shared-table-worker.mjs', import.meta.url);

interface Attached {
  readonly worker: Worker;
  /** Sends a command and resolves with the answer. */
  ask(message: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/** Starts a worker on a handle; resolves once it attached (or with the error it got attaching). */
function start(handle: SharedRouteTableHandle): Promise<Attached | { attachError: { code: string; message: string } }> {
  const worker = new Worker(WORKER, { workerData: { handle }, transferList: [...handle.transferList] });
  workers.push(worker);
  let seq = 0;
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: Record<string, unknown>) => {
      if ('attached' in m) resolve({ worker, ask });
      else if ('attachError' in m) resolve(m as { attachError: { code: string; message: string } });
      else waiting.get(m.seq as number)?.(m);
    });
  });
  function ask(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const n = ++seq;
    return new Promise((resolve) => {
      waiting.set(n, resolve);
      worker.postMessage({ ...message, seq: n });
    });
  }
}

async function attached(handle: SharedRouteTableHandle): Promise<Attached> {
  const w = await start(handle);
  if ('attachError' in w) throw new Error(`attach failed: ${w.attachError.message}`);
  return w;
}

function registry(): RouteRegistry {
  const r = new RouteRegistry();
  r.registerServer(1);
  r.registerServer(2);
  r.registerTransport(1);
  r.bindTransport(1, 1);
  r.setRoute(1, 'a', { handler: 0 });
  r.setRoute(1, 'b', { upstream: 0 });
  r.setRoute(1, 'c', { handler: 0 });
  return r;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NmcpError);
    return (err as NmcpError).code;
  }
  return undefined;
}

describe(`the route table shared with worker threads (${activeCore().kind} core)`, () => {
  it("workers read the owner's table, and a change is seen by their next lookup after it returned", async () => {
    const r = registry();
    const [w1, w2] = await Promise.all([attached(r.share()), attached(r.share())]);
    for (const w of [w1, w2]) {
      const { targets } = await w.ask({ cmd: 'lookup', transport: 1, methods: ['a', 'b', 'nope'] });
      expect(targets).toEqual([{ handler: 0 }, { upstream: 0 }, null]);
    }
    r.setRoute(1, 'a', { handler: 7 });
    r.setFallback(1, { upstream: 9 });
    for (const w of [w1, w2]) {
      const { targets } = await w.ask({ cmd: 'lookup', transport: 1, methods: ['a', 'nope'] });
      expect(targets).toEqual([{ handler: 7 }, { upstream: 9 }]);
    }
    r.bindTransport(1, 2); // server 2 has no routes
    r.registerTransport(2);
    r.bindTransport(2, 1);
    for (const w of [w1, w2]) {
      expect((await w.ask({ cmd: 'lookup', transport: 1, methods: ['a'] })).targets).toEqual([null]);
      expect((await w.ask({ cmd: 'lookup', transport: 2, methods: ['a'] })).targets).toEqual([{ handler: 7 }]);
    }
    r.unregisterServer(1);
    expect((await w1.ask({ cmd: 'lookup', transport: 2, methods: ['a'] })).targets).toEqual([null]);
  });

  it('workers read while the owner updates concurrently: every result is a whole state, never an older one', async () => {
    const STATES = 1500;
    const r = registry();
    const published = new SharedArrayBuffer(4);
    const state = new Int32Array(published);
    const ws = await Promise.all([attached(r.share()), attached(r.share())]);
    const results = ws.map((w) => w.ask({ cmd: 'hammer', until: STATES, published }));
    for (let k = 1; k <= STATES; k++) {
      r.setRoute(1, 'a', { handler: k });
      r.setRoute(1, 'b', { upstream: k });
      r.setRoute(1, 'c', { handler: k });
      if (k % 100 === 0) r.updateConfig({ maxCacheEntries: 1 + (k % 7), enableRouteCache: k % 200 !== 0 });
      if (k % 150 === 0) r.setRoute(2, `other/${k}`, { handler: k }); // another server's routes: no effect on 1's
      Atomics.store(state, 0, k); // every change of state k has returned
      if (k % 50 === 0) await yieldToLoop();
    }
    const answers = await Promise.all(results);
    let lookups = 0;
    for (const a of answers) {
      expect(a.errors).toEqual([]);
      expect(a.last).toBe(STATES);
      expect(a.batches as number).toBeGreaterThan(0);
      lookups += 4 * (a.batches as number);
    }
    // After the updates, one more lookup from each sees the last state.
    for (const w of ws) {
      const { targets } = await w.ask({ cmd: 'lookup', transport: 1, methods: ['a', 'b', 'c'] });
      expect(targets).toEqual([{ handler: STATES }, { upstream: STATES }, { handler: STATES }]);
    }
    if (native) {
      // One table: the owner's stats count every thread's lookups (4 per batch, then 3 each just now).
      expect(r.stats().lookups).toBe(lookups + 3 * ws.length);
    }
  });

  it.skipIf(!native)(
    'native: one table for every thread — stats and message counts are summed across threads',
    async () => {
      const r = registry();
      expect(r.route(1, 'a')).toEqual({ handler: 0 });
      const before = r.stats();
      const h = r.share();
      expect(r.stats()).toEqual(before); // sharing keeps the cache and counters
      expect(r.share().id).toBe(h.id); // one table, one id: any number of threads attach with it
      const [w1, w2] = await Promise.all([attached(h), attached(h)]);
      await w1.ask({ cmd: 'lookup', transport: 1, methods: ['a', 'a'] });
      await w2.ask({ cmd: 'lookup', transport: 1, methods: ['a', 'b'] });
      const { stats, routes } = await w2.ask({ cmd: 'stats' });
      expect(stats).toEqual(r.stats());
      expect(r.stats().lookups).toBe(before.lookups + 4);
      expect(routes).toEqual(r.routes());
      expect(r.routes().find((x) => x.method === 'a')?.messages).toBe(4);
      // The same thread can attach too: another cache on the same table.
      const here = SharedRouteTable.attach(h);
      r.setRoute(1, 'c', { upstream: 3 });
      expect(here.route(1, 'c')).toEqual({ upstream: 3 });
      expect(r.stats().lookups).toBe(before.lookups + 5);
    },
  );

  it.skipIf(native)('twin: each worker reads a replica with its own stats; the owner changes it', async () => {
    const r = registry();
    r.route(1, 'a');
    const w = await attached(r.share());
    await w.ask({ cmd: 'lookup', transport: 1, methods: ['a', 'b'] });
    const { stats, routes } = await w.ask({ cmd: 'stats' });
    expect(stats).toMatchObject({ lookups: 2 });
    expect(r.stats()).toMatchObject({ lookups: 1 });
    expect((routes as { method: string; messages: number }[]).map((x) => [x.method, x.messages])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 0],
    ]);
  });

  it('attaching with an unknown, foreign or released handle is a clear NmcpError', async () => {
    const r = registry();
    const good = r.share();
    expect(codeOf(() => SharedRouteTable.attach({ nope: 1 } as unknown as SharedRouteTableHandle))).toBe(
      ErrorCode.INVALID_ROUTE,
    );
    expect(codeOf(() => SharedRouteTable.attach({ ...good, pid: good.pid + 1 }))).toBe(ErrorCode.INVALID_ROUTE);
    const unknown: SharedRouteTableHandle = {
      kind: 'nmcp.route-table',
      core: good.core,
      id: 4_000_000_000,
      pid: good.pid,
      transferList: [],
    };
    expect(codeOf(() => SharedRouteTable.attach(unknown))).toBe(ErrorCode.INVALID_ROUTE);
    expect(() => SharedRouteTable.attach(unknown)).toThrow(/route table 4000000000 is not shared/);

    // A worker attached before the release keeps working and keeps seeing changes; one attaching after is refused.
    const before = await attached(good);
    const late = r.share();
    expect(r.unshare()).toBe(true);
    const refused = await start(late);
    expect(refused).toMatchObject({ attachError: { code: ErrorCode.INVALID_ROUTE } });
    expect((refused as { attachError: { message: string } }).attachError.message).toMatch(
      /route table \d+ is not shared \(unknown id, or released with unshare\)/,
    );
    r.setRoute(1, 'a', { handler: 42 });
    expect((await before.ask({ cmd: 'lookup', transport: 1, methods: ['a'] })).targets).toEqual([{ handler: 42 }]);
    expect(r.route(1, 'a')).toEqual({ handler: 42 });
    // share() publishes it again.
    const again = await attached(r.share());
    expect((await again.ask({ cmd: 'lookup', transport: 1, methods: ['a'] })).targets).toEqual([{ handler: 42 }]);
  });

  it('a table attached on the same thread routes frames and methods like the registry', () => {
    const r = registry();
    const t = RouteRegistry.attach(r.share());
    expect(t.id).toBe(r.share().id);
    const out = t.routeMethods(1, ['a', 'b', 'zz']);
    expect([0, 1, 2].map((i) => decodeTarget(out[2 * i] as number, out[2 * i + 1] as number))).toEqual([
      { handler: 0 },
      { upstream: 0 },
      undefined,
    ]);
    r.removeRoute(1, 'a');
    expect(t.route(1, 'a')).toBeUndefined();
    expect(t.routes().map((x) => x.method)).toEqual(['b', 'c']);
  });
});

/** Random table changes for the binding-level property below. */
const change = fc.oneof(
  fc.tuple(fc.constant('registerServer' as const), fc.integer({ min: 0, max: 3 })),
  fc.tuple(fc.constant('unregisterServer' as const), fc.integer({ min: 0, max: 3 })),
  fc.tuple(fc.constant('registerTransport' as const), fc.integer({ min: 0, max: 3 })),
  fc.tuple(fc.constant('unregisterTransport' as const), fc.integer({ min: 0, max: 3 })),
  fc.tuple(fc.constant('bind' as const), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -1, max: 3 })),
  fc.tuple(fc.constant('setRoute' as const), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.nat(9)),
  fc.tuple(fc.constant('removeRoute' as const), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
  fc.tuple(fc.constant('setFallback' as const), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -1, max: 9 })),
  fc.tuple(fc.constant('cap' as const), fc.integer({ min: 1, max: 4 })),
  fc.tuple(fc.constant('attach' as const)),
);
const METHODS = ['m/0', 'm/1', 'm/é', 'm/3'];

function apply(r: BindingRouter, op: readonly [string, ...number[]]): void {
  const [name, a = 0, b = 0, c = 0] = op;
  try {
    if (name === 'registerServer') r.registerServer(a);
    else if (name === 'unregisterServer') r.unregisterServer(a);
    else if (name === 'registerTransport') r.registerTransport(a);
    else if (name === 'unregisterTransport') r.unregisterTransport(a);
    else if (name === 'bind') r.bindTransport(a, b);
    else if (name === 'setRoute') r.setRoute(a, METHODS[b] as string, RouteKind.HANDLER, c);
    else if (name === 'removeRoute') r.removeRoute(a, METHODS[b] as string);
    else if (name === 'setFallback') r.setFallback(a, b < 0 ? RouteKind.NONE : RouteKind.UPSTREAM, Math.max(b, 0));
    else if (name === 'cap') r.updateConfig(undefined, undefined, a);
  } catch {
    // an unknown or duplicate id: changes nothing, on the owner as on the table it shares
  }
}

function lookupAll(r: BindingRouter, now: number): number[] {
  const bytes = Buffer.from(METHODS.join(''), 'utf8');
  const ends = new Uint32Array(METHODS.length);
  let n = 0;
  METHODS.forEach((m, i) => {
    n += Buffer.byteLength(m);
    ends[i] = n;
  });
  const all: number[] = [];
  const out = new Uint32Array(2 * METHODS.length);
  for (let t = 0; t <= 3; t++) {
    r.routeMethods(t, bytes, ends, METHODS.length, now, out);
    all.push(...out);
  }
  return all;
}

const bindingCores: [string, CoreBinding | undefined][] = [
  ['native', process.env.NMCP_NATIVE === '0' ? undefined : loadNativeBinding()],
  ['twin', twinBinding],
];
for (const [name, core] of bindingCores) {
  describe.skipIf(core === undefined)(`shareRouter / attachRouter (${name}), on one thread`, () => {
    it('routers attached at any point answer every lookup as the owner does, under random changes', () => {
      fc.assert(
        fc.property(fc.array(change, { maxLength: 60 }), (ops) => {
          const c = core as CoreBinding;
          const owner = c.createRouter(true, 30_000, 3, true);
          const attached: BindingRouter[] = [];
          let now = 0;
          for (const op of ops) {
            if (op[0] === 'attach') attached.push(c.attachRouter(c.shareRouter(owner)));
            else apply(owner, op as readonly [string, ...number[]]);
            now += 3;
            const expected = lookupAll(owner, now);
            for (const r of attached) expect(lookupAll(r, now)).toEqual(expected);
          }
          c.unshareRouter(owner);
        }),
        { numRuns: 150 },
      );
    });
  });
}
