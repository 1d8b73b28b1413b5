/**
 * The frame encoders of the TypeScript twin (docs/core-api.md §Encoder). Misuse (bad options, a short `dst`, bad
 * `ends`) throws; a payload that cannot be framed is reported as `-(i + 1)`.
 */

import { Buffer } from 'node:buffer';
import { Framing, MAX_MESSAGE_SIZE_LIMIT } from '../binding-types.js';
import { toBuffer } from './envelope.js';

const LF = 0x0a;

/** Throws a RangeError naming the parameter when framing or maxMessageSize is out of range. */
export function checkFramingOptions(framing: number, maxMessageSize: number): void {
  if (framing !== Framing.NDJSON && framing !== Framing.LENGTH_PREFIXED) {
    throw new RangeError(`framing must be 0 (NDJSON) or 1 (length-prefixed), got ${framing}`);
  }
  if (!Number.isInteger(maxMessageSize) || maxMessageSize < 1 || maxMessageSize > MAX_MESSAGE_SIZE_LIMIT) {
    throw new RangeError(`maxMessageSize must be an integer in 1..=${MAX_MESSAGE_SIZE_LIMIT}, got ${maxMessageSize}`);
  }
}

function checkRoom(needed: number, dst: Uint8Array): void {
  if (dst.length < needed) throw new RangeError(`output too small: ${needed} elements needed, got ${dst.length}`);
}

function writeHeader(dst: Uint8Array, at: number, length: number): void {
  dst[at] = length >>> 24;
  dst[at + 1] = (length >>> 16) & 0xff;
  dst[at + 2] = (length >>> 8) & 0xff;
  dst[at + 3] = length & 0xff;
}

export function encodeFrames(
  framing: number,
  maxMessageSize: number,
  payloads: Uint8Array,
  ends: Uint32Array,
  count: number,
  dst: Uint8Array,
): number {
  checkFramingOptions(framing, maxMessageSize);
  if (!Number.isInteger(count) || count < 0 || count > ends.length) {
    throw new RangeError(`count ${count} exceeds the ${ends.length} entries of ends`);
  }
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i]!;
    if (end < previous || end > payloads.length) {
      throw new RangeError(`ends[${i}] = ${end} is out of order or past the payload buffer (${payloads.length} bytes)`);
    }
    previous = end;
  }
  const ndjson = framing === Framing.NDJSON;
  checkRoom(previous + count * (ndjson ? 1 : 4), dst);

  const src = toBuffer(payloads);
  let w = 0;
  let start = 0;
  // Next '\n' in the payloads at or after `start` (-1: none left); one memchr pass over the whole buffer in all.
  let nextLf = ndjson && count > 0 ? src.indexOf(LF, 0) : -1;
  for (let i = 0; i < count; i++) {
    const end = ends[i]!;
    const length = end - start;
    if (length === 0 || length > maxMessageSize) return -(i + 1);
    if (ndjson) {
      if (nextLf >= 0 && nextLf < start) nextLf = src.indexOf(LF, start);
      if (nextLf >= 0 && nextLf < end) return -(i + 1);
      src.copy(dst, w, start, end);
      w += length;
      dst[w++] = LF;
    } else {
      writeHeader(dst, w, length);
      src.copy(dst, w + 4, start, end);
      w += 4 + length;
    }
    start = end;
  }
  return w;
}

export function encodeJoined(framing: number, maxMessageSize: number, joined: string, dst: Uint8Array): number {
  checkFramingOptions(framing, maxMessageSize);
  const byteLength = Buffer.byteLength(joined, 'utf8');
  const out = toBuffer(dst);

  if (framing === Framing.NDJSON) {
    // The framed output is the text itself plus a final '\n': transcode once, then check each line's size.
    checkRoom(byteLength + 1, dst);
    out.write(joined, 0, byteLength, 'utf8');
    out[byteLength] = LF;
    let start = 0;
    for (let i = 0; ; i++) {
      const lf = out.indexOf(LF, start);
      const length = lf - start;
      if (length === 0 || length > maxMessageSize) return -(i + 1);
      if (lf === byteLength) return byteLength + 1;
      start = lf + 1;
    }
  }

  let count = 1;
  for (let at = joined.indexOf('\n'); at >= 0; at = joined.indexOf('\n', at + 1)) count++;
  // Each '\n' separator becomes part of a 4-byte header: total = byteLength - (count - 1) + 4 * count.
  const total = byteLength + 3 * count + 1;
  checkRoom(total, dst);
  // Transcode once into the tail of the output, then move each message down into place behind its header. The gap
  // (3 * count + 1 bytes) keeps every write behind the next unread separator, so one forward pass suffices.
  let read = total - byteLength;
  out.write(joined, read, byteLength, 'utf8');
  let w = 0;
  for (let i = 0; i < count; i++) {
    const lf = i === count - 1 ? total : out.indexOf(LF, read);
    const length = lf - read;
    if (length === 0 || length > maxMessageSize) return -(i + 1);
    writeHeader(out, w, length);
    out.copyWithin(w + 4, read, lf);
    w += 4 + length;
    read = lf + 1;
  }
  return w;
}
