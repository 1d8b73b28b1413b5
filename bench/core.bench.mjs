#!/usr/bin/env node
// `npm run bench:core`: decode and encode throughput of the framing core — native vs TypeScript twin vs the naive
// approaches (Buffer.concat + indexOf as in the official SDK's ReadBuffer, and readline) — for messages of 200 B,
// 4 KiB, 1 MiB and 16 MiB delivered in 64 KiB chunks. Prints a table with ratios; `--json FILE` saves the figures;
// `--markdown FILE` writes them as a Markdown table (docs/benchmarks-core.md is produced that way).
// Each row is the median of tinybench samples (per-iteration time); figures are MB/s of framed input or output.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { FrameDecoder } from '../dist/framing/frame-decoder.js';
import { loadNativeBinding, twinBinding } from '../dist/native/index.js';

const { values: args } = parseArgs({
  options: {
    time: { type: 'string', default: '1500' },
    json: { type: 'string' },
    markdown: { type: 'string' },
    sizes: { type: 'string', default: '200,4096,1048576,16777216' },
  },
});
const native = loadNativeBinding();
if (!native) {
  console.error('bench:core needs the native addon: run `npm run build:native` first.');
  process.exit(1);
}
const TIME = Number(args.time);
const CHUNK = 64 * 1024;
const TARGET_BYTES = 32 * 1024 * 1024; // bytes of input per iteration (at least two messages)
const sizes = args.sizes.split(',').map(Number);

/** A tools/call request of about `size` bytes whose text has the escapes real text has (newlines, quotes). */
function makeMessage(id, size) {
  const base = { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: '' } } };
  const overhead = JSON.stringify(base).length;
  const words = 'lorem ipsum dolor sit amet, "consectetur" adipiscing elit\nsed do eiusmod tempor ';
  let text = words.repeat(Math.ceil(size / words.length) + 1);
  base.params.arguments.text = text;
  let s = JSON.stringify(base);
  text = text.slice(0, Math.max(0, text.length - (s.length - size)));
  base.params.arguments.text = text;
  s = JSON.stringify(base);
  while (s.length > size && text.length > 0) {
    text = text.slice(0, -1);
    base.params.arguments.text = text;
    s = JSON.stringify(base);
  }
  return s.length >= overhead ? s : JSON.stringify(base);
}

