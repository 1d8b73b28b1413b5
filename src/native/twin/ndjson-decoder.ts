/**
 * The NDJSON decoder of the TypeScript twin (docs/core-api.md §Decoder, §NDJSON rules), and the pieces it shares with
 * the length-prefixed decoder: argument checks, record writers and the assembly buffers.
 */

import { Buffer } from 'node:buffer';
import { type BindingDecoder, type BindingRouter, Kind, RECORD_STRIDE, Status } from '../binding-types.js';
import { scanEnvelopeRange, toBuffer } from './envelope.js';

const LF = 0x0a;
const CR = 0x0d;

/** Record offsets must fit in an i32 column. */
const MAX_CHUNK_LENGTH = 0x7fffffff;

/**
 * Validates push's arguments and returns how many records fit in `out` from slot `1 + outRecordStart`. Throws (as the
 * native binding returns Err) on misuse; problems in the bytes themselves are never thrown, they become records.
 */
export function recordCapacity(chunk: Uint8Array, start: number, out: Int32Array, outRecordStart: number): number {
  if (chunk.length > MAX_CHUNK_LENGTH) {
    throw new RangeError(`chunk of ${chunk.length} bytes is too large (at most ${MAX_CHUNK_LENGTH} bytes per push)`);
  }
  if (!Number.isInteger(start) || start < 0 || start > chunk.length) {
    throw new RangeError(`start ${start} is past the end of the chunk (${chunk.length} bytes)`);
  }
  if (!Number.isInteger(outRecordStart) || outRecordStart < 0) {
    throw new RangeError(`outRecordStart must be a non-negative integer, got ${outRecordStart}`);
  }
  const capacity = Math.floor(out.length / RECORD_STRIDE) - 1 - outRecordStart;
  if (capacity < 1) {
    throw new RangeError(
      `output too small: ${RECORD_STRIDE * (2 + outRecordStart)} elements needed, got ${out.length}`,
    );
  }
  return capacity;
}

/** Writes an error record (cols 3..7 are `0, -1, -1, -1, -1`) at `out[base..]`. */
export function writeErrorRecord(out: Int32Array, base: number, status: number, detail: number): void {
  out[base] = status;
  out[base + 1] = detail | 0; // u32 bits
  out[base + 2] = 0;
  out[base + 3] = 0;
  out[base + 4] = -1;
  out[base + 5] = -1;
  out[base + 6] = -1;
  out[base + 7] = -1;
}

/** Writes a FRAME record for `buf[start..end)` (offsets absolute in the chunk) and scans its envelope (if `scan`). */
export function writeFrameRecord(
  out: Int32Array,
  base: number,
  buf: Buffer,
  start: number,
  end: number,
  scan: boolean,
): void {
  out[base] = Status.FRAME;
  out[base + 1] = start;
  out[base + 2] = end;
  writeEnvelope(buf, start, end, out, base + 3, scan);
}

/** Cols 3..7 of a frame record: the scanned envelope, or UNSCANNED with no spans (setScan(false)). */
function writeEnvelope(buf: Buffer, start: number, end: number, out: Int32Array, at: number, scan: boolean): void {
  if (scan) {
    scanEnvelopeRange(buf, start, end, out, at);
    return;
  }
  out[at] = Kind.UNSCANNED;
  out[at + 1] = -1;
  out[at + 2] = -1;
  out[at + 3] = -1;
  out[at + 4] = -1;
}

/** Stores the consumed position in the header slot and returns the record count (push's epilogue). */
export function consumed(out: Int32Array, position: number, written: number): number {
  out[0] = position;
  return written;
}

/** Buffers larger than this are released after use instead of being kept for the next frame. */
const KEEP_LIMIT = 1 << 20;
const MIN_CAPACITY = 256;
const EMPTY = Buffer.alloc(0);

/**
 * The bytes of a frame that spans chunks. The partial frame is appended to a growable buffer (capacity doubles, so
 * appending is amortised O(1) per byte and nothing is ever re-concatenated); when it completes, that buffer becomes the
 * assembled frame, held until `take` or the next push, and a spare buffer takes over as the partial one.
 */
