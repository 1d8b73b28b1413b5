/**
 * The native core and the TypeScript twin must agree on everything: random message streams (valid JSON-RPC, garbage,
 * oversize lines, empty lines, CRLF), cut into random chunks, give identical records through both — and the same
 * records as the stream decoded in one piece.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/framing/frame-decoder.js';
import type { CoreBinding } from '../../src/native/binding-types.js';
import { Kind, Status } from '../../src/native/binding-types.js';
import { loadNativeBinding, twinBinding } from '../../src/native/index.js';

const native = loadNativeBinding();

interface Rec {
  status: number;
  hex?: string;
  kind?: number;
  id?: unknown;
  method?: unknown;
}

function decodeAll(
  core: CoreBinding,
  framing: 'ndjson' | 'length-prefixed',
  max: number,
  chunks: Buffer[],
  envelope = true,
): Rec[] {
  const d = new FrameDecoder({ core, framing, maxMessageSize: max, envelope });
  const out: Rec[] = [];
  for (const c of chunks) {
    const n = d.push(c);
    for (let i = 0; i < n; i++) {
      const s = d.status(i);
      if (d.isFrame(i)) {
        out.push({
          status: Status.FRAME,
          hex: d.frame(i).toString('hex'),
          kind: d.kind(i),
          id: d.id(i),
          method: d.method(i),
        });
      } else {
        out.push({ status: s });
      }
    }
  }
  return out;
}

const idArb = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const messageArb = fc.oneof(
  fc.record({ jsonrpc: fc.constant('2.0'), id: idArb, method: fc.string(), params: fc.jsonValue() }),
  fc.record({ jsonrpc: fc.constant('2.0'), method: fc.string(), params: fc.jsonValue() }),
  fc.record({ jsonrpc: fc.constant('2.0'), id: idArb, result: fc.jsonValue() }),
  fc.record({ id: idArb, error: fc.record({ code: fc.integer(), message: fc.string() }) }),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.jsonValue(),
);
// A piece of an NDJSON stream: a JSON message, garbage, an empty line, or an oversize line.
const linePieceArb = fc.oneof(
  { weight: 6, arbitrary: messageArb.map((m) => Buffer.from(`${JSON.stringify(m)}\n`)) },
  { weight: 1, arbitrary: messageArb.map((m) => Buffer.from(`${JSON.stringify(m)}\r\n`)) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.concat([Buffer.from(b), Buffer.from('\n')])),
  },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', '  \n').map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => Buffer.from(`"${'z'.repeat(n)}"\n`)) },
);

function cut(stream: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    chunks.push(stream.subarray(prev, p));
    prev = p;
  }
  chunks.push(stream.subarray(prev));
  return chunks;
}

describe.runIf(native)('native core vs TypeScript twin', () => {
  const nativeCore = native as CoreBinding;

  it('NDJSON: identical records for random streams in random chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(linePieceArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (pieces, points) => {
          const stream = Buffer.concat(pieces);
          const chunks = cut(stream, points);
          const max = 256;
          const a = decodeAll(nativeCore, 'ndjson', max, chunks);
          const b = decodeAll(twinBinding, 'ndjson', max, chunks);
          expect(a).toEqual(b);
          expect(decodeAll(nativeCore, 'ndjson', max, [stream])).toEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('length-prefixed: identical records for random streams in random chunkings, including fatal headers', () => {
    const frameArb = fc.oneof(
      { weight: 8, arbitrary: messageArb.map((m) => Buffer.from(JSON.stringify(m))) },
      { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) }, // zero-length header: corrupt
      { weight: 1, arbitrary: fc.constant(Buffer.alloc(400, 0x20)) }, // over max: fatal
    );
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, points) => {
        const stream = Buffer.concat(
          frames.flatMap((f) => {
            const h = Buffer.alloc(4);
            h.writeUInt32BE(f.length);
            return [h, f];
          }),
        );
        const chunks = cut(stream, points);
        const a = decodeAll(nativeCore, 'length-prefixed', 300, chunks);
        expect(a).toEqual(decodeAll(twinBinding, 'length-prefixed', 300, chunks));
      }),
      { numRuns: 300 },
    );
  });

  it('without the envelope scan: the same frames and errors in both cores, each frame UNSCANNED', () => {
    fc.assert(
      fc.property(
        fc.array(linePieceArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (pieces, points) => {
          const chunks = cut(Buffer.concat(pieces), points);
          const scanned = decodeAll(nativeCore, 'ndjson', 256, chunks);
          const unscanned = scanned.map((r) =>
            r.status === Status.FRAME ? { ...r, kind: Kind.UNSCANNED, id: undefined, method: undefined } : r,
          );
          expect(decodeAll(nativeCore, 'ndjson', 256, chunks, false)).toEqual(unscanned);
          expect(decodeAll(twinBinding, 'ndjson', 256, chunks, false)).toEqual(unscanned);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('envelope scan: identical on random bytes and on random JSON', () => {
    const outA = new Int32Array(5);
    const outB = new Int32Array(5);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          messageArb.map((m) => new Uint8Array(Buffer.from(JSON.stringify(m, null, 1)))),
        ),
        (bytes) => {
          nativeCore.scanEnvelope(bytes, outA);
          twinBinding.scanEnvelope(bytes, outB);
          expect([...outA]).toEqual([...outB]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('encoders: identical output and refusals', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 20 }), fc.constantFrom(0, 1), (msgs, framing) => {
        const joined = msgs.map((m) => JSON.stringify(m)).join('\n');
        const size = Buffer.byteLength(joined) + 4 * msgs.length + 1;
        const a = Buffer.alloc(size);
        const b = Buffer.alloc(size);
        const na = nativeCore.encodeJoined(framing, 1 << 20, joined, a);
        const nb = twinBinding.encodeJoined(framing, 1 << 20, joined, b);
        expect(na).toBe(nb);
        if (na > 0) expect(a.subarray(0, na).equals(b.subarray(0, nb))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
