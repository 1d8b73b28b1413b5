/**
 * The forwarding rewrite of the TypeScript twin (docs/core-api.md §Forward): frames copied with their top-level `id`
 * replaced and, on request, the namespace prefix cut off `params.name` — in the bytes, byte-identical to the native
 * core (crates/nmcp-core/src/forward.rs), with the same statuses and the same argument errors.
 *
 * The frame is validated once by the envelope scan, which also gives the id span. Only when a prefix is stripped does a
 * second walk find `params` → `name`; it skips values by bracket depth, which is exact because the text is valid.
 */

import type { Buffer } from 'node:buffer';
import { ForwardStatus, Kind, ValueType } from '../binding-types.js';
import { scanEnvelopeRange, toBuffer } from './envelope.js';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** `params` and `name` as bytes, for comparing keys without building strings. */
const PARAMS = [0x70, 0x61, 0x72, 0x61, 0x6d, 0x73];
const NAME = [0x6e, 0x61, 0x6d, 0x65];

/** Pieces up to this long are copied by a byte loop; longer ones by Buffer#copy (a native call that costs ~50 ns). */
const SHORT_COPY = 48;

/** Strings still open after this many bytes are searched with indexOf instead of a byte loop. */
const LONG_RUN = 64;

/** Envelope scan output, reused by every frame. */
const env = new Int32Array(5);

// The plan of the last successful `plan` call: old id range (quotes included) and name cut, absolute offsets.
let idFrom = 0;
let idTo = 0;
let cutFrom = 0;
let cutTo = 0;

// Results of `memberValue` (module-level so that the hot path allocates nothing).
let foundValue = 0;
let valueStart = 0;
let valueEnd = 0;
let foundInner = 0;
let innerStart = 0;
let innerEnd = 0;

