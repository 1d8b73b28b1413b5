/**
 * fast-check generators for the core properties: a JSON serializer with random whitespace, escapes, key order and
 * duplicate keys; JSON-RPC-shaped values; mutations; and message streams with the models they must decode to.
 */

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { Framing } from '../../src/native/binding-types.js';
import type { ErrorName } from './harness.js';

type Gen = fc.GeneratorValue;
type Json = fc.JsonValue;

const WS = ['', '', '', '', ' ', '\n', '\t', '\r\n', '  ', ' \r\t\n '];

export function ws(g: Gen): string {
  return g(fc.constantFrom, ...WS);
}

/** A JSON string literal for `s`, with some characters written as (random-case) \u escapes or `\/`. */
function stringLiteral(g: Gen, s: string): string {
  const mode = g(fc.constantFrom, 'plain', 'plain', 'escapes');
  if (mode === 'plain') return JSON.stringify(s);
  const mask = g(fc.integer, { min: 0, max: 0x7fffffff });
  const upper = g(fc.boolean);
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((mask >>> (k % 31)) & 1) {
      if (c === 0x2f && upper) out += '\\/';
      else {
        const hex = c.toString(16).padStart(4, '0');
        out += `\\u${upper ? hex.toUpperCase() : hex}`;
      }
    } else {
      out += JSON.stringify(s[k]).slice(1, -1);
    }
  }
  return `${out}"`;
}

function numberLiteral(g: Gen, n: number): string {
  const form = g(fc.constantFrom, 'json', 'json', 'exp', 'EXP');
  if (form === 'json' || !Number.isFinite(n)) return JSON.stringify(n);
  const e = n.toExponential();
  return form === 'exp' ? e : e.toUpperCase();
}

/**
 * Serializes a JSON value with random whitespace between tokens, random escapes, random key order, and sometimes
 * decoy members (a duplicate key, or an envelope name) that JSON.parse's last-wins rule sorts out.
 */
export function serialize(g: Gen, v: Json, depth = 0): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return numberLiteral(g, v);
  if (typeof v === 'string') return stringLiteral(g, v);
  if (Array.isArray(v)) {
    if (v.length === 0) return `[${ws(g)}]`;
    return `[${ws(g)}${v.map((e) => serialize(g, e, depth + 1)).join(`${ws(g)},${ws(g)}`)}${ws(g)}]`;
  }
  const entries: Array<[string, Json]> = Object.entries(v).filter((e): e is [string, Json] => e[1] !== undefined);
  const members = g(fc.shuffledSubarray, entries, { minLength: entries.length, maxLength: entries.length });
  if (depth < 2 && g(fc.integer, { min: 0, max: 3 }) === 0) {
    const decoyKey = g(fc.constantFrom, 'id', 'method', 'result', 'error', ...entries.map((e) => e[0]));
    const decoy = g(fc.jsonValue, { maxDepth: 1 });
    members.splice(g(fc.integer, { min: 0, max: members.length }), 0, [decoyKey, decoy]);
  }
  if (members.length === 0) return `{${ws(g)}}`;
  const body = members
    .map(([k, val]) => `${stringLiteral(g, k)}${ws(g)}:${ws(g)}${serialize(g, val, depth + 1)}`)
    .join(`${ws(g)},${ws(g)}`);
  return `{${ws(g)}${body}${ws(g)}}`;
}

