#!/usr/bin/env node
// `npm run bench:forward`: the gateway's forwarding rewrite (docs/core-api.md §Forward) — a batch of 64 `tools/call`
// requests gets new ids and loses the `<upstream>__` prefix of `params.name` — measured three ways: the native core
// (`rewriteFrames`, one N-API crossing per batch), its TypeScript twin, and the obvious JavaScript (decode each frame,
// JSON.parse, change id and params.name, JSON.stringify). Each implementation starts from the same bytes (frames back to
// back in one Buffer, as a decoder delivers them) and ends with bytes ready for the upstream socket; the JS row without
// the final Buffer (strings out) is shown too, as it is the cheapest a JS forwarder could get away with. Each row is
// the median of tinybench samples; `--json FILE` saves the figures. Needs `npm run build` (dist/ and the addon).
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { loadNativeBinding, twinBinding } from '../dist/native/index.js';

const { values: args } = parseArgs({
  options: {
    time: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '200,4096' },
    json: { type: 'string' },
  },
});
const native = loadNativeBinding();
if (!native) {
  console.error('bench:forward needs the native addon: run `npm run build:native` first.');
  process.exit(1);
}
const TIME = Number(args.time);
const FRAMES = 64; // requests per batch: one rewrite call
const BATCHES = 8; // distinct batches cycled through
const PREFIX = 'fs__';

/** One tools/call request of about `size` bytes (the padding is the `content` argument). */
function request(id, size, k) {
  const head = { jsonrpc: '2.0', id, method: 'tools/call', params: { name: `${PREFIX}write_file`, arguments: {} } };
  const args = { path: `/tmp/project/src/file-${k}.ts`, content: '' };
  head.params.arguments = args;
  const bare = JSON.stringify(head).length;
  args.content = 'x'.repeat(Math.max(0, size - bare)).replace(/x{40}/g, (m) => `${m.slice(0, 38)}\\n`);
  return JSON.stringify(head);
}

function batches(size) {
  return Array.from({ length: BATCHES }, (_, b) => {
    const frames = Array.from({ length: FRAMES }, (_, i) => Buffer.from(request(b * FRAMES + i, size, i)));
    const ends = new Uint32Array(FRAMES);
    let n = 0;
    frames.forEach((f, i) => {
      n += f.length;
      ends[i] = n;
    });
    return { bytes: Buffer.concat(frames), ends };
  });
}

/** Writes the decimal digits of `n` into `buf` at `w`; returns the new end (the gateway's id allocation). */
function writeDigits(buf, w, n) {
  if (n === 0) {
    buf[w] = 0x30;
    return w + 1;
  }
  let digits = 0;
  for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
  for (let k = w + digits - 1, m = n; k >= w; k--, m = Math.floor(m / 10)) buf[k] = 0x30 + (m % 10);
  return w + digits;
}

const rows = [];
for (const size of args.sizes.split(',').map(Number)) {
  const input = batches(size);
  const bench = new Bench({ time: TIME, warmupTime: 200 });
  const maxBytes = Math.max(...input.map((b) => b.bytes.length));
  const ids = new Uint8Array(16 * FRAMES);
  const idEnds = new Uint32Array(FRAMES);
  const prefixes = new Uint32Array(FRAMES).fill(PREFIX.length);
  const dst = new Uint8Array(maxBytes + ids.length);
  const outEnds = new Uint32Array(FRAMES);
  const status = new Uint32Array(FRAMES);
  let nextId = 1_000_000;
  let sink = 0;

  for (const [label, core] of [
    ['native rewriteFrames', native],
    ['twin rewriteFrames', twinBinding],
  ]) {
    let k = 0;
    bench.add(label, () => {
      const { bytes, ends } = input[k++ % BATCHES];
      let w = 0;
      for (let i = 0; i < FRAMES; i++) {
        w = writeDigits(ids, w, nextId++);
        idEnds[i] = w;
      }
      const n = core.rewriteFrames(bytes, ends, ids, idEnds, prefixes, FRAMES, dst, outEnds, status);
      if (status[0] !== 0) throw new Error(`status ${status[0]}`);
      sink += n;
    });
  }
  for (const buffer of [true, false]) {
    let k = 0;
    bench.add(`JS parse/stringify${buffer ? '' : ' (strings out)'}`, () => {
      const { bytes, ends } = input[k++ % BATCHES];
      const out = new Array(FRAMES);
      let start = 0;
      for (let i = 0; i < FRAMES; i++) {
        const msg = JSON.parse(bytes.toString('utf8', start, ends[i]));
        start = ends[i];
        msg.id = nextId++;
        msg.params.name = msg.params.name.slice(PREFIX.length);
        out[i] = JSON.stringify(msg);
      }
      sink += buffer ? Buffer.from(out.join('')).length : out.length;
    });
  }
  await bench.run();
  if (sink < 0) console.log(sink);
  const perSecond = (t) => 1000 / (t.result.latency?.p50 ?? t.result.period);
  const byName = (name) => bench.tasks.find((t) => t.name === name);
  const nativeOps = perSecond(byName('native rewriteFrames'));
  const jsOps = perSecond(byName('JS parse/stringify'));
  for (const t of bench.tasks) {
    const ops = perSecond(t);
    rows.push({
      size,
      batchBytes: Math.round(input.reduce((s, b) => s + b.bytes.length, 0) / BATCHES),
      name: t.name,
      batchesPerSecond: ops,
      framesPerSecond: ops * FRAMES,
      vsJs: ops / jsOps,
      nativeVs: nativeOps / ops,
    });
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(
  `bench:forward — batches of ${FRAMES} tools/call requests (new id + strip "${PREFIX}"); ${os.cpus().length} × ${os.cpus()[0]?.model}; node ${process.version}`,
);
console.log('| request | implementation | batches/s (median) | frames/s | ÷ JS | native ÷ this |');
console.log('|---:|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ~${fmt(r.batchBytes / FRAMES)} B | ${r.name} | ${fmt(r.batchesPerSecond)} | ${fmt(r.framesPerSecond)} | ${r.vsJs.toFixed(2)}× | ${r.nativeVs.toFixed(2)}× |`,
  );
}
if (args.json) {
  writeFileSync(args.json, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, rows }, null, 2)}\n`);
}
