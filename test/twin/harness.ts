/**
 * Test harness for any `CoreBinding` (docs/core-api.md): the vector formats, envelope decoding and the JSON.parse
 * oracle, and a decoder driver that checks the push protocol's invariants on every call.
 */

import { Buffer } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type CoreBinding, Framing, Kind, RECORD_STRIDE, Status, ValueType } from '../../src/native/binding-types.js';

// ---------------------------------------------------------------------------------------------------------------
// Vector formats (docs/core-api.md §Test vectors)

export interface SpanExpect {
  type: 'number' | 'string' | 'null' | 'other';
  text: string;
  escaped?: boolean;
}
export interface EnvelopeVector {
  name: string;
  input?: string;
  inputHex?: string;
  kind: KindName;
  id?: SpanExpect;
  method?: SpanExpect;
}
export type RecordExpect =
  | { frame: string; kind: KindName }
  | { frameHex: string; kind: KindName }
  | { error: ErrorName; detail?: number };
export interface DecoderVector {
  name: string;
  maxMessageSize: number;
  chunks?: string[];
  chunksHex?: string[];
  expect: RecordExpect[];
}
export interface EncodeVector {
  name: string;
  framing: 'ndjson' | 'length-prefixed';
  maxMessageSize: number;
  payloads: string[];
  expectHex?: string;
  expectError?: number;
}

export type KindName = 'invalid' | 'request' | 'notification' | 'response' | 'error' | 'batch' | 'other';
export type ErrorName = 'too_large' | 'too_large_fatal' | 'corrupt_header' | 'decoder_failed';

const KIND_NAMES: readonly KindName[] = ['invalid', 'request', 'notification', 'response', 'error', 'batch', 'other'];
const TYPE_NAMES = ['absent', 'number', 'string', 'null', 'other'] as const;
const ERROR_NAMES: Record<number, ErrorName> = {
  [Status.ERR_TOO_LARGE]: 'too_large',
  [Status.ERR_TOO_LARGE_FATAL]: 'too_large_fatal',
  [Status.ERR_CORRUPT_HEADER]: 'corrupt_header',
  [Status.ERR_DECODER_FAILED]: 'decoder_failed',
};

const vectorsDir = new URL('../vectors/', import.meta.url);

/** Reads test/vectors/<file>, or undefined while it does not exist yet. */
export function loadVectors<T>(file: string): T[] | undefined {
  const url = new URL(file, vectorsDir);
  if (!existsSync(url)) return undefined;
  return JSON.parse(readFileSync(url, 'utf8')) as T[];
}

// ---------------------------------------------------------------------------------------------------------------
// Envelope helpers

/**
 * UTF-8 decoding that keeps a leading BOM: a default TextDecoder strips EF BB BF, which would make the spec's oracle
 * accept a BOM-prefixed text the grammar rejects, and would drop a U+FEFF that begins a string span.
 */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const oracleDecoder = utf8;

export interface Span {
  type: (typeof TYPE_NAMES)[number];
  text: string;
  escaped: boolean;
}
export interface Envelope {
  kind: KindName;
  id?: Span;
  method?: Span;
}

/** Decodes cols 3..7 (at `cols[o..o+5)`) of a record for `frame` into the vector shape, checking span invariants. */
export function unpackEnvelope(frame: Uint8Array, cols: Int32Array, o = 0): Envelope {
  const packed = cols[o]!;
  const kind = packed & 0xf;
  expect(kind).toBeLessThanOrEqual(Kind.OTHER);
  expect(packed >>> 20).toBe(0);
  const env: Envelope = { kind: KIND_NAMES[kind]! };
  const id = unpackSpan(frame, (packed >> 4) & 0xf, (packed >> 8) & 0xf, cols[o + 1]!, cols[o + 2]!);
  const method = unpackSpan(frame, (packed >> 12) & 0xf, (packed >> 16) & 0xf, cols[o + 3]!, cols[o + 4]!);
  if (id) env.id = id;
  if (method) env.method = method;
  if (kind === Kind.INVALID || kind === Kind.BATCH) {
    expect(id).toBeUndefined();
    expect(method).toBeUndefined();
  }
  if (kind === Kind.RESPONSE || kind === Kind.ERROR || kind === Kind.OTHER) expect(method).toBeUndefined();
  return env;
}