export class Assembly {
  partial: Buffer = EMPTY;
  partialLength = 0;
  #assembled: Buffer | undefined;
  #assembledLength = 0;
  #spare: Buffer | undefined;

  /** Appends `src[from..to)` to the partial frame, which may grow up to `limit` bytes in all. */
  append(src: Buffer, from: number, to: number, limit: number): void {
    const needed = this.partialLength + (to - from);
    if (needed > this.partial.length) {
      const capacity = Math.min(limit, Math.max(needed, this.partial.length * 2, MIN_CAPACITY));
      const grown = Buffer.allocUnsafeSlow(capacity);
      this.partial.copy(grown, 0, 0, this.partialLength);
      this.partial = grown;
    }
    src.copy(this.partial, this.partialLength, from, to);
    this.partialLength = needed;
  }

  /** Turns the partial frame's first `length` bytes into the assembled frame and returns its buffer. */
  complete(length: number): Buffer {
    const done = this.partial;
    this.#assembled = done;
    this.#assembledLength = length;
    this.partial = this.#spare ?? EMPTY;
    this.#spare = undefined;
    this.partialLength = 0;
    return done;
  }

  /** The assembled frame of the last push (a view), if any. */
  assembled(): Buffer | undefined {
    return this.#assembled?.subarray(0, this.#assembledLength);
  }

  /** Drops the partial frame. */
  dropPartial(): void {
    this.partialLength = 0;
    if (this.partial.length > KEEP_LIMIT) this.partial = EMPTY;
  }

