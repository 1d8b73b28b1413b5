import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonText } from '../../src/protocol/json-text.js';

describe('jsonText = JSON.stringify', () => {
  it('on generated JSON values, full Unicode strings included (lone surrogates, controls, quotes)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (v) => {
        expect(jsonText(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('on strings made of the characters at the edges of what needs escaping', () => {
    const edges = [0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0xff, 0x2028, 0xd7ff, 0xd800, 0xdbff]
      .concat([0xdc00, 0xdfff, 0xe000, 0xfffe, 0xffff])
      .map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...edges, 'a', '\ud83d\ude00'), { maxLength: 12 }), (chars) => {
        const s = chars.join('');
        expect(jsonText(s)).toBe(JSON.stringify(s));
        expect(jsonText({ [s]: [s] })).toBe(JSON.stringify({ [s]: [s] }));
      }),
      { numRuns: 3000 },
    );
    for (const c of edges) expect(jsonText(`x${c}`)).toBe(JSON.stringify(`x${c}`));
  });

  it('on anything fast-check builds (undefined, functions, symbols, Dates, Maps, boxed values, holes, -0, NaN)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withSparseArray: true,
          withTypedArray: true,
          withObjectString: true,
          maxDepth: 5,
        }),
        (v) => {
          expect(jsonText(v)).toBe(JSON.stringify(v));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('handles toJSON, nesting deeper than its own walker, and throws as JSON.stringify does', () => {
    const withToJson = { a: { toJSON: () => ({ b: 1 }) }, d: new Date(0) };
    expect(jsonText(withToJson)).toBe(JSON.stringify(withToJson));
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = i % 2 ? [deep] : { k: deep };
    expect(jsonText(deep)).toBe(JSON.stringify(deep));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonText(cyclic)).toThrow(TypeError);
    expect(() => jsonText({ n: 1n })).toThrow(TypeError);
    expect(jsonText(undefined)).toBe(undefined);
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(jsonText({ p: new Point(1, 2), s: 'a"b\\c\n\u2028' })).toBe(
      JSON.stringify({ p: new Point(1, 2), s: 'a"b\\c\n\u2028' }),
    );
  });
});
