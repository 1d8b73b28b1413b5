/**
 * The length-prefixed decoder of the TypeScript twin (docs/core-api.md §Decoder, §Length-prefixed rules): a 4-byte
 * big-endian length, then that many payload bytes.
 */

import { type BindingDecoder, type BindingRouter, RECORD_STRIDE, Status } from '../binding-types.js';
import { toBuffer } from './envelope.js';
import {
  Assembly,
  consumed,
  recordCapacity,
  routeAfterPush,
  writeAssembledRecord,
  writeErrorRecord,
  writeFrameRecord,
} from './ndjson-decoder.js';

const HEADER = 4;

export class LengthPrefixedDecoder implements BindingDecoder {
  readonly #max: number;
  readonly #assembly = new Assembly();
  /** Header bytes received so far (1..3) while a header is split across chunks, and their value. */
  #headerBytes = 0;
  #headerValue = 0;
  /** Declared length of the payload being carried over from earlier chunks; 0 when none. */
  #need = 0;
  /** After ERR_TOO_LARGE_FATAL or ERR_CORRUPT_HEADER: the stream is out of sync for good. */
  #failed = false;
  /** Scan each frame's envelope (setScan). */
  #scan = true;

  constructor(maxMessageSize: number) {
    this.#max = maxMessageSize;
  }

  push(chunk: Uint8Array, start: number, out: Int32Array, outRecordStart: number): number {
    const capacity = recordCapacity(chunk, start, out, outRecordStart);
    const base0 = RECORD_STRIDE * (1 + outRecordStart);
    const end = chunk.length;
    const assembly = this.#assembly;
    assembly.forget();
    if (this.#failed) {
      writeErrorRecord(out, base0, Status.ERR_DECODER_FAILED, 0);
      return consumed(out, end, 1);
    }
    const buf = toBuffer(chunk);
    let pos = start;
    let written = 0;

    // 1. Finish what earlier chunks left: a split header, or a payload. Its record, if any, is the first of this call.
    if (this.#headerBytes > 0) {
      while (this.#headerBytes < HEADER && pos < end) {
        // Multiplication, not shifts, keeps the value unsigned.
        this.#headerValue = this.#headerValue * 256 + buf[pos++]!;
        this.#headerBytes++;
      }
      if (this.#headerBytes < HEADER) return consumed(out, end, 0);
      const n = this.#headerValue;
      this.#headerBytes = 0;
      this.#headerValue = 0;
      if (n === 0 || n > this.#max) return this.#fail(out, base0, n, end, 0);
      if (end - pos < n) {
        this.#need = n;
        assembly.append(buf, pos, end, n);
        return consumed(out, end, 0);
      }
      // The whole payload is in this chunk: an ordinary frame, no copy.
      writeFrameRecord(out, base0, buf, pos, pos + n, this.#scan);
      pos += n;
      written = 1;
    } else if (this.#need > 0) {
      const need = this.#need;
      const take = Math.min(need - assembly.partialLength, end - pos);
      assembly.append(buf, pos, pos + take, need);
      if (assembly.partialLength < need) return consumed(out, end, 0);
      pos += take;
      this.#need = 0;
      writeAssembledRecord(out, base0, assembly.complete(need), need, this.#scan);
      written = 1;
    }

    // 2. Frames whose header starts in this chunk.
    let base = base0 + RECORD_STRIDE * written;
    for (;;) {
      if (end - pos < HEADER) {
        // 0..3 header bytes: keep them for the next chunk.
        while (pos < end) {
          this.#headerValue = this.#headerValue * 256 + buf[pos++]!;
          this.#headerBytes++;
        }
        break;
      }
      const n = buf.readUInt32BE(pos);
      const body = pos + HEADER;
      if (n === 0 || n > this.#max) {
        if (written === capacity) break;
        return this.#fail(out, base, n, end, written);
      }
      if (end - body < n) {
        this.#need = n;
        assembly.append(buf, body, end, n);
        pos = end;
        break;
      }
      // Stop before a record that does not fit: the caller pushes again from here with a fresh `out`.
      if (written === capacity) break;
      writeFrameRecord(out, base, buf, body, body + n, this.#scan);
      written++;
      base += RECORD_STRIDE;
      pos = body + n;
    }
    return consumed(out, pos, written);
  }

  /**
   * Reports a zero or oversize header and fails the decoder. Nothing after it can be trusted, so the whole chunk counts
   * as consumed (the caller does not push its rest again). Returns push's result: `written` records, plus this one.
   */
  #fail(out: Int32Array, base: number, n: number, end: number, written: number): number {
    writeErrorRecord(out, base, n === 0 ? Status.ERR_CORRUPT_HEADER : Status.ERR_TOO_LARGE_FATAL, n);
    this.#failed = true;
    this.#assembly.dropPartial();
    return consumed(out, end, written + 1);
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
    this.#headerBytes = 0;
    this.#headerValue = 0;
    this.#need = 0;
    this.#failed = false;
  }

  /** Scan each frame's envelope (default true); false: frames only, each kind UNSCANNED (docs/core-api.md §Decoder). */
  setScan(scan: boolean): void {
    this.#scan = scan;
  }
}