function label(size) {
  return size >= 1048576 ? `${size / 1048576} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

function chunksOf(buf) {
  const out = [];
  for (let i = 0; i < buf.length; i += CHUNK) out.push(buf.subarray(i, i + CHUNK));
  return out;
}

const sink = { n: 0 }; // consumed results, so the work cannot be optimized away

function ours(core, chunks, max) {
  const d = new FrameDecoder({ core, maxMessageSize: max });
  return () => {
    for (const c of chunks) {
      const n = d.push(c);
      for (let i = 0; i < n; i++) {
        sink.n += d.kind(i);
        const id = d.id(i);
        if (d.method(i) !== 'tools/call' || id === undefined) throw new Error('bad decode');
      }
    }
  };
}

// Framing only (envelope: false, what StreamTransport does for a session): each frame's text, nothing else.
function oursFramesOnly(core, chunks, max) {
  const d = new FrameDecoder({ core, maxMessageSize: max, envelope: false });
  return () => {
    for (const c of chunks) {
      const n = d.push(c);
      for (let i = 0; i < n; i++) sink.n += d.frameLength(i);
    }
  };
}

// The official SDK's ReadBuffer: concatenate every chunk, then indexOf('\n').
function naiveConcat(chunks) {
  return () => {
    let buffer;
    for (const c of chunks) {
      buffer = buffer ? Buffer.concat([buffer, c]) : c;
      for (;;) {
        const idx = buffer.indexOf(10);
        if (idx === -1) break;
        const frame = buffer.subarray(0, idx);
        sink.n += frame.length;
        buffer = buffer.subarray(idx + 1);
      }
    }
  };
}

// The SDK's approach plus what it needs to learn the envelope: JSON.parse of every frame.
function naiveParse(chunks) {
  return () => {
    let buffer;
    for (const c of chunks) {
      buffer = buffer ? Buffer.concat([buffer, c]) : c;
      for (;;) {
        const idx = buffer.indexOf(10);
        if (idx === -1) break;
        const m = JSON.parse(buffer.toString('utf8', 0, idx));
        sink.n += m.id;
        buffer = buffer.subarray(idx + 1);
      }
    }
  };
}

function naiveReadline(chunks) {
  return async () => {
    const rl = readline.createInterface({
      input: Readable.from(chunks, { objectMode: false }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of rl) sink.n += line.length;
  };
}

async function measure(tasks) {
  const bench = new Bench({ time: TIME, warmup: true, warmupIterations: 2, iterations: 3 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  const res = {};
  for (const t of bench.tasks) {
    if (t.result.state !== 'completed') throw new Error(`${t.name}: ${t.result.state} ${t.result.error ?? ''}`);
    res[t.name] = t.result.latency.p50; // ms per iteration (median)
  }
  return res;
}

const rows = [];

for (const size of sizes) {
  const msg = makeMessage(1, size);
  const count = Math.max(2, Math.floor(TARGET_BYTES / (size + 1)));
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(makeMessage(i + 1, size));
  const stream = Buffer.from(`${lines.join('\n')}\n`);
  const chunks = chunksOf(stream);
  const max = 64 * 1024 * 1024;
  const tasks = [
    ['native', ours(native, chunks, max)],
    ['twin', ours(twinBinding, chunks, max)],
    ['naive concat+indexOf', naiveConcat(chunks)],
    ['naive concat+JSON.parse', naiveParse(chunks)],
  ];
  // readline on 16 MiB lines is as quadratic-free as it gets but slow to set up per line; keep it for all sizes.
  tasks.push(['readline', naiveReadline(chunks)]);
  if (size >= 16 * 1048576) {
    // the quadratic SDK approach takes seconds per 16 MiB message: one iteration is enough to show it
  }
  const t = await measure(tasks);
  const mbps = (ms) => stream.length / 1048576 / (ms / 1000);
  rows.push({
    op: 'decode ndjson',
    size: label(size),
    messages: count,
    bytes: stream.length,
    msgLen: msg.length,
    results: Object.fromEntries(
      Object.entries(t).map(([k, ms]) => [k, { ms, mbps: mbps(ms), msgsPerSec: count / (ms / 1000) }]),
    ),
  });
  const framesOnly = await measure([
    ['native', oursFramesOnly(native, chunks, max)],
    ['twin', oursFramesOnly(twinBinding, chunks, max)],
    ['naive concat+indexOf', naiveConcat(chunks)],
  ]);
  rows.push({
    op: 'decode ndjson, frames only (envelope: false)',
    size: label(size),
    messages: count,
    bytes: stream.length,
    msgLen: msg.length,
    results: Object.fromEntries(
      Object.entries(framesOnly).map(([k, ms]) => [k, { ms, mbps: mbps(ms), msgsPerSec: count / (ms / 1000) }]),
    ),
  });
  console.error(`decode ${label(size)} done`);
}

for (const framing of [0, 1]) {
  for (const size of sizes) {
    const count = Math.max(2, Math.min(100, Math.floor(TARGET_BYTES / size)));
    const msgs = [];
    for (let i = 0; i < count; i++) msgs.push(makeMessage(i + 1, size));
    const max = 64 * 1024 * 1024;
    const joinedLen = Buffer.byteLength(msgs.join('\n'));
    const dstLen = framing === 0 ? joinedLen + 1 : joinedLen - (count - 1) + 4 * count;
    const dst = Buffer.allocUnsafe(dstLen);
    const viaCore = (core) => () => {
      const n = core.encodeJoined(framing, max, msgs.join('\n'), dst);
      if (n !== dstLen) throw new Error(`encode returned ${n}, expected ${dstLen}`);
      sink.n += n;
    };
    const tasks = [
      ['native', viaCore(native)],
      ['twin', viaCore(twinBinding)],
    ];
    if (framing === 0) {
      tasks.push([
        'naive per-message Buffer + concat',
        () => {
          sink.n += Buffer.concat(msgs.map((m) => Buffer.from(`${m}\n`))).length;
        },
      ]);
      tasks.push([
        'join + Buffer.from (BatchWriter path)',
        () => {
          sink.n += Buffer.from(`${msgs.join('\n')}\n`).length;
        },
      ]);
    } else {
      tasks.push([
        'naive per-message Buffer + concat',
        () => {
          const parts = [];
          for (const m of msgs) {
            const body = Buffer.from(m);
            const h = Buffer.allocUnsafe(4);
            h.writeUInt32BE(body.length);
            parts.push(h, body);
          }
          sink.n += Buffer.concat(parts).length;
        },
      ]);
    }
    const t = await measure(tasks);
    const mbps = (ms) => dstLen / 1048576 / (ms / 1000);
    rows.push({
      op: framing === 0 ? 'encode ndjson' : 'encode length-prefixed',
      size: label(size),
      messages: count,
      bytes: dstLen,
      results: Object.fromEntries(
        Object.entries(t).map(([k, ms]) => [k, { ms, mbps: mbps(ms), msgsPerSec: count / (ms / 1000) }]),
      ),
    });
    console.error(`encode ${framing} ${label(size)} done`);
  }
}

// ---- report
const fmt = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const lines = [];
lines.push(
  '| operation | size | native MB/s | twin MB/s | native ÷ twin | naive (best) MB/s | native ÷ naive | native msg/s | other rows (MB/s) |',
);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const n = r.results.native;
  const tw = r.results.twin;
  const others = Object.entries(r.results).filter(([k]) => k !== 'native' && k !== 'twin');
  const naiveSplit = others.filter(([k]) => k.startsWith('naive'));
  const bestNaive = naiveSplit.reduce((a, b) => (b[1].mbps > a[1].mbps ? b : a));
  lines.push(
    `| ${r.op} | ${r.size} | ${fmt(n.mbps)} | ${fmt(tw.mbps)} | ${(n.mbps / tw.mbps).toFixed(2)}× | ${fmt(bestNaive[1].mbps)} (${bestNaive[0]}) | ${(n.mbps / bestNaive[1].mbps).toFixed(2)}× | ${fmt(n.msgsPerSec)} | ${others.map(([k, v]) => `${k}: ${fmt(v.mbps)}`).join('; ')} |`,
  );
}
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
console.log(`\nnmcp core benchmark — ${machine}; 64 KiB chunks; medians of tinybench samples (${TIME} ms per row)\n`);
console.log(lines.join('\n'));
if (args.json) writeFileSync(args.json, JSON.stringify({ machine, date: new Date().toISOString(), rows }, null, 2));
if (args.markdown) {
  const doc = [
    '# Core benchmark figures',
    '',
    '<!-- Generated by `npm run bench:core -- --markdown docs/benchmarks-core.md`. Do not edit by hand; the analysis is in docs/core-performance.md. -->',
    '',
    `Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Method: a stream of realistic `tools/call` messages (text with the escapes real text has) of each size, about',
    '32 MiB per iteration, delivered in 64 KiB chunks. Each row is the median of tinybench samples',
    `(${TIME} ms per task). Decode includes the envelope scan and reading each frame's kind, id and method through the`,
    'public FrameDecoder; "frames only" decodes with `envelope: false` (no scan: what a session\'s transport does) and',
    "reads each frame's length; the naive rows only split lines (no envelope) or split and `JSON.parse`. Encode frames a batch",
    'of up to 100 messages (the default batchSize) from strings into one buffer. MB/s are of framed bytes.',
    '',
    ...lines,
    '',
  ];
  writeFileSync(args.markdown, doc.join('\n'));
}
