/**
 * The forwarding rewrite (docs/core-api.md §Forward) of both cores: the same unit cases against the native addon and
 * the twin, a property that rewritten requests parse to the original with only the id and the name changed, and raw
 * equality of the two cores (bytes written, output bytes, ends, statuses) on random batches. The native half is
 * skipped when the addon is not built (or under NMCP_NATIVE=0).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoreBinding, ForwardStatus } from '../../src/native/binding-types.js';
import { loadNativeBinding, twinBinding } from '../../src/native/index.js';
import { envelopeLikeArb, MUTATION_BYTES, mutate, mutationArb, serialize } from './generators.js';

const native = process.env.NMCP_NATIVE === '0' ? undefined : loadNativeBinding();
const cores: [string, CoreBinding | undefined][] = [
  ['twin', twinBinding],
  ['native', native],
];

interface Joined {
  bytes: Buffer;
  ends: Uint32Array;
}

function join(parts: readonly (string | Uint8Array)[]): Joined {
  const bufs = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)));
  const ends = new Uint32Array(bufs.length);
  let n = 0;
  bufs.forEach((b, i) => {
    n += b.length;
    ends[i] = n;
  });
  return { bytes: Buffer.concat(bufs), ends };
}

interface Result {
  n: number;
  out: string[];
  hex: string;
  ends: number[];
  status: number[];
}

function rewrite(
  core: CoreBinding,
  frames: readonly (string | Uint8Array)[],
  ids: readonly string[],
  prefixes: readonly number[],
): Result {
  const f = join(frames);
  const i = join(ids);
  const dst = new Uint8Array(f.bytes.length + i.bytes.length);
  const ends = new Uint32Array(frames.length);
  const status = new Uint32Array(frames.length);
  const n = core.rewriteFrames(
    f.bytes,
    f.ends,
    i.bytes,
    i.ends,
    Uint32Array.from(prefixes),
    frames.length,
    dst,
    ends,
    status,
  );
  const out: string[] = [];
  let start = 0;
  for (const end of ends) {
    out.push(Buffer.from(dst.subarray(start, end)).toString('utf8'));
    start = end;
  }
  return { n, out, hex: Buffer.from(dst.subarray(0, n)).toString('hex'), ends: [...ends], status: [...status] };
}

/** One frame: its output and status. */
function one(core: CoreBinding, frame: string, id: string, prefix = 0): [string, number] {
  const r = rewrite(core, [frame], [id], [prefix]);
  return [r.out[0]!, r.status[0]!];
}

