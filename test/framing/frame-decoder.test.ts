import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { decodeRecords, FrameDecoder } from '../../src/framing/frame-decoder.js';
import { Kind, Status } from '../../src/native/binding-types.js';

const lp = (payload: string | Buffer): Buffer => {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
};

describe('FrameDecoder (active core)', () => {
  it('splits NDJSON, strips CR, skips empty lines and reports envelopes', () => {
    const d = new FrameDecoder();
    const input =
      '{"jsonrpc":"2.0","id":7,"method":"tools/list"}\r\n\n\r\n' +
      '{"jsonrpc":"2.0","method":"notifications/initialized"}\n' +
      '{"id":"a\\"b","result":{"id":1,"method":"nested"}}\n' +
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}\n' +
      'not json\n';
    const recs = decodeRecords(d, Buffer.from(input));
    expect(recs.map((r) => r.kind)).toEqual([Kind.REQUEST, Kind.NOTIFICATION, Kind.RESPONSE, Kind.ERROR, Kind.INVALID]);
    expect(recs[0]).toMatchObject({ id: 7, method: 'tools/list' });
    expect(recs[0]?.frame?.toString()).toBe('{"jsonrpc":"2.0","id":7,"method":"tools/list"}');
    expect(recs[1]).toMatchObject({ id: undefined, method: 'notifications/initialized' });
    expect(recs[2]).toMatchObject({ id: 'a"b', method: undefined });
    expect(recs[3]).toMatchObject({ id: null });
  });

  it('assembles a frame that spans chunks and keeps views for frames inside a chunk', () => {
    const d = new FrameDecoder();
    const msg = JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'm', params: { text: 'é'.repeat(1000) } });
    const bytes = Buffer.from(`${msg}\n${msg}\n`);
    const cut = 700;
    expect(d.push(bytes.subarray(0, cut))).toBe(0);
    const n = d.push(bytes.subarray(cut));
    expect(n).toBe(2);
    expect(d.status(0)).toBe(Status.FRAME_ASSEMBLED);
    expect(d.status(1)).toBe(Status.FRAME);
    expect(d.text(0)).toBe(msg);
    expect(JSON.parse(d.text(1)).params.text).toHaveLength(1000);
    expect(d.id(0)).toBe('x');
    expect(d.method(1)).toBe('m');
  });

  it('skips an oversize NDJSON line with an error for that line only, then goes on', () => {
    const d = new FrameDecoder({ maxMessageSize: 64 });
    const big = `{"pad":"${'x'.repeat(200)}"}`;
    const recs = decodeRecords(d, Buffer.from(`{"id":1,"method":"a"}\n${big}\n{"id":2,"method":"b"}\n`));
    expect(recs).toHaveLength(3);
    expect(recs[0]).toMatchObject({ id: 1 });
    expect(recs[1]?.error).toBeInstanceOf(NmcpError);
    expect(recs[1]?.error?.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(recs[1]?.error?.details.fatal).toBe(false);
    expect(recs[2]).toMatchObject({ id: 2, method: 'b' });
    expect(d.failed).toBe(false);
  });

  it('length-prefixed: frames split anywhere, and an oversize header is fatal', () => {
    const d = new FrameDecoder({ framing: 'length-prefixed', maxMessageSize: 100 });
    const stream = Buffer.concat([lp('{"id":1,"method":"a"}'), lp('{"id":2,"result":{}}')]);
    const got: unknown[] = [];
    for (let i = 0; i < stream.length; i += 3) {
      for (const r of decodeRecords(d, stream.subarray(i, i + 3))) got.push(r.id);
    }
    expect(got).toEqual([1, 2]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1000);
    const recs = decodeRecords(d, head);
    expect(recs[0]?.error?.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(recs[0]?.error?.details).toMatchObject({ declared: 1000, fatal: true });
    expect(d.failed).toBe(true);
    expect(decodeRecords(d, lp('{}'))[0]?.error?.code).toBe(ErrorCode.DECODER_FAILED);
    d.reset();
    expect(d.failed).toBe(false);
    expect(decodeRecords(d, lp('{"id":3,"method":"c"}'))[0]).toMatchObject({ id: 3 });
  });

  it('a zero-length header is a corrupt stream', () => {
    const d = new FrameDecoder({ framing: 'length-prefixed' });
    expect(decodeRecords(d, Buffer.alloc(4))[0]?.error?.code).toBe(ErrorCode.CORRUPT_FRAME_HEADER);
    expect(d.failed).toBe(true);
  });

  it('grows its record buffer for chunks with many frames', () => {
    const d = new FrameDecoder();
    const n = 20_000;
    const chunk = Buffer.from('{"id":1,"method":"x"}\n'.repeat(n));
    expect(d.push(chunk)).toBe(n);
    expect(d.method(n - 1)).toBe('x');
    expect(d.frame(n - 1).toString()).toBe('{"id":1,"method":"x"}');
  });

  it('decodes a 64 MiB message in 4 KiB chunks and a 1 MiB one in 1-byte chunks (linear; a quadratic decoder times out)', () => {
    const d = new FrameDecoder({ maxMessageSize: 80 * 1024 * 1024 });
    const big = Buffer.from(`{"id":1,"result":{"text":"${'a'.repeat(64 * 1024 * 1024)}"}}\n`);
    let frames = 0;
    for (let i = 0; i < big.length; i += 4096) frames += d.push(big.subarray(i, i + 4096));
    expect(frames).toBe(1);
    expect(d.kind(0)).toBe(Kind.RESPONSE);
    expect(d.frame(0).length).toBe(big.length - 1);

    const mid = Buffer.from(`{"id":2,"result":"${'b'.repeat(1024 * 1024)}"}\n`);
    frames = 0;
    for (let i = 0; i < mid.length; i++) frames += d.push(mid.subarray(i, i + 1));
    expect(frames).toBe(1);
    expect(d.id(0)).toBe(2);
  });

  it('text(i) is the frame decoded as UTF-8, whether the chunk is all ASCII (one decode, sliced) or not', () => {
    // Strings of any code points (JSON-escaped or raw), frames split across chunks at arbitrary points.
    const frame = fc
      .tuple(
        fc.nat(),
        fc.string({
          unit: fc.oneof(fc.constantFrom('a', 'é', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
        }),
      )
      .map(([id, text]) => JSON.stringify({ jsonrpc: '2.0', id, method: 'echo', params: { text } }));
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (frames, cuts) => {
          const bytes = Buffer.from(`${frames.join('\n')}\n`);
          const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
          const d = new FrameDecoder();
          const texts: string[] = [];
          let from = 0;
          for (const to of [...points, bytes.length]) {
            const n = d.push(bytes.subarray(from, to));
            for (let i = 0; i < n; i++) {
              expect(d.text(i)).toBe(d.frame(i).toString('utf8'));
              texts.push(d.text(i));
            }
            from = to;
          }
          expect(texts).toEqual(frames);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('validates options with errors that name the key', () => {
    expect(() => new FrameDecoder({ maxMessageSize: 0 })).toThrow(/decoder\.maxMessageSize must be an integer from 1/);
    expect(() => new FrameDecoder({ maxMessageSize: 512 * 1024 * 1024 })).toThrow(/256 MiB/);
    expect(() => new FrameDecoder({ framing: 'xml' as never })).toThrow(/decoder\.framing must be one of/);
    expect(() => new FrameDecoder({ batchSize: 3 } as never)).toThrow(/decoder\.batchSize is not a known option/);
  });
});

describe('FrameDecoder without the envelope scan (envelope: false)', () => {
  it('reports the same frames, kind UNSCANNED with no id or method; the scan can be switched on and off', () => {
    const d = new FrameDecoder({ envelope: false });
    expect(d.envelope).toBe(false);
    expect(d.push(Buffer.from('{"jsonrpc":"2.0","id":7,"method":"ping"}\nnot json\n{"id":'))).toBe(2);
    expect([d.kind(0), d.id(0), d.method(0), d.text(0)]).toEqual([
      Kind.UNSCANNED,
      undefined,
      undefined,
      '{"jsonrpc":"2.0","id":7,"method":"ping"}',
    ]);
    expect([d.kind(1), d.text(1)]).toEqual([Kind.UNSCANNED, 'not json']);
    d.envelope = true; // the carried frame is scanned when it completes
    expect(d.push(Buffer.from('8,"result":{}}\n'))).toBe(1);
    expect([d.kind(0), d.id(0)]).toEqual([Kind.RESPONSE, 8]);
    d.envelope = false;
    d.push(Buffer.from('{"id":9,"result":1}\n'));
    expect(d.kind(0)).toBe(Kind.UNSCANNED);
  });

  it('refuses to route without the scan, and validates the option', () => {
    const d = new FrameDecoder({ envelope: false });
    expect(() => d.push(Buffer.from('1\n'), { router: {} as never, transport: 0, nowMs: 0 })).toThrow(
      /routing needs the envelope scan/,
    );
    expect(() => new FrameDecoder({ envelope: 'no' as never })).toThrow(/decoder\.envelope must be a boolean/);
  });
});