function unpackSpan(frame: Uint8Array, type: number, escaped: number, start: number, end: number): Span | undefined {
  expect(type).toBeLessThanOrEqual(ValueType.OTHER);
  if (type === ValueType.ABSENT) {
    expect([escaped, start, end]).toEqual([0, -1, -1]);
    return undefined;
  }
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThanOrEqual(start);
  expect(end).toBeLessThanOrEqual(frame.length);
  const bytes = frame.subarray(start, end);
  const hasBackslash = bytes.includes(0x5c);
  if (type === ValueType.STRING) expect(escaped).toBe(hasBackslash ? 1 : 0);
  else expect(escaped).toBe(0);
  return { type: TYPE_NAMES[type]!, text: utf8.decode(bytes), escaped: escaped === 1 };
}

/** JS value of a span, as docs/core-api.md tells JS to build it. */
export function spanValue(span: Span): unknown {
  switch (span.type) {
    case 'number':
      return Number(span.text);
    case 'string':
      return span.escaped ? JSON.parse(`"${span.text}"`) : span.text;
    case 'null':
      return null;
    default:
      return JSON.parse(span.text);
  }
}

export function scan(binding: CoreBinding, frame: Uint8Array): Envelope {
  const cols = new Int32Array(5).fill(0x5a5a5a5a);
  binding.scanEnvelope(frame, cols);
  return unpackEnvelope(frame, cols);
}