  /** Forgets the assembled frame (called by every push: it is only valid until the next one). */
  forget(): void {
    const done = this.#assembled;
    if (done === undefined) return;
    this.#assembled = undefined;
    if (done.length <= KEEP_LIMIT && (this.#spare === undefined || this.#spare.length < done.length)) {
      this.#spare = done;
    }
  }

  take(dst: Uint8Array): void {
    const done = this.#assembled;
    if (done === undefined) throw new RangeError('no assembled frame to take');
    if (dst.length !== this.#assembledLength) {
      throw new RangeError(`assembled frame is ${this.#assembledLength} bytes, destination holds ${dst.length}`);
    }
    done.copy(dst, 0, 0, this.#assembledLength);
    this.forget();
  }

  reset(): void {
    this.partial = EMPTY;
    this.partialLength = 0;
    this.#assembled = undefined;
    this.#spare = undefined;
  }
}

/** Writes the FRAME_ASSEMBLED record for a frame the assembly just completed (`frame[0..length)`). */
export function writeAssembledRecord(
  out: Int32Array,
  base: number,
  frame: Buffer,
  length: number,
  scan: boolean,
): void {
  out[base] = Status.FRAME_ASSEMBLED;
  out[base + 1] = 0;
  out[base + 2] = length;
  writeEnvelope(frame, 0, length, out, base + 3, scan);
}

/**
 * pushRouted's second half, shared by both twin decoders: route the records the push wrote (the binding does it in the
 * same call; so does the twin, for the same contract).
 */
export function routeAfterPush(
  assembly: Assembly,
  chunk: Uint8Array,
  out: Int32Array,
  outRecordStart: number,
  written: number,
  router: BindingRouter,
  transport: number,
  nowMs: number,
  routes: Uint32Array,
): number {
  if (routes.length < 2 * (outRecordStart + written)) {
    throw new TypeError('routes must hold 2 values per record of out');
  }
  const assembled = assembly.assembled() ?? EMPTY;
  router.routeRecords(
    transport,
    chunk,
    assembled,
    out,
    outRecordStart,
    written,
    nowMs,
    routes.subarray(2 * outRecordStart),
  );
  return written;
}

export class NdjsonDecoder implements BindingDecoder {
  readonly #max: number;
  readonly #assembly = new Assembly();
  /** Inside a line already reported as too large: skip up to and including its `\n`. */
  #discarding = false;
  /** Scan each frame's envelope (setScan). */
  #scan = true;

  constructor(maxMessageSize: number) {
    this.#max = maxMessageSize;
  }

  push(chunk: Uint8Array, start: number, out: Int32Array, outRecordStart: number): number {
    const capacity = recordCapacity(chunk, start, out, outRecordStart);
    const assembly = this.#assembly;
    assembly.forget();
    const buf = toBuffer(chunk);
    const end = buf.length;
    const max = this.#max;
    let pos = start;
    let written = 0;
    let base = RECORD_STRIDE * (1 + outRecordStart);

    // 1. Finish the line carried over from earlier chunks. Its record, if any, is the first of this call (and `out`
    //    has room for one).
    if (this.#discarding) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) return consumed(out, end, 0);
      this.#discarding = false;
      pos = nl + 1;
    } else if (assembly.partialLength > 0) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        if (assembly.partialLength + (end - pos) < max + 2) {
          assembly.append(buf, pos, end, max + 1);
          return consumed(out, end, 0);
        }
        // Certainly too large, even if "\r\n" follows: report it now and skip the rest of the line.
        assembly.dropPartial();
        this.#discarding = true;
        writeErrorRecord(out, base, Status.ERR_TOO_LARGE, 0);
        return consumed(out, end, 1);
      }
      if (this.#finishCarriedLine(buf, pos, nl, out, base)) {
        written = 1;
        base += RECORD_STRIDE;
      }
      pos = nl + 1;
    }

    // 2. Lines that start in this chunk: frames are reported in place, without a copy.
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        // Unterminated tail: keep it (at most max + 1 bytes), or report it as certainly too large.
        if (end - pos >= max + 2) {
          if (written === capacity) break;
          writeErrorRecord(out, base, Status.ERR_TOO_LARGE, 0);
          written++;
          this.#discarding = true;
        } else if (end > pos) {
          assembly.append(buf, pos, end, max + 1);
        }
        pos = end;
        break;
      }
      const frameEnd = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
      if (frameEnd > pos) {
        // Stop before a record that does not fit: the caller pushes again from here with a fresh `out`.
        if (written === capacity) break;
        if (frameEnd - pos > max) writeErrorRecord(out, base, Status.ERR_TOO_LARGE, 0);
        else writeFrameRecord(out, base, buf, pos, frameEnd, this.#scan);
        written++;
        base += RECORD_STRIDE;
      }
      pos = nl + 1;
    }
    return consumed(out, pos, written);
  }

  /** Scan each frame's envelope (default true); false: frames only, each kind UNSCANNED (docs/core-api.md §Decoder). */
  setScan(scan: boolean): void {
    this.#scan = scan;
  }

  /** The carried line ends at `buf[nl]`; writes its record at `out[base..]`, if it has one, and says so. */
  #finishCarriedLine(buf: Buffer, pos: number, nl: number, out: Int32Array, base: number): boolean {
    const assembly = this.#assembly;
    const kept = assembly.partialLength;
    // Its '\r' may be the last byte kept from an earlier chunk.
    const last = nl > pos ? buf[nl - 1] : assembly.partial[kept - 1];
    const length = kept + (nl - pos) - (last === CR ? 1 : 0);
    if (length === 0) {
      assembly.dropPartial(); // the line was just "\r"
      return false;
    }
    if (length > this.#max) {
      assembly.dropPartial(); // never buffered
      writeErrorRecord(out, base, Status.ERR_TOO_LARGE, 0);
      return true;
    }
    assembly.append(buf, pos, nl, this.#max + 1);
    writeAssembledRecord(out, base, assembly.complete(length), length, this.#scan);
    return true;
  }

  takeAssembled(dst: Uint8Array): void {
    this.#assembly.take(dst);
  }

  pushRouted(
    chunk: Uint8Array,
    start: number,
    out: Int32Array,
    outRecordStart: number,
    router: BindingRouter,
    transport: number,
    nowMs: number,
    routes: Uint32Array,
  ): number {
    const n = this.push(chunk, start, out, outRecordStart);
    return routeAfterPush(this.#assembly, chunk, out, outRecordStart, n, router, transport, nowMs, routes);
  }

  reset(): void {
    this.#assembly.reset();
    this.#discarding = false;
  }
}
