/**
 * Paginated list results. A list (tools, prompts, resources, templates) is built once, each item serialized once, and
 * each page kept as pre-serialized JSON (RawJson) per era until the set changes: a tools/list of an unchanged server
 * costs a Map lookup. The cursor is an opaque base64 offset; `nextCursor` is present on every page but the last.
 */

import { type JsonObject, RawJson } from '../protocol/jsonrpc.js';
import type { Era } from './types.js';
import { invalidParams } from './wire.js';

export function encodeCursor(offset: number): string {
  return Buffer.from(String(offset), 'utf8').toString('base64');
}

/** The offset a cursor names, or -32602 for a cursor this server did not issue (or one past the end). */
export function decodeCursor(cursor: unknown, length: number): number {
  if (cursor === undefined || cursor === null) return 0;
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(cursor)) {
    throw invalidParams('Invalid params: invalid cursor');
  }
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  const offset = /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(offset) || offset <= 0 || offset >= length) {
    throw invalidParams('Invalid params: invalid or stale cursor');
  }
  return offset;
}

/**
 * The JSON text of one page: `{"<key>":[…],"nextCursor":"…"<suffix>}`. `items` are the items' JSON texts; `suffix`
 * (modern era) starts with a comma: `,"resultType":"complete","ttlMs":…`.
 */
export function pageJson(key: string, items: readonly string[], offset: number, pageSize: number, suffix: string) {
  const end = Math.min(items.length, offset + pageSize);
  const slice = offset === 0 && end === items.length ? items : items.slice(offset, end);
  const next = end < items.length ? `,"nextCursor":${JSON.stringify(encodeCursor(end))}` : '';
  return `{${JSON.stringify(key)}:[${slice.join(',')}]${next}${suffix}}`;
}

/** Where a cached list gets its era-specific trailer (resultType, cache hints, serverInfo). */
export type SuffixFor = (era: Era) => string;

/** A list result cached as pre-serialized pages until `invalidate()`. */
export class CachedList {
  #items: string[] | undefined;
  readonly #pages: [Map<number, RawJson>, Map<number, RawJson>] = [new Map(), new Map()];

  constructor(
    readonly key: string,
    private readonly build: () => JsonObject[],
    private readonly pageSize: () => number,
    private readonly suffix: SuffixFor,
  ) {}

  /** Drops the cache: the next request rebuilds the list. */
  invalidate(): void {
    this.#items = undefined;
    this.#pages[0].clear();
    this.#pages[1].clear();
  }

  /** The page a request with `cursor` asks for. */
  page(cursor: unknown, era: Era): RawJson {
    const cache = this.#pages[era === 'legacy' ? 0 : 1];
    if (cursor === undefined) {
      const first = cache.get(0);
      if (first) return first;
    }
    this.#items ??= this.build().map((item) => JSON.stringify(item));
    const offset = decodeCursor(cursor, this.#items.length);
    let page = cache.get(offset);
    if (!page) {
      page = new RawJson(pageJson(this.key, this.#items, offset, this.pageSize(), this.suffix(era)));
      cache.set(offset, page);
    }
    return page;
  }
}