/** What scanEnvelope must report for `bytes`, derived from V8's JSON.parse (the spec's oracle). */
export function oracleEnvelope(bytes: Uint8Array): { kind: KindName; id?: unknown; method?: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(oracleDecoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return { kind: 'batch' };
  if (value === null || typeof value !== 'object') return { kind: 'other' };
  const obj = value as Record<string, unknown>;
  const has = (k: string) => Object.hasOwn(obj, k);
  const kind: KindName = has('method')
    ? has('id')
      ? 'request'
      : 'notification'
    : has('error')
      ? 'error'
      : has('result')
        ? 'response'
        : 'other';
  const res: { kind: KindName; id?: unknown; method?: unknown } = { kind };
  if (has('id')) res.id = obj.id;
  if (has('method')) res.method = obj.method;
  return res;
}

function typeOfValue(v: unknown): Span['type'] {
  if (v === null) return 'null';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

/** Asserts that scanEnvelope on `bytes` agrees with JSON.parse (kind, id and method types and values). */
export function expectAgreesWithJsonParse(binding: CoreBinding, bytes: Uint8Array): void {
  const env = scan(binding, bytes);
  const oracle = oracleEnvelope(bytes);
  if (oracle === undefined) {
    expect(env.kind).toBe('invalid');
    return;
  }
  expect(env.kind).toBe(oracle.kind);
  for (const key of ['id', 'method'] as const) {
    const span = env[key];
    if (!Object.hasOwn(oracle, key)) {
      expect(span).toBeUndefined();
      continue;
    }
    expect(span).toBeDefined();
    expect(span!.type).toBe(typeOfValue(oracle[key]));
    expect(spanValue(span!)).toStrictEqual(oracle[key]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoder driver

export type DecodedRecord =
  | { frameHex: string; envelope: Envelope; assembled: boolean }
  | { error: ErrorName; detail: number };

export interface DriveOptions {
  /** Records that fit in `out` per push (default 64). */
  capacity?: number;
  /** Record slot where push writes its first record (default 0). */
  outRecordStart?: number;
  /** Extra i32 past the last whole slot (checks `out.length` that is not a multiple of 8). */
  slack?: number;
}

const SENTINEL = 0x7eadbeef;

/**
 * Feeds `chunks` to a new decoder the way a caller must (re-pushing from `out[0]` until a chunk is consumed, taking each
 * assembled frame) and returns the records, after checking the protocol's invariants on every call.
 */
export function drive(
  binding: CoreBinding,
  framing: number,
  maxMessageSize: number,
  chunks: readonly Uint8Array[],
  options: DriveOptions = {},
): DecodedRecord[] {
  const decoder = binding.createDecoder(framing, maxMessageSize);
  const capacity = options.capacity ?? 64;
  const first = options.outRecordStart ?? 0;
  const out = new Int32Array(RECORD_STRIDE * (1 + first + capacity) + (options.slack ?? 0));
  const records: DecodedRecord[] = [];
  for (const chunk of chunks) {
    let pos = 0;
    let pushes = 0;
    do {
      out.fill(SENTINEL);
      const n = decoder.push(chunk, pos, out, first);
      const consumed = out[0]!;
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(capacity);
      expect(consumed).toBeGreaterThanOrEqual(pos);
      expect(consumed).toBeLessThanOrEqual(chunk.length);
      // Stops early only with a full `out`; never touches the slots before its first record or after its last.
      if (consumed < chunk.length) expect(n).toBe(capacity);
      expect(untouched(out, RECORD_STRIDE, RECORD_STRIDE * (1 + first)), 'slots before outRecordStart').toBe(true);
      expect(untouched(out, RECORD_STRIDE * (1 + first + n), out.length), 'past the last record').toBe(true);
      for (let r = 0; r < n; r++) {
        const base = RECORD_STRIDE * (1 + first + r);
        records.push(readRecord(decoder, chunk, out, base, r));
      }
      if (n === 0) expect(consumed).toBe(chunk.length);
      pos = consumed;
      pushes++;
      expect(pushes).toBeLessThanOrEqual(chunk.length + 2);
    } while (pos < chunk.length);
  }
  return records;
}

function untouched(out: Int32Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (out[k] !== SENTINEL) return false;
  return true;
}

function readRecord(
  decoder: ReturnType<CoreBinding['createDecoder']>,
  chunk: Uint8Array,
  out: Int32Array,
  base: number,
  r: number,
): DecodedRecord {
  const status = out[base]!;
  if (status === Status.FRAME || status === Status.FRAME_ASSEMBLED) {
    const start = out[base + 1]!;
    const end = out[base + 2]!;
    let frame: Uint8Array;
    if (status === Status.FRAME) {
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeGreaterThan(start);
      expect(end).toBeLessThanOrEqual(chunk.length);
      frame = chunk.slice(start, end);
    } else {
      // At most one per push, always the first record; fetched before anything else happens.
      expect(r).toBe(0);
      expect(start).toBe(0);
      expect(end).toBeGreaterThan(0);
      frame = new Uint8Array(end);
      decoder.takeAssembled(frame);
    }
    const envelope = unpackEnvelope(frame, out, base + 3);
    return { frameHex: Buffer.from(frame).toString('hex'), envelope, assembled: status === Status.FRAME_ASSEMBLED };
  }
  const error = ERROR_NAMES[status];
  expect(error, `status ${status}`).toBeDefined();
  expect([out[base + 2], out[base + 3], out[base + 4], out[base + 5], out[base + 6], out[base + 7]]).toEqual([
    0, 0, -1, -1, -1, -1,
  ]);
  const detail = out[base + 1]! >>> 0;
  if (status !== Status.ERR_TOO_LARGE_FATAL) expect(detail).toBe(0);
  return { error: error!, detail };
}

/** Records without the chunking-dependent parts (FRAME vs FRAME_ASSEMBLED), as comparable plain data. */
export function normalize(records: readonly DecodedRecord[]): unknown[] {
  return records.map((rec) =>
    'error' in rec ? { error: rec.error, detail: rec.detail } : { frameHex: rec.frameHex, envelope: rec.envelope },
  );
}

/**
 * After a fatal length-prefixed error every later push yields one `decoder_failed`, so how many appear depends on the
 * number of pushes (chunking). Checks that and drops them, for comparisons across chunkings.
 */
export function dropAfterFatal(records: readonly DecodedRecord[]): DecodedRecord[] {
  const fatal = records.findIndex(
    (r) => 'error' in r && (r.error === 'too_large_fatal' || r.error === 'corrupt_header'),
  );
  if (fatal < 0) return [...records];
  for (const later of records.slice(fatal + 1)) expect(later).toEqual({ error: 'decoder_failed', detail: 0 });
  return records.slice(0, fatal + 1);
}

function hexOf(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

function vectorChunks(v: DecoderVector): Buffer[] {
  if (v.chunksHex) return v.chunksHex.map((h) => Buffer.from(h, 'hex'));
  return (v.chunks ?? []).map((t) => Buffer.from(t, 'utf8'));
}

/** A vector's expectation in the shape `simplify` produces. */
function expectedRecords(v: DecoderVector): unknown[] {
  return v.expect.map((e) => {
    if ('error' in e) return e.detail === undefined ? { error: e.error } : { error: e.error, detail: e.detail };
    return { frameHex: 'frame' in e ? hexOf(e.frame) : e.frameHex.toLowerCase(), kind: e.kind };
  });
}

/** Records in the vector shape; `detail` only where the vector states it. */
function simplify(records: readonly DecodedRecord[], v: DecoderVector): unknown[] {
  return records.map((rec, i) => {
    if (!('error' in rec)) return { frameHex: rec.frameHex, kind: rec.envelope.kind };
    const stated = v.expect[i];
    return stated && 'error' in stated && stated.detail !== undefined
      ? { error: rec.error, detail: rec.detail }
      : { error: rec.error };
  });
}

/** Runs one decoder vector as given, re-cut (one piece, 1-byte chunks) and with an `out` of exactly 1 record. */
export function runDecoderVector(binding: CoreBinding, framing: number, v: DecoderVector): void {
  const chunks = vectorChunks(v);
  const expected = expectedRecords(v);
  const asGiven = drive(binding, framing, v.maxMessageSize, chunks);
  expect(simplify(asGiven, v), 'as given').toEqual(expected);
  expect(simplify(drive(binding, framing, v.maxMessageSize, chunks, { capacity: 1 }), v), 'out of 1 record').toEqual(
    expected,
  );

  // Re-cut: decoder_failed records count pushes after a failure, so those are compared without them.
  const whole = Buffer.concat(chunks);
  const reference = dropAfterFatal(asGiven);
  const recuts: Array<[string, Buffer[], DriveOptions]> = [
    ['one piece', [whole], {}],
    ['1-byte chunks', [...whole].map((b) => Buffer.of(b)), {}],
    ['1-byte chunks, out of 1 record', [...whole].map((b) => Buffer.of(b)), { capacity: 1, outRecordStart: 2 }],
  ];
  for (const [label, pieces, opts] of recuts) {
    const got = dropAfterFatal(drive(binding, framing, v.maxMessageSize, pieces, opts));
    expect(normalize(got), label).toEqual(normalize(reference));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encode helpers

export function framingCode(name: 'ndjson' | 'length-prefixed'): number {
  return name === 'ndjson' ? Framing.NDJSON : Framing.LENGTH_PREFIXED;
}

/** Packs payloads into the (payloads, ends) form of encodeFrames and calls it with a dst of exactly the size needed. */
export function encodeFramesOf(binding: CoreBinding, framing: number, max: number, payloads: readonly Uint8Array[]) {
  const joined = Buffer.concat(payloads);
  const ends = new Uint32Array(payloads.length);
  let at = 0;
  payloads.forEach((p, i) => {
    at += p.length;
    ends[i] = at;
  });
  const dst = new Uint8Array(joined.length + payloads.length * (framing === Framing.NDJSON ? 1 : 4));
  const n = binding.encodeFrames(framing, max, joined, ends, payloads.length, dst);
  return { n, dst };
}

/** Calls encodeJoined with a dst of exactly the size the spec requires. */
export function encodeJoinedOf(binding: CoreBinding, framing: number, max: number, messages: readonly string[]) {
  const joined = messages.join('\n');
  const bytes = Buffer.byteLength(joined);
  const size = framing === Framing.NDJSON ? bytes + 1 : bytes - (messages.length - 1) + 4 * messages.length;
  const dst = new Uint8Array(size);
  const n = binding.encodeJoined(framing, max, joined, dst);
  return { n, dst };
}

export function runEncodeVector(binding: CoreBinding, v: EncodeVector): void {
  const framing = framingCode(v.framing);
  const payloads = v.payloads.map((p) => Buffer.from(p, 'utf8'));
  const frames = encodeFramesOf(binding, framing, v.maxMessageSize, payloads);
  if (v.expectError !== undefined) {
    expect(frames.n).toBe(-(v.expectError + 1));
  } else {
    expect(frames.n).toBe(frames.dst.length);
    expect(Buffer.from(frames.dst).toString('hex')).toBe(v.expectHex?.toLowerCase());
  }
  // encodeJoined can only express payloads without '\n' (its separator), and needs at least one message.
  if (v.payloads.length === 0 || v.payloads.some((p) => p.includes('\n'))) return;
  const joined = encodeJoinedOf(binding, framing, v.maxMessageSize, v.payloads);
  if (v.expectError !== undefined) {
    expect(joined.n).toBe(-(v.expectError + 1));
  } else {
    expect(joined.n).toBe(joined.dst.length);
    expect(Buffer.from(joined.dst).toString('hex')).toBe(v.expectHex?.toLowerCase());
  }
}

/** A length-prefixed frame (4-byte big-endian length + UTF-8 payload), as hex. */
export function lp(payload: string): string {
  const body = Buffer.from(payload, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]).toString('hex');
}
