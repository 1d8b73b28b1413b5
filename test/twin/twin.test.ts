/** The shared core suites (test/twin/core-suites.ts) run against the pure-TypeScript twin, plus twin-only checks. */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { Framing, Status } from '../../src/native/binding-types.js';
import { twinBinding } from '../../src/native/twin/index.js';
import { suiteFor } from './core-suites.js';
import { lp } from './harness.js';

suiteFor('twin', twinBinding);

describe('twin: option checks', () => {
  // The native binding takes framing as a napi u32, which truncates 0.5 and NaN to 0 (NDJSON) and wraps 2^32 to 0;
  // the twin rejects anything but exactly 0 or 1, and names the parameter.
  it.each([[0.5], [Number.NaN], [2 ** 32], [Number.POSITIVE_INFINITY]])('rejects framing %s', (framing) => {
    expect(() => twinBinding.createDecoder(framing, 100)).toThrow(RangeError);
    expect(() => twinBinding.createDecoder(framing, 100)).toThrow(/framing/);
  });
  it('throws RangeError naming maxMessageSize', () => {
    expect(() => twinBinding.createDecoder(Framing.NDJSON, 0)).toThrow(RangeError);
    expect(() => twinBinding.createDecoder(Framing.NDJSON, 0)).toThrow(/maxMessageSize/);
  });
});

describe('twin: where push stops when out is full', () => {
  // The spec only says "at a record boundary"; the twin stops where crates/nmcp-core does, before the first record
  // that does not fit, having consumed the input that yields no record, so `out[0]` matches the native core's.
  const out = new Int32Array(16); // room for exactly one record

  it('ndjson: consumes empty lines and stops before the next frame', () => {
    const d = twinBinding.createDecoder(Framing.NDJSON, 100);
    const chunk = Buffer.from('1\n\r\n\n2\n\n');
    expect(d.push(chunk, 0, out, 0)).toBe(1);
    expect(out[0]).toBe(5);
    expect(d.push(chunk, 5, out, 0)).toBe(1);
    expect(out[0]).toBe(chunk.length);
  });

  it('ndjson: an unterminated tail without a record is consumed; one that needs a record waits', () => {
    const d = twinBinding.createDecoder(Framing.NDJSON, 3);
    expect(d.push(Buffer.from('1\n[2'), 0, out, 0)).toBe(1);
    expect(out[0]).toBe(4);
    const e = twinBinding.createDecoder(Framing.NDJSON, 3);
    expect(e.push(Buffer.from('1\n[2345'), 0, out, 0)).toBe(1);
    expect(out[0]).toBe(2);
    expect(e.push(Buffer.from('1\n[2345'), 2, out, 0)).toBe(1);
    expect([out[0], out[8]]).toEqual([7, Status.ERR_TOO_LARGE]);
  });

  it('length-prefixed: stops before a frame or a fatal header, consumes a partial frame', () => {
    const d = twinBinding.createDecoder(Framing.LENGTH_PREFIXED, 100);
    const chunk = Buffer.from(`${lp('1')}${lp('2')}00000000`, 'hex');
    expect(d.push(chunk, 0, out, 0)).toBe(1);
    expect(out[0]).toBe(5);
    expect(d.push(chunk, 5, out, 0)).toBe(1);
    expect(out[0]).toBe(10);
    expect(d.push(chunk, 10, out, 0)).toBe(1);
    expect([out[0], out[8]]).toEqual([14, Status.ERR_CORRUPT_HEADER]);
    const e = twinBinding.createDecoder(Framing.LENGTH_PREFIXED, 100);
    expect(e.push(Buffer.from(`${lp('1')}0000000231`, 'hex'), 0, out, 0)).toBe(1);
    expect(out[0]).toBe(10);
  });
});
