#!/usr/bin/env node
// `npm run bench:registry`: route lookups per second — the native route table (one crossing per chunk of 64 frames,
// `RouteRegistry.routeFrames`), its TypeScript twin, and the obvious JavaScript way (the method of each frame as a
// string, then Maps: transport → server → method → target) — with the route cache on and off, at 10, 1,000 and
// 100,000 routes. Methods are drawn uniformly from all routes, so at 100,000 routes a 10,000-entry cache misses most
// of the time (the cache-off rows show the table alone). Each row is the median of tinybench samples; `--json FILE`
// saves the figures.
//
// The gateway's forward throughput (issue 6, point 6) is measured once the gateway exists; this covers the table.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { FrameDecoder } from '../dist/framing/frame-decoder.js';
import { loadNativeBinding, twinBinding } from '../dist/native/index.js';
import { RouteRegistry } from '../dist/registry/route-registry.js';

const { values: args } = parseArgs({
  options: {
    time: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '10,1000,100000' },
    json: { type: 'string' },
  },
});
const native = loadNativeBinding();
if (!native) {
  console.error('bench:registry needs the native addon: run `npm run build:native` first.');
  process.exit(1);
}
const TIME = Number(args.time);
const FRAMES = 64; // frames per chunk: one routing call
const CHUNKS = 64; // distinct chunks cycled through
const TRANSPORTS = 16;

/** A deterministic pseudo-random sequence (no Math.random: runs compare like with like). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function setup(n) {
  const servers = Math.max(1, Math.ceil(n / 1000));
  const perServer = Math.ceil(n / servers);
  const methodsOf = (s) => Array.from({ length: perServer }, (_, i) => `tools/call/${s}/${i}`);
  const rand = lcg(n);
  // Chunks of FRAMES requests, each chunk arriving on one transport; methods uniform over that transport's server.
  const chunks = Array.from({ length: CHUNKS }, (_, c) => {
    const t = c % TRANSPORTS;
    const s = t % servers;
    const lines = Array.from(
      { length: FRAMES },
      (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"tools/call/${s}/${Math.floor(rand() * perServer)}","params":{}}`,
    );
    return { transport: t, bytes: Buffer.from(`${lines.join('\n')}\n`) };
  });
  const registry = (core, cache) => {
    const r = new RouteRegistry({ core, enableRouteCache: cache });
    for (let s = 0; s < servers; s++) {
      r.registerServer(s);
      for (const [i, m] of methodsOf(s).entries()) r.setRoute(s, m, { handler: i });
    }
    for (let t = 0; t < TRANSPORTS; t++) {
      r.registerTransport(t);
      r.bindTransport(t, t % servers);
    }
    return r;
  };
  // The obvious JS: Maps, and each frame's method as a string.
  const jsRoutes = new Map();
  for (let s = 0; s < servers; s++) jsRoutes.set(s, new Map(methodsOf(s).map((m, i) => [m, { handler: i }])));
  const jsBindings = new Map(Array.from({ length: TRANSPORTS }, (_, t) => [t, t % servers]));
  return { chunks, registry, jsRoutes, jsBindings };
}

/** Decoders already pushed with each chunk: routing is what is timed. */
function decoded(core, chunks) {
  return chunks.map((c) => {
    const d = new FrameDecoder({ core });
    d.push(c.bytes);
    return { transport: c.transport, decoder: d };
  });
}

const rows = [];
for (const n of args.sizes.split(',').map(Number)) {
  const { chunks, registry, jsRoutes, jsBindings } = setup(n);
  const bench = new Bench({ time: TIME, warmupTime: 200 });
  for (const [label, core] of [
    ['native', native],
    ['twin', twinBinding],
  ]) {
    for (const cache of [true, false]) {
      const r = registry(core, cache);
      const ds = decoded(core, chunks);
      let k = 0;
      bench.add(`${label} cache ${cache ? 'on' : 'off'}`, () => {
        const { transport, decoder } = ds[k++ % CHUNKS];
        const out = r.routeFrames(transport, decoder);
        if (out[0] === 0) throw new Error('unrouted');
      });
    }
  }
  {
    const ds = decoded(native, chunks);
    let k = 0;
    let sink = 0;
    bench.add('JS Maps + method strings', () => {
      const { transport, decoder } = ds[k++ % CHUNKS];
      const routes = jsRoutes.get(jsBindings.get(transport));
      for (let i = 0; i < decoder.count; i++) sink += routes.get(decoder.method(i)).handler;
    });
    if (sink < 0) console.log(sink);
  }
  await bench.run();
  const lookups = (t) => (FRAMES * 1000) / (t.result.latency?.p50 ?? t.result.period);
  const base = bench.tasks.find((t) => t.name === 'JS Maps + method strings');
  for (const t of bench.tasks) {
    rows.push({ routes: n, name: t.name, lookupsPerSecond: lookups(t), vsJs: lookups(t) / lookups(base) });
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(
  `bench:registry — ${FRAMES} frames per routing call, ${TRANSPORTS} transports; ${os.cpus().length} × ${os.cpus()[0]?.model}; node ${process.version}`,
);
console.log('| routes | implementation | lookups/s (median) | ÷ JS Maps |');
console.log('|---:|---|---:|---:|');
for (const r of rows)
  console.log(`| ${fmt(r.routes)} | ${r.name} | ${fmt(r.lookupsPerSecond)} | ${r.vsJs.toFixed(2)}× |`);
if (args.json)
  writeFileSync(args.json, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, rows }, null, 2)}\n`);
