import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { McpError, RawJson } from '../../src/protocol/jsonrpc.js';
import { McpServer } from '../../src/server/index.js';
import { CachedList, decodeCursor, encodeCursor } from '../../src/server/pagination.js';
import { compileSchema } from '../../src/server/schema.js';

describe('McpServer options', () => {
  it('validates options with NmcpError INVALID_OPTION naming the key', () => {
    const bad: [unknown, RegExp][] = [
      [{ pageSize: 0 }, /McpServer\.pageSize/],
      [{ pageSize: 1.5 }, /McpServer\.pageSize/],
      [{ requestTimeoutMs: -1 }, /McpServer\.requestTimeoutMs/],
      [{ nope: 1 }, /McpServer\.nope is not a known option/],
      [{ cacheHints: { 'tools/call': {} } }, /cacheHints\.tools\/call/],
      [{ cacheHints: { 'tools/list': { ttlMs: -5 } } }, /ttlMs/],
      [{ cacheHints: { 'tools/list': { cacheScope: 'shared' } } }, /cacheScope/],
      [{ requestStateSecret: 5 }, /requestStateSecret/],
      [{ requestStateSecret: 'too short' }, /at least 32 bytes/],
      [{ capabilities: 'all' }, /capabilities/],
      [{ onError: 'log' }, /onError/],
    ];
    for (const [options, message] of bad) {
      let thrown: unknown;
      try {
        new McpServer({ name: 'x', version: '1' }, options as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(NmcpError);
      expect((thrown as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
      expect((thrown as Error).message).toMatch(message);
    }
    expect(() => new McpServer({ name: 'x' } as never)).toThrow(NmcpError);
  });

  it('fills defaults', () => {
    const server = new McpServer({ name: 'x', version: '1' });
    expect(server.options).toEqual({
      pageSize: 1000,
      requestTimeoutMs: 0,
      outboundTimeoutMs: 60_000,
      requestStateTtlMs: 600_000,
      maxSubscriptions: 1024,
    });
    expect(server.getCapabilities()).toEqual({ logging: {} });
  });
});

describe('pagination', () => {
  it('cursors are opaque base64 offsets; bad or stale cursors are -32602', () => {
    expect(decodeCursor(undefined, 10)).toBe(0);
    expect(decodeCursor(encodeCursor(5), 10)).toBe(5);
    for (const bad of ['!!', encodeCursor(10), encodeCursor(0), Buffer.from('-1').toString('base64'), 7, '']) {
      expect(() => decodeCursor(bad, 10)).toThrow(McpError);
    }
  });

  it('builds each list once and serves cached RawJson pages per era', () => {
    let builds = 0;
    const list = new CachedList(
      'items',
      () => {
        builds++;
        return [{ n: 1 }, { n: 2 }, { n: 3 }];
      },
      () => 2,
      (era) => (era === 'modern' ? ',"resultType":"complete"' : ''),
    );
    const first = list.page(undefined, 'legacy');
    expect(first).toBeInstanceOf(RawJson);
    expect(first.json).toBe(`{"items":[{"n":1},{"n":2}],"nextCursor":"${encodeCursor(2)}"}`);
    expect(list.page(undefined, 'legacy')).toBe(first);
    expect(list.page(encodeCursor(2), 'modern').json).toBe('{"items":[{"n":3}],"resultType":"complete"}');
    expect(builds).toBe(1);
    list.invalidate();
    expect(list.page(undefined, 'legacy')).not.toBe(first);
    expect(builds).toBe(2);
  });
});

describe('schemas', () => {
  it('JSON Schema: draft-07 $schema is accepted; validation messages name the path', () => {
    const compiled = compileSchema(
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { a: { type: 'integer' } },
      },
      'test',
      'input',
    );
    expect(compiled.validate({ a: 1 })).toEqual({ ok: true, value: { a: 1 } });
    expect(compiled.validate({ a: 'x' })).toEqual({ ok: false, message: 'arguments/a must be integer' });
    expect(compiled.json.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('two schemas with the same $id compile side by side', () => {
    const a = compileSchema({ $id: 'https://example.com/same.json', type: 'object', required: ['a'] }, 'a', 'input');
    const b = compileSchema({ $id: 'https://example.com/same.json', type: 'object', required: ['b'] }, 'b', 'input');
    expect(a.validate({ a: 1 })).toMatchObject({ ok: true });
    expect(b.validate({ a: 1 })).toMatchObject({ ok: false });
  });

  it('Standard Schema: async validators are awaited', async () => {
    const compiled = compileSchema(z.object({ a: z.string().refine(async (v) => v === 'ok') }), 'async', 'input');
    await expect(compiled.validate({ a: 'ok' })).resolves.toEqual({ ok: true, value: { a: 'ok' } });
    await expect(compiled.validate({ a: 'no' })).resolves.toMatchObject({ ok: false });
  });

  it('a Standard Schema without JSON Schema support is listed as { type: "object" }', () => {
    const compiled = compileSchema(
      { '~standard': { version: 1, vendor: 'x', validate: (value: unknown) => ({ value }) } },
      'x',
      'input',
    );
    expect(compiled.json).toEqual({ type: 'object' });
  });
});
