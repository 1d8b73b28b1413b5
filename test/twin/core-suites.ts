/**
 * The core test suites for any `CoreBinding` (docs/core-api.md): the shared vectors in test/vectors/, inline cases of
 * the same shape, protocol invariants of the decoders, and fast-check properties. `suiteFor` runs them all against one
 * binding, so the twin and the native addon are held to exactly the same checks.
 */

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoreBinding, Framing, Kind, MAX_MESSAGE_SIZE_LIMIT, Status } from '../../src/native/binding-types.js';
import {
  cutAt,
  envelopeLikeArb,
  lengthPrefixedModel,
  MUTATION_BYTES,
  messageArb,
  mutate,
  mutationArb,
  ndjsonModel,
  serialize,
  streamArb,
  ws,
} from './generators.js';
import {
  type DecoderVector,
  drive,
  dropAfterFatal,
  type EncodeVector,
  type Envelope,
  type EnvelopeVector,
  encodeFramesOf,
  encodeJoinedOf,
  expectAgreesWithJsonParse,
  loadVectors,
  lp,
  normalize,
  runDecoderVector,
  runEncodeVector,
  scan,
} from './harness.js';
import { INLINE_ENCODE, INLINE_ENVELOPE, INLINE_LENGTH_PREFIXED, INLINE_NDJSON } from './inline-vectors.js';

function deepNesting(depth: number, open: string, close: string, inner: string): Buffer {
  return Buffer.from(open.repeat(depth) + inner + close.repeat(depth));
}

