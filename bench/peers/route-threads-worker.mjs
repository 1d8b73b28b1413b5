// A worker of bench/route-threads.bench.mjs: builds (or attaches to) a route table, decodes the chunks once, waits for
// the start signal, then routes chunk after chunk for `ms` and reports how many lookups it made.
//
// workerData: { impl, handle?, routes, transports, chunks: [{ transport, bytes }], ms, gate: SharedArrayBuffer }
//   impl 'native-shared' | 'twin-replica': attach to the main thread's table with SharedRouteTable.attach(handle);
//   impl 'native-copy': a RouteRegistry of its own on the native core, built from `routes` (a copy per thread);
//   impl 'js-maps': JavaScript Maps built from `routes`, each frame's method as a string (the obvious JS).
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { FrameDecoder } from '../../dist/framing/frame-decoder.js';
import { loadNativeBinding, twinBinding } from '../../dist/native/index.js';
import { RouteRegistry, SharedRouteTable } from '../../dist/registry/route-registry.js';

const { impl, handle, routes, transports, chunks, ms, gate } = workerData;
const native = loadNativeBinding();
const core = impl === 'twin-replica' ? twinBinding : native;

/** `routes`: [server, method, handler][]; `transports`: [transport, server][]. */
function ownRegistry() {
  const r = new RouteRegistry({ core: native });
  for (const s of new Set(routes.map(([s]) => s))) r.registerServer(s);
  for (const [s, m, h] of routes) r.setRoute(s, m, { handler: h });
  for (const [t, s] of transports) {
    r.registerTransport(t);
    r.bindTransport(t, s);
  }
  return r;
}

const decoded = chunks.map((c) => {
  const d = new FrameDecoder({ core });
  d.push(new Uint8Array(c.bytes));
  return { transport: c.transport, decoder: d };
});
const frames = decoded[0].decoder.count;

let route;
if (impl === 'js-maps') {
  const byServer = new Map();
  for (const [s, m, h] of routes) {
    if (!byServer.has(s)) byServer.set(s, new Map());
    byServer.get(s).set(m, { handler: h });
  }
  const bindings = new Map(transports);
  let sink = 0;
  route = ({ transport, decoder }) => {
    const table = byServer.get(bindings.get(transport));
    for (let i = 0; i < decoder.count; i++) sink += table.get(decoder.method(i)).handler;
    return sink >= 0;
  };
} else {
  const table = impl === 'native-copy' ? ownRegistry() : SharedRouteTable.attach(handle);
  route = ({ transport, decoder }) => table.routeFrames(transport, decoder)[0] !== 0;
}

// Warm up (caches, JIT), then wait for every worker to be ready.
for (let i = 0; i < 2000; i++) if (!route(decoded[i % decoded.length])) throw new Error('unrouted');
const flag = new Int32Array(gate);
Atomics.add(flag, 1, 1);
Atomics.notify(flag, 1);
Atomics.wait(flag, 0, 0);

let calls = 0;
const start = performance.now();
let now = start;
while (now - start < ms) {
  for (let i = 0; i < 64; i++) route(decoded[(calls + i) % decoded.length]);
  calls += 64;
  now = performance.now();
}
parentPort.postMessage({ lookups: calls * frames, elapsedMs: now - start });
