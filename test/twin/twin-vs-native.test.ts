/**
 * Raw equality of the twin and the native addon, below any wrapper: every push's consumed position (`out[0]`), every
 * record column and every assembled frame; every scanEnvelope column; every encoder result. The spec leaves where a
 * full `out` stops to the implementation; the twin matches crates/nmcp-core so that these traces are identical.
 * Skipped when the addon is not built (or under NMCP_NATIVE=0).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoreBinding, Framing } from '../../src/native/binding-types.js';
import { loadNativeBinding, twinBinding } from '../../src/native/index.js';
import { cutAt, envelopeLikeArb, MUTATION_BYTES, mutate, mutationArb, serialize } from './generators.js';

const native = process.env.NMCP_NATIVE === '0' ? undefined : loadNativeBinding();

/** Everything a caller can observe from pushing `chunks` with an `out` of `capacity` records. */
function trace(binding: CoreBinding, framing: number, max: number, chunks: readonly Buffer[], capacity: number) {
  const decoder = binding.createDecoder(framing, max);
  const out = new Int32Array(8 * (1 + capacity) + 3);
  const events: unknown[] = [];
  for (const chunk of chunks) {
    let pos = 0;
    do {
      const n = decoder.push(chunk, pos, out, 0);
      events.push([pos, out[0], n, [...out.subarray(8, 8 + 8 * n)]]);
      if (n > 0 && out[8] === 1) {
        const frame = new Uint8Array(out[10]!);
        decoder.takeAssembled(frame);
        events.push(Buffer.from(frame).toString('hex'));
      }
      pos = out[0]!;
    } while (pos < chunk.length);
  }
  return events;
}

const pieceArb = fc.oneof(
  fc.constantFrom(
    '1\n',
    '\r\n',
    '\n',
    '[12345]\n',
    '"ab"\r\n',
    '{"id":1,"method":"x"}\n',
    'zzzzzzzzzzzzzz',
    '\r',
    '{"a":',
  ),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.jsonValue({ maxDepth: 2 }).map((v) => `${JSON.stringify(v)}\n`),
);

describe.skipIf(native === undefined)('twin vs native: identical raw results', () => {
  const nat = native as CoreBinding;

  it('decoder push traces', () => {
    fc.assert(
      fc.property(
        fc.array(pieceArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(Framing.NDJSON, Framing.LENGTH_PREFIXED),
        (pieces, points, capacity, max, framing) => {
          const chunks = cutAt(Buffer.from(pieces.join(''), 'latin1'), points);
          expect(trace(twinBinding, framing, max, chunks, capacity)).toEqual(
            trace(nat, framing, max, chunks, capacity),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('scanEnvelope columns', () => {
    const cols = (binding: CoreBinding, bytes: Uint8Array) => {
      const out = new Int32Array(5);
      binding.scanEnvelope(bytes, out);
      return [...out];
    };
    fc.assert(
      fc.property(
        fc.oneof(envelopeLikeArb, fc.jsonValue({ maxDepth: 3 })),
        fc.gen(),
        fc.array(mutationArb, { maxLength: 2 }),
        (value, g, mutations) => {
          const bytes = mutate(Buffer.from(serialize(g, value)), mutations);
          expect(cols(twinBinding, bytes)).toEqual(cols(nat, bytes));
        },
      ),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...MUTATION_BYTES), { maxLength: 24 }), (b) => {
        const bytes = Buffer.from(b);
        expect(cols(twinBinding, bytes)).toEqual(cols(nat, bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('encoder results and bytes', () => {
    const messageArb = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('', 'a\rb', 'x'.repeat(70)),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom(Framing.NDJSON, Framing.LENGTH_PREFIXED),
        (messages, max, framing) => {
          const payloads = messages.map((m) => Buffer.from(m));
          const all = Buffer.concat(payloads);
          const ends = new Uint32Array(payloads.length);
          payloads.reduce((at, p, i) => (ends[i] = at + p.length), 0);
          const size = all.length + payloads.length * (framing === Framing.NDJSON ? 1 : 4);
          const run = (binding: CoreBinding) => {
            const dst = new Uint8Array(size);
            const n = binding.encodeFrames(framing, max, all, ends, payloads.length, dst);
            return n < 0 ? n : [n, Buffer.from(dst).toString('hex')];
          };
          expect(run(twinBinding)).toEqual(run(nat));
          const joined = messages.filter((m) => !m.includes('\n')).join('\n');
          const joinedRun = (binding: CoreBinding) => {
            const dst = new Uint8Array(Buffer.byteLength(joined) + 4 * messages.length + 1);
            const n = binding.encodeJoined(framing, max, joined, dst);
            return n < 0 ? n : [n, Buffer.from(dst.subarray(0, n)).toString('hex')];
          };
          expect(joinedRun(twinBinding)).toEqual(joinedRun(nat));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