export function suiteFor(name: string, binding: CoreBinding): void {
  describe(`${name}: scanEnvelope`, () => {
    const runEnvelope = (v: EnvelopeVector) => {
      const bytes = v.inputHex !== undefined ? Buffer.from(v.inputHex, 'hex') : Buffer.from(v.input ?? '', 'utf8');
      const env = scan(binding, bytes);
      const want: Envelope = { kind: v.kind };
      const got: Envelope = { kind: env.kind };
      for (const key of ['id', 'method'] as const) {
        const w = v[key];
        const s = env[key];
        if (w) want[key] = { type: w.type, text: w.text, escaped: w.escaped ?? s?.escaped ?? false };
        if (s) got[key] = s;
      }
      expect(got).toEqual(want);
      // The spec's oracle (BOM aside, see oracleEnvelope) must agree with every vector.
      expectAgreesWithJsonParse(binding, bytes);
    };

    const shared = loadVectors<EnvelopeVector>('envelope.json');
    if (shared) it.each(shared.map((v) => [v.name, v] as const))('vector: %s', (_n, v) => runEnvelope(v));
    else it('test/vectors/envelope.json exists', () => expect.fail('test/vectors/envelope.json is missing'));
    it.each(INLINE_ENVELOPE.map((v) => [v.name, v] as const))('inline: %s', (_n, v) => runEnvelope(v));

    it('handles deep nesting iteratively', () => {
      expect(scan(binding, deepNesting(200_000, '[', ']', '1')).kind).toBe('batch');
      expect(scan(binding, deepNesting(200_000, '{"a":', '}', '[]')).kind).toBe('other');
      const id = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      expect(scan(binding, Buffer.from(`{"method":"m","id":${id}}`))).toEqual({
        kind: 'request',
        id: { type: 'other', text: id, escaped: false },
        method: { type: 'string', text: 'm', escaped: false },
      });
      expect(scan(binding, deepNesting(100_000, '[', '', '1')).kind).toBe('invalid');
      expect(scan(binding, deepNesting(100_000, '[', '}', '')).kind).toBe('invalid');
    });

    it('scans a frame that is a view at an offset into a larger buffer', () => {
      const big = Buffer.from('xx{"id":3,"method":"abc"}yy');
      const view = new Uint8Array(big.buffer, big.byteOffset + 2, big.length - 4);
      expect(scan(binding, view)).toEqual({
        kind: 'request',
        id: { type: 'number', text: '3', escaped: false },
        method: { type: 'string', text: 'abc', escaped: false },
      });
    });

    it('long strings full of escapes stay linear', () => {
      const body = '\\n'.repeat(500_000);
      const t0 = performance.now();
      expect(scan(binding, Buffer.from(`{"method":"${body}"}`)).kind).toBe('notification');
      expect(performance.now() - t0).toBeLessThan(2000);
    });

    it('throws when out cannot hold 5 values', () => {
      expect(() => binding.scanEnvelope(Buffer.from('1'), new Int32Array(4))).toThrow();
    });

    it('property: agrees with JSON.parse on random JSON values with random whitespace', () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.gen(), (v, g) => {
          expectAgreesWithJsonParse(binding, Buffer.from(`${ws(g)}${serialize(g, v)}${ws(g)}`));
        }),
        { numRuns: 300 },
      );
    });

    it('property: agrees with JSON.parse on JSON-RPC-shaped objects (random order, escapes, duplicates)', () => {
      fc.assert(
        fc.property(envelopeLikeArb, fc.gen(), (v, g) => {
          expectAgreesWithJsonParse(binding, Buffer.from(`${ws(g)}${serialize(g, v)}${ws(g)}`));
        }),
        { numRuns: 500 },
      );
    });

    it('property: INVALID exactly when JSON.parse throws (random bytes)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (b) => expectAgreesWithJsonParse(binding, b)),
        { numRuns: 300 },
      );
    });

    it('property: INVALID exactly when JSON.parse throws (mutated JSON)', () => {
      fc.assert(
        fc.property(
          fc.oneof(envelopeLikeArb, fc.jsonValue({ maxDepth: 3 })),
          fc.gen(),
          fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
          (v, g, mutations) => {
            expectAgreesWithJsonParse(binding, mutate(Buffer.from(serialize(g, v)), mutations));
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('property: long strings (the word-at-a-time path) with special bytes at any position and alignment', () => {
      const pieceArb = fc.oneof(
        { weight: 30, arbitrary: fc.constantFrom('a', 'bc', 'def ') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('\\"', '\\\\', '\\n', '\\/', '\\u00e9', '\\uD83D', '\\u12G4', '\\x', '"', '\\'),
        },
        { weight: 1, arbitrary: fc.constantFrom('\x00', '\x01', '\x1f', '\t', '\n', '\x7f', 'é', '☃', ' ') },
      );
      fc.assert(
        fc.property(
          fc.array(pieceArb, { minLength: 20, maxLength: 300 }),
          fc.nat(7),
          fc.constantFrom('method', 'id', 'params'),
          (pieces, shift, key) => {
            const bytes = Buffer.from(`{"${key}":"${pieces.join('')}","id":1}`);
            const backing = Buffer.alloc(bytes.length + 8);
            bytes.copy(backing, shift);
            expectAgreesWithJsonParse(
              binding,
              new Uint8Array(backing.buffer, backing.byteOffset + shift, bytes.length),
            );
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('property: INVALID exactly when JSON.parse throws (random text over a JSON alphabet)', () => {
      const alphabet = fc.constantFrom(...MUTATION_BYTES);
      fc.assert(
        fc.property(fc.array(alphabet, { maxLength: 24 }), (b) => expectAgreesWithJsonParse(binding, Buffer.from(b))),
        { numRuns: 1000 },
      );
    });
  });

  describe(`${name}: createDecoder`, () => {
    it('accepts the documented range', () => {
      expect(() => binding.createDecoder(Framing.NDJSON, 1)).not.toThrow();
      expect(() => binding.createDecoder(Framing.LENGTH_PREFIXED, MAX_MESSAGE_SIZE_LIMIT)).not.toThrow();
      expect(() => binding.createDecoder(Framing.NDJSON, 16 * 1024 * 1024)).not.toThrow();
    });
    // Integers only: non-integers are a JS-side concern (napi's u32 conversion truncates them, see twin.test.ts).
    it.each([[2], [-1], [3]])('rejects framing %s', (framing) => {
      expect(() => binding.createDecoder(framing, 100)).toThrow(/framing/);
    });
    it.each([[0], [-1], [MAX_MESSAGE_SIZE_LIMIT + 1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
      'rejects maxMessageSize %s',
      (max) => {
        expect(() => binding.createDecoder(Framing.NDJSON, max)).toThrow(/maxMessageSize/);
      },
    );
  });

  for (const [framingName, framing, file, inline] of [
    ['ndjson', Framing.NDJSON, 'ndjson.json', INLINE_NDJSON],
    ['length-prefixed', Framing.LENGTH_PREFIXED, 'length-prefixed.json', INLINE_LENGTH_PREFIXED],
  ] as const) {
    describe(`${name}: ${framingName} decoder`, () => {
      const shared = loadVectors<DecoderVector>(file);
      if (shared) {
        it.each(shared.map((v) => [v.name, v] as const))('vector: %s', (_n, v) =>
          runDecoderVector(binding, framing, v),
        );
      } else {
        it(`test/vectors/${file} exists`, () => expect.fail(`test/vectors/${file} is missing`));
      }
      it.each(inline.map((v) => [v.name, v] as const))('inline: %s', (_n, v) => runDecoderVector(binding, framing, v));

      it('throws when out has room for no record', () => {
        const d = binding.createDecoder(framing, 100);
        expect(() => d.push(Buffer.from('1\n'), 0, new Int32Array(15), 0)).toThrow();
        expect(() => d.push(Buffer.from('1\n'), 0, new Int32Array(16), 1)).toThrow();
        expect(() => d.push(Buffer.alloc(0), 0, new Int32Array(0), 0)).toThrow();
      });

      it('throws when start is past the chunk', () => {
        const d = binding.createDecoder(framing, 100);
        expect(() => d.push(Buffer.from('1\n'), 3, new Int32Array(64), 0)).toThrow();
      });

      it('takeAssembled: throws without an assembled frame or with a wrong-size destination', () => {
        const d = binding.createDecoder(framing, 100);
        expect(() => d.takeAssembled(new Uint8Array(0))).toThrow();
        const out = new Int32Array(64);
        const first = framing === Framing.NDJSON ? Buffer.from('[1,') : Buffer.from('00000004', 'hex');
        const second = framing === Framing.NDJSON ? Buffer.from('2]\n') : Buffer.from('[12]');
        expect(d.push(first, 0, out, 0)).toBe(0);
        expect(out[0]).toBe(first.length);
        expect(d.push(second, 0, out, 0)).toBe(1);
        if (framing === Framing.NDJSON) {
          expect([...out.subarray(8, 11)]).toEqual([Status.FRAME_ASSEMBLED, 0, 5]);
          expect(() => d.takeAssembled(new Uint8Array(4))).toThrow();
          const dst = new Uint8Array(5);
          d.takeAssembled(dst);
          expect(Buffer.from(dst).toString()).toBe('[1,2]');
          expect(() => d.takeAssembled(dst)).toThrow();
        } else {
          // Only the header came earlier: the payload is whole in the chunk, a FRAME or an assembled frame is fine.
          expect(out[8] === Status.FRAME || out[8] === Status.FRAME_ASSEMBLED).toBe(true);
        }
      });

      it('an assembled frame not taken is forgotten by the next push', () => {
        const d = binding.createDecoder(framing, 100);
        const out = new Int32Array(64);
        const a = framing === Framing.NDJSON ? Buffer.from('[1') : Buffer.from('0000000e7b', 'hex');
        const b = framing === Framing.NDJSON ? Buffer.from(']\n') : Buffer.from('226d6574686f64223a2278227d', 'hex');
        d.push(a, 0, out, 0);
        expect(d.push(b, 0, out, 0)).toBe(1);
        expect(out[8]).toBe(Status.FRAME_ASSEMBLED);
        d.push(Buffer.alloc(0), 0, out, 0);
        expect(() => d.takeAssembled(new Uint8Array(out[10]!))).toThrow();
      });

      it('reset drops partial data (and clears a failure)', () => {
        const d = binding.createDecoder(framing, 8);
        const out = new Int32Array(64);
        const junk = framing === Framing.NDJSON ? Buffer.from('xxxx') : Buffer.from('000000ff', 'hex');
        d.push(junk, 0, out, 0);
        d.reset();
        const msg = framing === Framing.NDJSON ? Buffer.from('[1]\n') : Buffer.from('000000035b315d', 'hex');
        expect(d.push(msg, 0, out, 0)).toBe(1);
        expect(out[8]).toBe(Status.FRAME);
        expect(out[11]! & 0xf).toBe(Kind.BATCH);
      });

      it('frame offsets are absolute in the chunk, also when pushing from start > 0', () => {
        const d = binding.createDecoder(framing, 100);
        const payloads = ['{"id":12,"method":"x"}', '[]'];
        const chunk =
          framing === Framing.NDJSON
            ? Buffer.from(`${payloads.join('\n')}\n`)
            : Buffer.from(payloads.map((p) => lp(p)).join(''), 'hex');
        const out = new Int32Array(16);
        expect(d.push(chunk, 0, out, 0)).toBe(1);
        const first = [...out.subarray(8, 16)];
        const skip = framing === Framing.NDJSON ? 0 : 4;
        expect(first).toEqual([
          Status.FRAME,
          skip,
          skip + payloads[0]!.length,
          Kind.REQUEST | (1 << 4) | (2 << 12),
          6,
          8,
          19,
          20,
        ]);
        expect(out[0]).toBe(skip + payloads[0]!.length + (framing === Framing.NDJSON ? 1 : 0));
        expect(d.push(chunk, out[0]!, out, 0)).toBe(1);
        expect(out[9]).toBe(chunk.length - 2 - (framing === Framing.NDJSON ? 1 : 0));
        expect(out[0]).toBe(chunk.length);
      });

      const model = framing === Framing.NDJSON ? ndjsonModel : lengthPrefixedModel;

      it('property: random streams match the model, however chunked and however small out is', () => {
        fc.assert(
          fc.property(
            streamArb(framing),
            fc.array(fc.nat(), { maxLength: 30 }),
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 7 }),
            ({ max, stream }, points, capacity, outRecordStart, slack) => {
              const whole = dropAfterFatal(drive(binding, framing, max, [stream]));
              const expected = model(stream, max);
              expect(whole.map((r) => ('error' in r ? { error: r.error } : { frameHex: r.frameHex }))).toEqual(
                expected,
              );
              // Every frame's envelope is the one scanEnvelope gives for its bytes.
              for (const r of whole) {
                if (!('error' in r)) expect(r.envelope).toEqual(scan(binding, Buffer.from(r.frameHex, 'hex')));
              }
              const chunked = drive(binding, framing, max, cutAt(stream, points), { capacity, outRecordStart, slack });
              expect(normalize(dropAfterFatal(chunked))).toEqual(normalize(whole));
            },
          ),
          { numRuns: 300 },
        );
      });
    });
  }

  describe(`${name}: encode`, () => {
    const shared = loadVectors<EncodeVector>('encode.json');
    if (shared) it.each(shared.map((v) => [v.name, v] as const))('vector: %s', (_n, v) => runEncodeVector(binding, v));
    else it('test/vectors/encode.json exists', () => expect.fail('test/vectors/encode.json is missing'));
    it.each(INLINE_ENCODE.map((v) => [v.name, v] as const))('inline: %s', (_n, v) => runEncodeVector(binding, v));

    it('throws on misuse: short dst, bad framing or size, bad count or ends', () => {
      const p = Buffer.from('ab');
      const ends = Uint32Array.of(1, 2);
      expect(() => binding.encodeFrames(Framing.NDJSON, 10, p, ends, 2, new Uint8Array(3))).toThrow();
      expect(() => binding.encodeFrames(Framing.LENGTH_PREFIXED, 10, p, ends, 2, new Uint8Array(9))).toThrow();
      expect(binding.encodeFrames(Framing.LENGTH_PREFIXED, 10, p, ends, 2, new Uint8Array(10))).toBe(10);
      expect(() => binding.encodeFrames(2, 10, p, ends, 2, new Uint8Array(10))).toThrow(/framing/);
      expect(() => binding.encodeFrames(Framing.NDJSON, 0, p, ends, 2, new Uint8Array(10))).toThrow(/maxMessageSize/);
      expect(() => binding.encodeFrames(Framing.NDJSON, 10, p, ends, 3, new Uint8Array(10))).toThrow();
      expect(() => binding.encodeFrames(Framing.NDJSON, 10, p, Uint32Array.of(2, 1), 2, new Uint8Array(10))).toThrow();
      expect(() => binding.encodeFrames(Framing.NDJSON, 10, p, Uint32Array.of(1, 3), 2, new Uint8Array(10))).toThrow();
      expect(binding.encodeFrames(Framing.NDJSON, 10, p, ends, 0, new Uint8Array(0))).toBe(0);
      expect(() => binding.encodeJoined(Framing.NDJSON, 10, 'é', new Uint8Array(2))).toThrow();
      expect(() => binding.encodeJoined(Framing.LENGTH_PREFIXED, 10, 'a\nb', new Uint8Array(9))).toThrow();
      expect(binding.encodeJoined(Framing.LENGTH_PREFIXED, 10, 'a\nb', new Uint8Array(10))).toBe(10);
      expect(() => binding.encodeJoined(3, 10, 'a', new Uint8Array(10))).toThrow(/framing/);
    });

    it('encodeJoined: empty messages and sizes in UTF-8 bytes', () => {
      for (const framing of [Framing.NDJSON, Framing.LENGTH_PREFIXED]) {
        expect(binding.encodeJoined(framing, 10, '', new Uint8Array(8))).toBe(-1);
        expect(binding.encodeJoined(framing, 10, 'a\n', new Uint8Array(16))).toBe(-2);
        expect(binding.encodeJoined(framing, 10, 'a\n\nb', new Uint8Array(16))).toBe(-2);
        expect(binding.encodeJoined(framing, 3, 'abc\n☃☃', new Uint8Array(32))).toBe(-2);
        expect(binding.encodeJoined(framing, 6, 'abc\n☃☃', new Uint8Array(32))).toBeGreaterThan(0);
      }
    });

    it('writes into a dst that is a view at an offset, never outside it', () => {
      // dst[n..] (past the bytes written) is not pinned by the spec: only the framed bytes and the outside are checked.
      const backing = new Uint8Array(32).fill(0xee);
      const dst = new Uint8Array(backing.buffer, 3, 12);
      expect(binding.encodeJoined(Framing.LENGTH_PREFIXED, 10, 'ab\nc', dst)).toBe(11);
      expect(Buffer.from(backing.subarray(0, 14)).toString('hex')).toBe(`eeeeee${lp('ab')}${lp('c')}`);
      expect(Buffer.from(backing.subarray(15)).toString('hex')).toBe('ee'.repeat(17));
      backing.fill(0xee);
      const payloads = Buffer.from('xyz');
      expect(binding.encodeFrames(Framing.NDJSON, 10, payloads, Uint32Array.of(1, 3), 2, dst)).toBe(5);
      expect(Buffer.from(backing.subarray(0, 8)).toString('hex')).toBe(
        `eeeeee${Buffer.from('x\nyz\n').toString('hex')}`,
      );
      expect(Buffer.from(backing.subarray(15)).toString('hex')).toBe('ee'.repeat(17));
    });

    const payloadArb = (framing: number, max: number) =>
      fc
        .oneof(
          messageArb.map((m) => Buffer.from(JSON.stringify(m))),
          fc.string({ unit: 'binary', minLength: 1 }).map((s) => Buffer.from(s)),
          fc.uint8Array({ minLength: 1, maxLength: 50 }).map((b) => Buffer.from(b)),
        )
        // NDJSON: no '\n' inside, and no trailing '\r' (the encoder accepts one, but the decoder strips it: the spec's
        // framing cannot carry a payload ending in '\r', which JSON.stringify never produces).
        .filter(
          (b) =>
            b.length > 0 && b.length <= max && (framing !== Framing.NDJSON || (!b.includes(10) && b.at(-1) !== 13)),
        );

    for (const framing of [Framing.NDJSON, Framing.LENGTH_PREFIXED]) {
      const label = framing === Framing.NDJSON ? 'ndjson' : 'length-prefixed';

      it(`property (${label}): encodeFrames -> decoder round trip; encodeJoined gives the same bytes`, () => {
        const max = 400;
        fc.assert(
          fc.property(
            fc.array(payloadArb(framing, max), { maxLength: 20 }),
            fc.array(fc.nat(), { maxLength: 10 }),
            (payloads, points) => {
              const { n, dst } = encodeFramesOf(binding, framing, max, payloads);
              expect(n).toBe(dst.length);
              const decoded = drive(binding, framing, max, cutAt(Buffer.from(dst), points), { capacity: 2 });
              expect(decoded.map((r) => ('error' in r ? r : r.frameHex))).toEqual(
                payloads.map((p) => p.toString('hex')),
              );
              // encodeJoined takes text: compare on payloads that are well-formed UTF-8 without '\n'.
              const texts = payloads.map((p) => p.toString('utf8'));
              if (texts.length > 0 && texts.every((t, i) => Buffer.from(t).equals(payloads[i]!) && !t.includes('\n'))) {
                const joined = encodeJoinedOf(binding, framing, max, texts);
                expect(joined.n).toBe(dst.length);
                expect(Buffer.from(joined.dst).equals(Buffer.from(dst))).toBe(true);
              }
            },
          ),
          { numRuns: 200 },
        );
      });

      it(`property (${label}): the first refused payload is reported by both encoders`, () => {
        const max = 60;
        const refusedArb = fc.oneof(
          fc.constant(Buffer.alloc(0)),
          fc.integer({ min: max + 1, max: max + 40 }).map((k) => Buffer.alloc(k, 0x61)),
          ...(framing === Framing.NDJSON ? [fc.constantFrom(Buffer.from('a\nb'), Buffer.from('\n'))] : []),
        );
        fc.assert(
          fc.property(
            fc.array(fc.oneof(payloadArb(framing, max), refusedArb), { minLength: 1, maxLength: 10 }),
            (payloads) => {
              const refused = (b: Buffer) =>
                b.length === 0 || b.length > max || (framing === Framing.NDJSON && b.includes(10));
              const first = payloads.findIndex(refused);
              const { n, dst } = encodeFramesOf(binding, framing, max, payloads);
              expect(n).toBe(first < 0 ? dst.length : -(first + 1));
              const texts = payloads.map((p) => p.toString('latin1'));
              if (texts.every((t) => !t.includes('\n'))) {
                const joined = encodeJoinedOf(binding, framing, max, texts);
                const firstJoined = texts.findIndex((t) => t.length === 0 || Buffer.byteLength(t) > max);
                expect(joined.n).toBe(firstJoined < 0 ? joined.dst.length : -(firstJoined + 1));
              }
            },
          ),
          { numRuns: 200 },
        );
      });
    }
  });
}
