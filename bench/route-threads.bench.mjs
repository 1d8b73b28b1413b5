#!/usr/bin/env node
// `npm run bench:route-threads`: route lookups per second from 1, 2 and 4 worker threads (issue 8, point 3).
//
//   native-shared  one table owned by the native core, shared by the main thread (registry.share()); each worker
//                  attaches (SharedRouteTable.attach) and routes through it: the snapshot read without a lock, a
//                  route cache per thread
//   native-copy    each worker builds a native RouteRegistry of its own (a copy of the table per thread)
//   twin-replica   the TypeScript twin: each worker attaches a replica (a copy per thread fed by the owner's changes)
//   native-shared+updates  native-shared while the main thread changes one of the routes every millisecond (each
//                  change publishes a new snapshot and makes every thread's cached routes of that server stale)
//   js-maps        the obvious JavaScript, a copy per thread: each frame's method as a string, then Maps
//
// Every worker routes pre-decoded chunks of 64 frames (one routing call per chunk, methods uniform over the routes)
// for --ms, all workers at once; the figure is the lookups of all workers ÷ the time. Runs alternate the
// implementations; each cell is the median of --runs. 4 threads on a machine with fewer cores oversubscribe it: the
// output says how many cores there are.
//
//   npm run bench:route-threads -- [--routes 1000] [--ms 2000] [--runs 3] [--threads 1,2,4] [--json FILE]
import { Buffer } from 'node:buffer';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { values: args } = parseArgs({
  options: {
    routes: { type: 'string', default: '1000' },
    ms: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1,2,4' },
    json: { type: 'string' },
  },
});
if (!existsSync(here('../dist/registry/route-registry.js'))) {
  console.error('bench:route-threads: dist/ is missing or stale: run `npm run build` first');
  process.exit(2);
}
const { loadNativeBinding, twinBinding } = await import('../dist/native/index.js');
const { RouteRegistry } = await import('../dist/registry/route-registry.js');
const native = loadNativeBinding();
if (!native) {
  console.error('bench:route-threads needs the native addon: run `npm run build:native` first.');
  process.exit(1);
}

const ROUTES = Number(args.routes);
const MS = Number(args.ms);
const RUNS = Number(args.runs);
const THREADS = args.threads.split(',').map(Number);
const FRAMES = 64;
const CHUNKS = 64;
const TRANSPORTS = 16;
const IMPLS = ['native-shared', 'native-shared+updates', 'native-copy', 'twin-replica', 'js-maps'];

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// The table: ceil(ROUTES / 1000) servers, 16 transports bound round-robin; chunks of 64 requests, one transport each.
const servers = Math.max(1, Math.ceil(ROUTES / 1000));
const perServer = Math.ceil(ROUTES / servers);
const routes = [];
for (let s = 0; s < servers; s++) for (let i = 0; i < perServer; i++) routes.push([s, `tools/call/${s}/${i}`, i]);
const transports = Array.from({ length: TRANSPORTS }, (_, t) => [t, t % servers]);
const rand = lcg(ROUTES);
const chunks = Array.from({ length: CHUNKS }, (_, c) => {
  const t = c % TRANSPORTS;
  const s = t % servers;
  const lines = Array.from(
    { length: FRAMES },
    (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"tools/call/${s}/${Math.floor(rand() * perServer)}","params":{}}`,
  );
  return { transport: t, bytes: Buffer.from(`${lines.join('\n')}\n`) };
});

function ownerTable(core) {
  const r = new RouteRegistry({ core });
  for (let s = 0; s < servers; s++) r.registerServer(s);
  for (const [s, m, h] of routes) r.setRoute(s, m, { handler: h });
  for (const [t, s] of transports) {
    r.registerTransport(t);
    r.bindTransport(t, s);
  }
  return r;
}

/** One measurement: `threads` workers of `impl` routing at once; lookups per second of all of them. */
async function measure(impl, threads) {
  const sharedNative = impl.startsWith('native-shared');
  const owner = sharedNative ? ownerTable(native) : impl === 'twin-replica' ? ownerTable(twinBinding) : null;
  const gate = new SharedArrayBuffer(8);
  const flag = new Int32Array(gate);
  const workers = Array.from({ length: threads }, () => {
    const handle = owner?.share();
    return new Worker(here('./peers/route-threads-worker.mjs'), {
      workerData: { impl: sharedNative ? 'native-shared' : impl, handle, routes, transports, chunks, ms: MS, gate },
      transferList: handle ? [...handle.transferList] : [],
    });
  });
  const results = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  while (Atomics.load(flag, 1) < threads) await new Promise((r) => setTimeout(r, 5));
  let updates = 0;
  const updater =
    impl === 'native-shared+updates'
      ? setInterval(() => owner.setRoute(0, 'tools/call/0/0', { handler: updates++ % 2 }), 1)
      : undefined;
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const done = await Promise.all(results);
  clearInterval(updater);
  await Promise.all(workers.map((w) => w.terminate()));
  owner?.unshare();
  return done.reduce((sum, d) => sum + d.lookups / (d.elapsedMs / 1000), 0);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const cores = os.availableParallelism?.() ?? os.cpus().length;
console.log(
  `bench:route-threads — ${ROUTES} routes, ${FRAMES} frames per routing call, ${MS} ms per measurement, ${RUNS} runs (medians); ` +
    `this machine has ${cores} cores (${os.cpus()[0]?.model}), so ${THREADS.filter((t) => t > cores).join(', ') || 'no'} thread counts oversubscribe it; node ${process.version}; load average at start ${os.loadavg()[0].toFixed(2)}`,
);
const samples = new Map();
for (let run = 0; run < RUNS; run++) {
  for (const threads of THREADS) {
    for (const impl of IMPLS) {
      const key = `${impl}/${threads}`;
      const v = await measure(impl, threads);
      samples.set(key, [...(samples.get(key) ?? []), v]);
      process.stderr.write(`run ${run + 1}/${RUNS} ${key}: ${(v / 1e6).toFixed(2)} M/s\n`);
    }
  }
}

const cell = (impl, threads) => median(samples.get(`${impl}/${threads}`));
const M = (x) => `${(x / 1e6).toFixed(1)} M`;
console.log(
  `\n| implementation | ${THREADS.map((t) => `${t} thread${t > 1 ? 's' : ''}`).join(' | ')} | ${THREADS.slice(1)
    .map((t) => `${t} ÷ 1`)
    .join(' | ')} |`,
);
console.log(
  `|---|${THREADS.map(() => '---:').join('|')}|${THREADS.slice(1)
    .map(() => '---:')
    .join('|')}|`,
);
const rows = [];
for (const impl of IMPLS) {
  const values = THREADS.map((t) => cell(impl, t));
  const vsJs = THREADS.map((t) => cell(impl, t) / cell('js-maps', t));
  rows.push({ impl, threads: THREADS, lookupsPerSecond: values, vsJsMaps: vsJs });
  const shown = values.map((v, i) => (impl === 'js-maps' ? M(v) : `${M(v)} (${vsJs[i].toFixed(2)}×)`));
  const scaling = values.slice(1).map((v) => `${(v / values[0]).toFixed(2)}×`);
  console.log(`| ${impl} | ${shown.join(' | ')} | ${scaling.join(' | ')} |`);
}
console.log(
  `\nlookups per second of all threads together; (×) = ÷ js-maps at the same thread count; load average at end ${os.loadavg()[0].toFixed(2)}`,
);
if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify({ node: process.version, cores, routes: ROUTES, ms: MS, rows }, null, 2)}\n`,
  );
}