function skipWs(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = buf[i]!;
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/**
 * The index of the closing quote of the (valid) string whose body starts at `i`, or -1 when there is none before
 * `end` (which a validated text rules out).
 */
function stringEnd(buf: Buffer, i: number, end: number): number {
  const body = i;
  const shortEnd = Math.min(end, i + LONG_RUN);
  while (i < shortEnd) {
    const c = buf[i]!;
    if (c === QUOTE) return i;
    i += c === BACKSLASH ? 2 : 1;
  }
  // Long strings (file contents, base64): indexOf finds each quote, and the parity of the backslashes right before it
  // tells an escaped one.
  for (;;) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0 || q >= end) return -1;
    let k = q - 1;
    while (k >= body && buf[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    i = q + 1;
  }
}

function hasBackslash(buf: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (buf[k] === BACKSLASH) return true;
  return false;
}

/** The end of the valid JSON value at `buf[i]`, or -1. */
function skipValue(buf: Buffer, i: number, end: number): number {
  if (i >= end) return -1;
  const c = buf[i]!;
  if (c === QUOTE) {
    const close = stringEnd(buf, i + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (c === LBRACE || c === LBRACKET) {
    let depth = 1;
    let j = i + 1;
    while (j < end) {
      const b = buf[j]!;
      if (b === QUOTE) {
        const close = stringEnd(buf, j + 1, end);
        if (close < 0) return -1;
        j = close + 1;
      } else if (b === LBRACE || b === LBRACKET) {
        depth++;
        j++;
      } else if (b === RBRACE || b === RBRACKET) {
        j++;
        if (--depth === 0) return j;
      } else {
        j++;
      }
    }
    return -1;
  }
  // A scalar (number or literal): it ends at the first structural byte or whitespace.
  let j = i + 1;
  while (j < end) {
    const b = buf[j]!;
    if (b === COMMA || b === RBRACE || b === RBRACKET || b === SPACE || b === LF || b === CR || b === TAB) break;
    j++;
  }
  return j;
}

function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** Whether the key body `buf[s..e)` (escapes as written) decodes to the ASCII name `want`. */
function keyEquals(buf: Buffer, s: number, e: number, escaped: boolean, want: readonly number[]): boolean {
  if (!escaped) {
    if (e - s !== want.length) return false;
    for (let k = 0; k < want.length; k++) if (buf[s + k] !== want[k]) return false;
    return true;
  }
  let n = 0;
  let k = s;
  while (k < e) {
    let c = buf[k]!;
    if (c === BACKSLASH) {
      const x = buf[k + 1]!;
      k += 2;
      if (x === 0x75) {
        let unit = 0;
        for (let h = 0; h < 4; h++) unit = (unit << 4) | hexValue(buf[k + h]!);
        k += 4;
        // `want` is ASCII: a non-ASCII code unit never matches.
        if (unit >= 0x80) return false;
        c = unit;
      } else if (x === 0x62) c = 0x08;
      else if (x === 0x66) c = 0x0c;
      else if (x === 0x6e) c = LF;
      else if (x === 0x72) c = CR;
      else if (x === 0x74) c = TAB;
      else c = x;
    } else {
      k++;
    }
    if (n >= want.length || want[n] !== c) return false;
    n++;
  }
  return n === want.length;
}

/**
 * Walks the valid object opening at `buf[open]` for its member `key` (the last one, as JSON.parse keeps): returns the
 * position after the closing brace, or -1 when the bytes are not an object. When found, `foundValue` is 1 and
 * valueStart/valueEnd hold its value span (quotes included). With `inner`, an object value of `key` is walked for its
 * member `inner` in the same pass (innerStart/innerEnd, `foundInner`) instead of being skipped and read again.
 */
function memberValue(
  buf: Buffer,
  open: number,
  end: number,
  key: readonly number[],
  inner: readonly number[] | null,
): number {
  if (buf[open] !== LBRACE) return -1;
  let found = 0;
  let start = 0;
  let stop = 0;
  let hasInner = 0;
  let iStart = 0;
  let iEnd = 0;
  let i = skipWs(buf, open + 1, end);
  if (buf[i] === RBRACE) {
    foundValue = 0;
    foundInner = 0;
    return i + 1;
  }
  for (;;) {
    if (i >= end || buf[i] !== QUOTE) return -1;
    const close = stringEnd(buf, i + 1, end);
    if (close < 0) return -1;
    const matches = keyEquals(buf, i + 1, close, hasBackslash(buf, i + 1, close), key);
    const colon = skipWs(buf, close + 1, end);
    if (buf[colon] !== COLON) return -1;
    const vs = skipWs(buf, colon + 1, end);
    let ve: number;
    if (matches && inner !== null && buf[vs] === LBRACE) {
      ve = memberValue(buf, vs, end, inner, null);
      if (ve < 0) return -1;
      hasInner = foundValue;
      iStart = valueStart;
      iEnd = valueEnd;
    } else {
      ve = skipValue(buf, vs, end);
      if (ve < 0) return -1;
      if (matches) hasInner = 0;
    }
    if (matches) {
      found = 1;
      start = vs;
      stop = ve;
    }
    i = skipWs(buf, ve, end);
    if (i >= end) return -1;
    const b = buf[i]!;
    if (b === COMMA) {
      i = skipWs(buf, i + 1, end);
    } else if (b === RBRACE) {
      foundValue = found;
      valueStart = start;
      valueEnd = stop;
      foundInner = hasInner;
      innerStart = iStart;
      innerEnd = iEnd;
      return i + 1;
    } else {
      return -1;
    }
  }
}

/** Whether `ids[s..e)` is exactly one JSON number or one JSON string literal. */
function isIdLiteral(ids: Buffer, s: number, e: number): boolean {
  if (e <= s) return false;
  const first = ids[s]!;
  const last = ids[e - 1]!;
  // A valid text that starts and ends like this is exactly one string (or one number): whitespace would end it.
  const shaped =
    first === QUOTE
      ? last === QUOTE && e - s >= 2
      : (first === MINUS || (first >= ZERO && first <= NINE)) && last >= ZERO && last <= NINE;
  if (!shaped) return false;
  scanEnvelopeRange(ids, s, e, env, 0);
  return (env[0]! & 0xf) !== Kind.INVALID;
}

/** Sets idFrom/idTo/cutFrom/cutTo for frame `buf[s..e)`, or returns the failure status. */
function plan(buf: Buffer, s: number, e: number, ids: Buffer, is: number, ie: number, prefix: number): number {
  if (!isIdLiteral(ids, is, ie)) return ForwardStatus.BAD_NEW_ID;
  scanEnvelopeRange(buf, s, e, env, 0);
  const packed = env[0]!;
  const root = skipWs(buf, s, e);
  if ((packed & 0xf) === Kind.INVALID || root >= e || buf[root] !== LBRACE) return ForwardStatus.NOT_AN_OBJECT;
  const idType = (packed >> 4) & 0xf;
  if (idType === ValueType.ABSENT) return ForwardStatus.NO_ID;
  if (env[1]! < 0) return ForwardStatus.NOT_AN_OBJECT;
  const quoted = idType === ValueType.STRING ? 1 : 0;
  idFrom = s + env[1]! - quoted;
  idTo = s + env[2]! + quoted;
  cutFrom = cutTo = 0;
  if (prefix === 0) return ForwardStatus.OK;

  // One walk: `params` → `name` is found while skipping the top-level members, so params is read only once.
  if (memberValue(buf, root, e, PARAMS, NAME) < 0) return ForwardStatus.NOT_AN_OBJECT;
  if (foundValue === 0 || buf[valueStart] !== LBRACE) return ForwardStatus.NO_NAME;
  if (foundInner === 0 || buf[innerStart] !== QUOTE) return ForwardStatus.NO_NAME;
  const body = innerStart + 1;
  const bodyEnd = innerEnd - 1;
  if (hasBackslash(buf, body, bodyEnd)) return ForwardStatus.NAME_ESCAPED;
  // Cutting before a UTF-8 continuation byte would leave half a character.
  if (bodyEnd - body < prefix || (body + prefix < bodyEnd && (buf[body + prefix]! & 0xc0) === 0x80)) {
    return ForwardStatus.NAME_TOO_SHORT;
  }
  cutFrom = body;
  cutTo = body + prefix;
  return ForwardStatus.OK;
}

/** Copies `src[from..to)` to `dst[w..]`; returns the new write position. */
function put(dst: Uint8Array, w: number, src: Buffer, from: number, to: number): number {
  const n = to - from;
  if (n > SHORT_COPY) {
    src.copy(dst, w, from, to);
  } else {
    for (let k = 0; k < n; k++) dst[w + k] = src[from + k]!;
  }
  return w + n;
}

/** Validates `ends[0..count)` (non-decreasing, within `len`) and returns the last end; the native error text. */
function checkEnds(ends: Uint32Array, count: number, len: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i]!;
    if (end < total || end > len) {
      throw new RangeError(`ends[${i}] = ${end} is out of order or past the payload buffer (${len} bytes)`);
    }
    total = end;
  }
  return total;
}

function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  if (a.buffer !== b.buffer || a.length === 0 || b.length === 0) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

export function rewriteFrames(
  frames: Uint8Array,
  frameEnds: Uint32Array,
  ids: Uint8Array,
  idEnds: Uint32Array,
  prefixes: Uint32Array,
  count: number,
  dst: Uint8Array,
  outEnds: Uint32Array,
  status: Uint32Array,
): number {
  if (overlaps(dst, frames) || overlaps(dst, ids)) {
    throw new RangeError('dst must not share memory with frames or ids');
  }
  const shortest = Math.min(frameEnds.length, idEnds.length, prefixes.length);
  if (count > shortest) throw new RangeError(`count ${count} exceeds the ${shortest} entries of ends`);
  const framesTotal = checkEnds(frameEnds, count, frames.length);
  const idsTotal = checkEnds(idEnds, count, ids.length);
  const needed = framesTotal + idsTotal;
  if (dst.length < needed) throw new RangeError(`output too small: ${needed} elements needed, got ${dst.length}`);
  const slots = Math.min(outEnds.length, status.length);
  if (slots < count) throw new RangeError(`output too small: ${count} elements needed, got ${slots}`);

  const buf = toBuffer(frames);
  const idBuf = toBuffer(ids);
  let f0 = 0;
  let i0 = 0;
  let w = 0;
  for (let k = 0; k < count; k++) {
    const f1 = frameEnds[k]!;
    const i1 = idEnds[k]!;
    const code = plan(buf, f0, f1, idBuf, i0, i1, prefixes[k]!);
    if (code !== ForwardStatus.OK) {
      w = put(dst, w, buf, f0, f1);
    } else if (cutFrom === cutTo) {
      w = put(dst, w, buf, f0, idFrom);
      w = put(dst, w, idBuf, i0, i1);
      w = put(dst, w, buf, idTo, f1);
    } else if (idFrom < cutFrom) {
      w = put(dst, w, buf, f0, idFrom);
      w = put(dst, w, idBuf, i0, i1);
      w = put(dst, w, buf, idTo, cutFrom);
      w = put(dst, w, buf, cutTo, f1);
    } else {
      w = put(dst, w, buf, f0, cutFrom);
      w = put(dst, w, buf, cutTo, idFrom);
      w = put(dst, w, idBuf, i0, i1);
      w = put(dst, w, buf, idTo, f1);
    }
    outEnds[k] = w;
    status[k] = code;
    f0 = f1;
    i0 = i1;
  }
  return w;
}

/**
 * The span of `params.name`'s string value in `buf[s..e)` (absolute offsets in nameFrom/nameTo), or the failure
 * status — the core's `name_span`.
 */
let nameFrom = 0;
let nameTo = 0;
function nameSpan(buf: Buffer, s: number, e: number): number {
  scanEnvelopeRange(buf, s, e, env, 0);
  const root = skipWs(buf, s, e);
  if ((env[0]! & 0xf) === Kind.INVALID || root >= e || buf[root] !== LBRACE) return ForwardStatus.NOT_AN_OBJECT;
  if (memberValue(buf, root, e, PARAMS, NAME) < 0) return ForwardStatus.NOT_AN_OBJECT;
  if (foundValue === 0 || buf[valueStart] !== LBRACE) return ForwardStatus.NO_NAME;
  if (foundInner === 0 || buf[innerStart] !== QUOTE || innerEnd < innerStart + 2) return ForwardStatus.NO_NAME;
  if (hasBackslash(buf, innerStart + 1, innerEnd - 1)) return ForwardStatus.NAME_ESCAPED;
  nameFrom = innerStart + 1;
  nameTo = innerEnd - 1;
  return ForwardStatus.OK;
}

/** See the binding: `params.name` spans of `count` frames, relative to each frame, or `-status` and 0. */
export function nameSpans(frames: Uint8Array, frameEnds: Uint32Array, count: number, out: Int32Array): void {
  if (count > frameEnds.length) throw new RangeError(`count ${count} exceeds the ${frameEnds.length} entries of ends`);
  checkEnds(frameEnds, count, frames.length);
  if (out.length < 2 * count) throw new RangeError(`output too small: ${2 * count} elements needed, got ${out.length}`);
  const buf = toBuffer(frames);
  let f0 = 0;
  for (let k = 0; k < count; k++) {
    const f1 = frameEnds[k]!;
    const code = nameSpan(buf, f0, f1);
    out[2 * k] = code === ForwardStatus.OK ? nameFrom - f0 : -code;
    out[2 * k + 1] = code === ForwardStatus.OK ? nameTo - f0 : 0;
    f0 = f1;
  }
}