const idArb = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary' }),
  fc.constant(null),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const nestedArb = fc.record(
  { id: idArb, method: fc.string(), result: fc.jsonValue({ maxDepth: 1 }), x: fc.jsonValue({ maxDepth: 1 }) },
  { requiredKeys: [] },
);
/** Objects shaped like JSON-RPC messages, any subset of the envelope keys, with nested look-alikes. */
export const envelopeLikeArb: fc.Arbitrary<Json> = fc.record(
  {
    jsonrpc: fc.constant('2.0'),
    id: idArb,
    method: fc.oneof(fc.string({ unit: 'binary' }), idArb),
    params: fc.oneof(nestedArb, fc.array(nestedArb, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
    result: fc.oneof(nestedArb, fc.jsonValue({ maxDepth: 2 })),
    error: fc.oneof(fc.record({ code: fc.integer(), message: fc.string(), data: nestedArb }), idArb),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Json>;

/** Bytes worth inserting into valid JSON to break it (or not). */
export const MUTATION_BYTES = [...'{}[]",:\\ \t\r\n0123456789-+.eEtrufalsn/xu']
  .map((c) => c.charCodeAt(0))
  .concat([0, 0x1f, 0x7f, 0x80, 0xc3, 0xff]);

export const mutationArb = fc.record({
  op: fc.constantFrom('insert', 'delete', 'replace'),
  at: fc.nat(),
  byte: fc.constantFrom(...MUTATION_BYTES),
});

export function mutate(bytes: Buffer, mutations: ReadonlyArray<{ op: string; at: number; byte: number }>): Buffer {
  const b = [...bytes];
  for (const m of mutations) {
    const at = m.at % (b.length + 1);
    if (m.op === 'insert') b.splice(at, 0, m.byte);
    else if (b.length > 0) {
      const i = at % b.length;
      if (m.op === 'delete') b.splice(i, 1);
      else b[i] = m.byte;
    }
  }
  return Buffer.from(b);
}

// Stream pieces. Each piece is bytes plus the records a whole-stream model expects from it.
export const messageArb = fc.oneof(envelopeLikeArb, fc.jsonValue({ maxDepth: 2 }));

/** The NDJSON model: split at '\n', strip one '\r', skip empty lines, too-large lines become errors. */
export function ndjsonModel(stream: Buffer, max: number): Array<{ frameHex: string } | { error: ErrorName }> {
  const res: Array<{ frameHex: string } | { error: ErrorName }> = [];
  let pos = 0;
  for (;;) {
    const nl = stream.indexOf(0x0a, pos);
    if (nl < 0) {
      if (stream.length - pos >= max + 2) res.push({ error: 'too_large' });
      return res;
    }
    let end = nl;
    if (end > pos && stream[end - 1] === 0x0d) end--;
    if (end - pos > max) res.push({ error: 'too_large' });
    else if (end > pos) res.push({ frameHex: stream.subarray(pos, end).toString('hex') });
    pos = nl + 1;
  }
}

/** The length-prefixed model. */
export function lengthPrefixedModel(stream: Buffer, max: number): Array<{ frameHex: string } | { error: ErrorName }> {
  const res: Array<{ frameHex: string } | { error: ErrorName }> = [];
  let pos = 0;
  while (pos + 4 <= stream.length) {
    const n = stream.readUInt32BE(pos);
    if (n === 0) return [...res, { error: 'corrupt_header' }];
    if (n > max) return [...res, { error: 'too_large_fatal' }];
    if (pos + 4 + n > stream.length) break;
    res.push({ frameHex: stream.subarray(pos + 4, pos + 4 + n).toString('hex') });
    pos += 4 + n;
  }
  return res;
}

function ndjsonPieceArb(max: number): fc.Arbitrary<Buffer> {
  const line = (body: fc.Arbitrary<Buffer>) =>
    fc.tuple(body, fc.constantFrom('\n', '\n', '\r\n')).map(([b, eol]) => Buffer.concat([b, Buffer.from(eol)]));
  return fc.oneof(
    { weight: 6, arbitrary: line(messageArb.map((m) => Buffer.from(JSON.stringify(m)))) },
    { weight: 1, arbitrary: line(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b.filter((x) => x !== 10)))) },
    { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', '\r\r\n', ' \n').map((s) => Buffer.from(s)) },
    // Lines around the limit, with and without '\r'.
    {
      weight: 2,
      arbitrary: line(fc.integer({ min: Math.max(0, max - 2), max: max + 3 }).map((n) => Buffer.alloc(n, 0x31))),
    },
    { weight: 1, arbitrary: line(fc.integer({ min: max, max: max * 4 + 8 }).map((n) => Buffer.alloc(n, 0x22))) },
    // Long strings: the scan's word-at-a-time path, on frames at any offset in a chunk.
    {
      weight: 1,
      arbitrary: line(
        fc.string({ minLength: 60, maxLength: 250 }).map((t) => Buffer.from(JSON.stringify({ method: t }))),
      ),
    },
  );
}

function lengthPrefixedPieceArb(max: number): fc.Arbitrary<Buffer> {
  const frame = (body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    return Buffer.concat([head, body]);
  };
  return fc.oneof(
    {
      weight: 6,
      arbitrary: messageArb
        .map((m) => Buffer.from(JSON.stringify(m)))
        .filter((b) => b.length <= max)
        .map(frame),
    },
    {
      weight: 2,
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: Math.min(max, 60) }).map((b) => frame(Buffer.from(b))),
    },
  );
}

/** A stream: pieces, then sometimes a tail (unterminated line / partial frame / bad header followed by junk). */
export function streamArb(framing: number): fc.Arbitrary<{ max: number; stream: Buffer }> {
  return fc.integer({ min: 8, max: 300 }).chain((max) => {
    const pieces = fc.array(framing === Framing.NDJSON ? ndjsonPieceArb(max) : lengthPrefixedPieceArb(max), {
      maxLength: 25,
    });
    const tail =
      framing === Framing.NDJSON
        ? fc.oneof(
            fc.constant(Buffer.alloc(0)),
            fc.integer({ min: 1, max: max * 2 + 4 }).map((n) => Buffer.alloc(n, 0x5b)),
          )
        : fc.oneof(
            fc.constant(Buffer.alloc(0)),
            fc.uint8Array({ maxLength: 3 }).map((b) => Buffer.from(b)),
            fc.tuple(fc.constantFrom(0, max + 1, 0xffffffff), fc.uint8Array({ maxLength: 20 })).map(([n, junk]) => {
              const head = Buffer.alloc(4);
              head.writeUInt32BE(n);
              return Buffer.concat([head, junk]);
            }),
          );
    return fc.tuple(pieces, tail).map(([p, t]) => ({ max, stream: Buffer.concat([...p, t]) }));
  });
}

export function cutAt(stream: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, stream.length]) {
    // Chunks are copies in fresh buffers, and sometimes views at an offset into a larger buffer.
    const copy = Buffer.alloc(p - prev + 3);
    stream.copy(copy, 1, prev, p);
    pieces.push(copy.subarray(1, 1 + p - prev));
    prev = p;
  }
  return pieces;
}
