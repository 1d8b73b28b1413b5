#!/usr/bin/env node
// `npm run bench:pool-args` (issue 8, point 1): how a call's arguments should reach a worker thread. Per argument
// size (200 B, 64 KiB, 1 MiB of JSON) and shape (`records`: many small objects; `text`: one long string), one call at
// a time into a one-thread piscina pool (what WorkerPool runs on), for each way of handing the arguments over:
//
//   clone            the parsed arguments object, structured-cloned by postMessage (what the session has at hand)
//   frame text       the request's frame text (the string the transport gave the session), cloned; the worker
//                    JSON.parses it and takes params.arguments — no second serialization
//   frame bytes      the frame's UTF-8 bytes, as if a transport kept them: copied out of its read buffer, transferred;
//                    the worker decodes and JSON.parses them
//   encode frame     the frame text encoded to UTF-8 (TextEncoder) on the main thread, transferred: the cost of
//                    obtaining bytes from what the session has (no JSON serialization, one encoding)
//   stringify bytes  JSON.stringify(arguments) + TextEncoder, transferred: the second JSON serialization
//   stringify text   JSON.stringify(arguments) as a string, cloned
//   pool: clone      the same two that matter through nmcp's WorkerPool (dist/), as McpServer's `runIn: 'worker'`
//   pool: frame text calls it: run(spec, args, ctx) vs run(spec, undefined, ctx, { source: { text, path } })
//
// Figures per call: `main` — the main thread's synchronous cost of issuing the call (obtaining what is sent, plus
// postMessage's serialization), what every other session waits for; `round trip` — until the worker's answer is back
// (the worker's decode/parse included). Medians over `--rounds` rounds that rotate the variants' order, `--ms` of calls
// per variant per round. Ratios are against `clone`.
//
//   npm run bench:pool-args -- [--ms 300] [--rounds 3] [--sizes 200,65536,1048576] [--json]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';

const { values } = parseArgs({
  options: {
    ms: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '200,65536,1048576' },
    json: { type: 'boolean', default: false },
  },
});
const msPerVariant = Number(values.ms);
if (!existsSync(new URL('../dist/pool/worker-pool.js', import.meta.url))) {
  console.error('bench:pool-args: dist/ is missing or stale: run `npm run build` first');
  process.exit(2);
}
const { WorkerPool } = await import('../dist/pool/worker-pool.js');
const nmcpPool = new WorkerPool({ workerCount: 1, maxOverflow: 0 });
const keysSpec = { module: new URL('./peers/pool-args-worker.mjs', import.meta.url), export: 'keys' };
const ARGUMENTS_PATH = ['params', 'arguments'];
const rounds = Number(values.rounds);

const pool = new Piscina({
  filename: fileURLToPath(new URL('./peers/pool-args-worker.mjs', import.meta.url)),
  minThreads: 1,
  maxThreads: 1,
  idleTimeout: Number.POSITIVE_INFINITY,
});
const encoder = new TextEncoder();

function records(bytes) {
  const out = { query: 'find', records: [] };
  for (let i = 0; JSON.stringify(out).length < bytes; i++) {
    out.records.push({
      id: i,
      name: `user-${i}`,
      email: `user${i}@example.com`,
      tags: ['alpha', 'beta'],
      score: i * 1.5,
      active: i % 2 === 0,
      address: { city: 'Zürich', zip: String(8000 + (i % 100)) },
    });
  }
  return out;
}
function text(bytes) {
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';
  return { language: 'la', text: words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes - 30) };
}

/** One request as the session gets it: the frame text, the bytes it came as, and the parsed arguments. */
function request(args) {
  const frameText = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"work","arguments":${JSON.stringify(args)},"_meta":{"progressToken":7}}}`;
  return { frameText, frameBytes: encoder.encode(frameText), args: JSON.parse(frameText).params.arguments };
}

// Each variant: what the main thread does to issue one call (returns the call's promise).
const variants = {
  clone: (r) => pool.run({ args: r.args }),
  'frame text': (r) => pool.run({ text: r.frameText, frame: true }),
  'frame bytes': (r) => {
    const bytes = r.frameBytes.slice();
    return pool.run({ bytes, frame: true }, { transferList: [bytes.buffer] });
  },
  'encode frame': (r) => {
    const bytes = encoder.encode(r.frameText);
    return pool.run({ bytes, frame: true }, { transferList: [bytes.buffer] });
  },
  'stringify bytes': (r) => {
    const bytes = encoder.encode(JSON.stringify(r.args));
    return pool.run({ bytes }, { transferList: [bytes.buffer] });
  },
  'stringify text': (r) => pool.run({ text: JSON.stringify(r.args) }),
  'pool: clone': (r) => nmcpPool.run(keysSpec, r.args, {}),
  'pool: frame text': (r) =>
    nmcpPool.run(keysSpec, undefined, {}, { source: { text: r.frameText, path: ARGUMENTS_PATH } }),
};
const names = Object.keys(variants);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function sample(variant, r, into) {
  const until = performance.now() + msPerVariant;
  do {
    const t0 = performance.now();
    const call = variant(r);
    const t1 = performance.now();
    await call;
    const t2 = performance.now();
    into.main.push(t1 - t0);
    into.trip.push(t2 - t0);
  } while (performance.now() < until);
}

const sizeLabel = (n) =>
  n >= 1 << 20 && n % (1 << 20) === 0 ? `${n >> 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n >> 10} KiB` : `${n} B`;
const cases = [];
for (const [shape, make] of [
  ['records', records],
  ['text', text],
]) {
  for (const size of values.sizes.split(',').map(Number)) {
    cases.push({ shape, label: sizeLabel(size), r: request(make(size)) });
  }
}

// Warm up: the worker started, every path compiled (on the smallest case for a while, then each case a little).
for (const n of names) await sample(variants[n], cases[0].r, { main: [], trip: [] });
for (const c of cases) for (const n of names) for (let i = 0; i < 10; i++) await variants[n](c.r);

const results = [];
for (const c of cases) {
  const acc = Object.fromEntries(names.map((n) => [n, { main: [], trip: [] }]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const n of order) await sample(variants[n], c.r, acc[n]);
  }
  const row = {
    shape: c.shape,
    size: c.label,
    argumentBytes: encoder.encode(JSON.stringify(c.r.args)).length,
    variants: Object.fromEntries(
      names.map((n) => [
        n,
        { mainUs: median(acc[n].main) * 1000, roundTripUs: median(acc[n].trip) * 1000, calls: acc[n].main.length },
      ]),
    ),
  };
  results.push(row);
  process.stderr.write(`  ${c.shape} ${c.label}: done\n`);
}
await pool.destroy();
await nmcpPool.close();

if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, msPerVariant, rounds, results }, null, 2)}\n`);
} else {
  const us = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [
    '',
    `median µs per call (one call at a time, one worker; ${rounds} round(s) × ${msPerVariant} ms per variant), ratio to clone:`,
  ];
  for (const row of results) {
    const base = row.variants.clone;
    lines.push(
      '',
      `${row.shape}, ${row.size} (${row.argumentBytes} bytes of arguments):`,
      '',
      '| variant | main | × clone | round trip | × clone |',
      '|---|---:|---:|---:|---:|',
    );
    for (const n of names) {
      const v = row.variants[n];
      lines.push(
        `| ${n} | ${us(v.mainUs)} | ${(v.mainUs / base.mainUs).toFixed(2)} | ${us(v.roundTripUs)} | ${(v.roundTripUs / base.roundTripUs).toFixed(2)} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