for (const [name, core] of cores) {
  describe.skipIf(core === undefined)(`rewriteFrames (${name})`, () => {
    const c = core as CoreBinding;

    it('replaces number and string ids, byte for byte elsewhere', () => {
      expect(one(c, '{"jsonrpc":"2.0","id":7,"method":"ping"}', '12345')).toEqual([
        '{"jsonrpc":"2.0","id":12345,"method":"ping"}',
        ForwardStatus.OK,
      ]);
      expect(one(c, '{"id":"a\\"b","result":{}}', '3')).toEqual(['{"id":3,"result":{}}', 0]);
      expect(one(c, ' { "id" : 1.5e3 , "error":{} } ', '"x"')).toEqual([' { "id" : "x" , "error":{} } ', 0]);
      expect(one(c, '{"id":null,"error":{}}', '9')).toEqual(['{"id":9,"error":{}}', 0]);
      expect(one(c, '{"id":1,"id":2,"method":"m"}', '5')).toEqual(['{"id":1,"id":5,"method":"m"}', 0]);
    });

    it('strips the name prefix on either side of the id', () => {
      expect(
        one(
          c,
          '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fs__read","arguments":{"p":"}\\"{"}}}',
          '77',
          4,
        ),
      ).toEqual([
        '{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"read","arguments":{"p":"}\\"{"}}}',
        0,
      ]);
      expect(
        one(c, '{"params":{"arguments":{"name":"x"},"name":"up__t"},"method":"tools/call","id":"q"}', '1', 4),
      ).toEqual(['{"params":{"arguments":{"name":"x"},"name":"t"},"method":"tools/call","id":1}', 0]);
      expect(one(c, '{"id":1,"p\\u0061rams":{"n\\u0061me":"ab"}}', '2', 2)).toEqual([
        '{"id":2,"p\\u0061rams":{"n\\u0061me":""}}',
        0,
      ]);
      const long = 'x'.repeat(300);
      expect(one(c, `{"id":1,"params":{"a":"${long}\\\\","name":"ns__${long}"}}`, '2', 4)).toEqual([
        `{"id":2,"params":{"a":"${long}\\\\","name":"${long}"}}`,
        0,
      ]);
    });

    it('reports what it cannot rewrite and copies the frame unchanged', () => {
      const S = ForwardStatus;
      const cases: [string, string, number, number][] = [
        ['{"method":"x"}', '1', 0, S.NO_ID],
        ['[{"id":1}]', '1', 0, S.NOT_AN_OBJECT],
        ['{"id":1,}', '1', 0, S.NOT_AN_OBJECT],
        ['', '1', 0, S.NOT_AN_OBJECT],
        ['{"id":1}', '01', 0, S.BAD_NEW_ID],
        ['{"id":1}', ' 1', 0, S.BAD_NEW_ID],
        ['{"id":1}', '"a"b"', 0, S.BAD_NEW_ID],
        ['{"id":1}', 'null', 0, S.BAD_NEW_ID],
        ['{"id":1}', '', 0, S.BAD_NEW_ID],
        ['{"id":1}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":[]}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":{"name":3}}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":{"nam":"abc"}}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":{"name":"a\\u0062c"}}', '1', 2, S.NAME_ESCAPED],
        ['{"id":1,"params":{"name":"ns__a"},"params":{"x":1}}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":{"name":"ns__a"},"params":5}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":{"name":"ns__a","name":null}}', '1', 2, S.NO_NAME],
        ['{"id":1,"params":{"name":"a"}}', '1', 2, S.NAME_TOO_SHORT],
        ['{"id":1,"params":{"name":"aé"}}', '1', 2, S.NAME_TOO_SHORT],
      ];
      for (const [frame, id, prefix, status] of cases) {
        expect(one(c, frame, id, prefix), `${frame} ${id} ${prefix}`).toEqual([frame, status]);
      }
    });

    it('writes a batch back to back with its ends and statuses', () => {
      const r = rewrite(
        c,
        [
          '{"id":1,"method":"tools/call","params":{"name":"a__x"}}',
          '{"method":"notifications/progress"}',
          '{"id":"abc","result":{}}',
        ],
        ['1000', '1001', '"d7"'],
        [3, 0, 0],
      );
      expect(r.out).toEqual([
        '{"id":1000,"method":"tools/call","params":{"name":"x"}}',
        '{"method":"notifications/progress"}',
        '{"id":"d7","result":{}}',
      ]);
      expect(r.status).toEqual([0, ForwardStatus.NO_ID, 0]);
      expect(r.n).toBe(r.ends[2]);
    });

    it('refuses arguments outside the contract', () => {
      const f = join(['{"id":1}', '{"id":2}']);
      const i = join(['3', '4']);
      const p = new Uint32Array(2);
      const call = (dst: Uint8Array, count = 2, ends = f.ends, out = new Uint32Array(2)) =>
        c.rewriteFrames(f.bytes, ends, i.bytes, i.ends, p, count, dst, out, new Uint32Array(2));
      expect(call(new Uint8Array(18))).toBe(16);
      expect(() => call(new Uint8Array(17))).toThrow('output too small: 18 elements needed, got 17');
      expect(() => call(new Uint8Array(18), 3)).toThrow('count 3 exceeds the 2 entries of ends');
      expect(() => call(new Uint8Array(18), 2, Uint32Array.of(8, 4))).toThrow(
        'ends[1] = 4 is out of order or past the payload buffer (16 bytes)',
      );
      expect(() => call(new Uint8Array(18), 2, f.ends, new Uint32Array(1))).toThrow(
        'output too small: 2 elements needed, got 1',
      );
      const shared = new Uint8Array(64);
      shared.set(f.bytes);
      expect(() =>
        c.rewriteFrames(
          shared.subarray(0, 16),
          f.ends,
          i.bytes,
          i.ends,
          p,
          2,
          shared,
          new Uint32Array(2),
          new Uint32Array(2),
        ),
      ).toThrow('dst must not share memory');
    });

    it('rewritten requests parse to the original with only id and name changed', () => {
      const requestArb = fc.record({
        id: fc.oneof(fc.integer(), fc.string()),
        ns: fc.stringMatching(/^[a-z]{1,8}__$/),
        tool: fc.string({ unit: 'grapheme', maxLength: 12 }),
        args: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        newId: fc.oneof(fc.nat(), fc.string({ maxLength: 8 })),
      });
      fc.assert(
        fc.property(requestArb, fc.gen(), ({ id, ns, tool, args, newId }, g) => {
          const message = {
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { name: ns + tool, arguments: args },
          };
          const frame = serialize(g, message);
          const prefix = Buffer.byteLength(ns);
          const [out, status] = one(c, frame, JSON.stringify(newId), prefix);
          if (status === ForwardStatus.OK) {
            const want = JSON.parse(frame) as { id: unknown; params: { name: string } };
            want.id = newId;
            want.params.name = Buffer.from(want.params.name).subarray(prefix).toString();
            expect(JSON.parse(out)).toEqual(want);
          } else {
            // Only a name written with escapes, or a decoy member from the serializer, may stop the rewrite.
            expect(out).toBe(frame);
            expect([ForwardStatus.NAME_ESCAPED, ForwardStatus.NO_NAME, ForwardStatus.NAME_TOO_SHORT]).toContain(status);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
}

const frameArb = fc.oneof(
  fc.gen().map((g) =>
    Buffer.from(
      serialize(
        g,
        g(() => envelopeLikeArb),
      ),
    ),
  ),
  fc
    .tuple(fc.gen(), fc.array(mutationArb, { maxLength: 4 }))
    .map(([g, m]) =>
      mutate(
        Buffer.from(
          serialize(g, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ns__tool', a: [1] } }),
        ),
        m,
      ),
    ),
  // Short and non-ASCII names: cuts past the end or inside a character.
  fc
    .tuple(fc.gen(), fc.string({ unit: 'grapheme', maxLength: 4 }))
    .map(([g, name]) => Buffer.from(serialize(g, { id: 'r', method: 'tools/call', params: { name } }))),
  fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
  fc.array(fc.constantFrom(...MUTATION_BYTES), { maxLength: 24 }).map((b) => Buffer.from(b)),
);
const idArb = fc.oneof(
  fc.nat().map(String),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('', '01', '-', '"\\"', ' 1', '1e5', '"\\u00e9"', 'null', '"a" '),
  // Quoted odd bytes: control bytes, broken escapes.
  fc.uint8Array({ maxLength: 4 }).map((b) => `"${Buffer.from(b).toString('latin1')}"`),
);

describe.skipIf(native === undefined)('rewriteFrames: twin and native agree', () => {
  it('on random batches (bytes written, output, ends, statuses)', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(fc.array(fc.tuple(frameArb, idArb, fc.nat({ max: 6 })), { maxLength: 8 }), (batch) => {
        const frames = batch.map((b) => b[0]);
        const ids = batch.map((b) => b[1]);
        const prefixes = batch.map((b) => b[2]);
        const twin = rewrite(twinBinding, frames, ids, prefixes);
        expect(twin).toEqual(rewrite(native as CoreBinding, frames, ids, prefixes));
        for (const s of twin.status) seen.add(s);
      }),
      { numRuns: 500 },
    );
    // The generators reach success and every failure status (a weak generator would make equality vacuous).
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

function spans(core: CoreBinding, frames: readonly (string | Uint8Array)[]): number[] {
  const f = join(frames);
  const out = new Int32Array(2 * frames.length);
  core.nameSpans(f.bytes, f.ends, frames.length, out);
  return [...out];
}

for (const [name, core] of cores) {
  describe.skipIf(core === undefined)(`nameSpans (${name})`, () => {
    const c = core as CoreBinding;
    it('finds params.name without parsing, or says why not', () => {
      const call =
        '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"name":"x"},"name":"up__echo"}}';
      const s = spans(c, [call, '{"id":1,"params":{"name":"a\\u0062"}}', '{"id":1,"params":{"uri":"x"}}', '[1]']);
      expect(call.slice(s[0], s[1])).toBe('up__echo');
      expect(s.slice(2)).toEqual([
        -ForwardStatus.NAME_ESCAPED,
        0,
        -ForwardStatus.NO_NAME,
        0,
        -ForwardStatus.NOT_AN_OBJECT,
        0,
      ]);
      expect(() => c.nameSpans(Buffer.from('{}'), Uint32Array.of(2), 1, new Int32Array(1))).toThrow(/too small/);
    });
  });
}

describe.skipIf(native === undefined)('nameSpans: twin and native agree', () => {
  it('on random frames, and a found span is params.name as JSON.parse reads it', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), (frames) => {
        const twin = spans(twinBinding, frames);
        expect(twin).toEqual(spans(native as CoreBinding, frames));
        frames.forEach((f, i) => {
          const start = twin[2 * i] as number;
          if (start < 0) return;
          const bytes = typeof f === 'string' ? Buffer.from(f, 'utf8') : Buffer.from(f);
          const parsed = JSON.parse(bytes.toString('utf8')) as { params: { name: string } };
          expect(bytes.subarray(start, twin[2 * i + 1]).toString('utf8')).toBe(parsed.params.name);
        });
      }),
      { numRuns: 300 },
    );
  });
});
