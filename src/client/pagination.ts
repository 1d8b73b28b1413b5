import { ErrorCode, NmcpError } from '../errors.js';
import type { JsonObject } from '../protocol/jsonrpc.js';

/** Upper bound on the pages of one list call: a server that never stops paginating cannot keep a client busy forever. */
export const MAX_PAGES = 10_000;

/**
 * Fetches every page of a paginated list (`tools/list`, `resources/list`, …): follows `nextCursor` until a page has
 * none, and returns the concatenated `key` arrays. Fails with NMCP_ERR_INVALID_RESULT when the server
 * repeats a cursor (a cursor loop), sends a page without the `key` array, or goes beyond MAX_PAGES.
 */
export async function collectPages<T>(
  method: string,
  key: string,
  fetchPage: (cursor: string | undefined) => Promise<JsonObject>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await fetchPage(cursor);
    const list = result[key];
    if (!Array.isArray(list)) {
      throw new NmcpError(ErrorCode.INVALID_RESULT, `${method}: the server's result has no "${key}" array`, {
        method,
        page,
      });
    }
    for (const item of list) items.push(item as T);
    const next = result.nextCursor;
    if (next === undefined || next === null || next === '') return items;
    if (typeof next !== 'string') {
      throw new NmcpError(
        ErrorCode.INVALID_RESULT,
        `${method}: nextCursor must be a string, got ${JSON.stringify(next)}`,
        {
          method,
        },
      );
    }
    if (seen.has(next)) {
      throw new NmcpError(
        ErrorCode.INVALID_RESULT,
        `${method}: the server sent cursor ${JSON.stringify(next)} twice (a pagination loop); stopped after ${page + 1} pages`,
        { method, cursor: next, pages: page + 1 },
      );
    }
    seen.add(next);
    cursor = next;
  }
  throw new NmcpError(ErrorCode.INVALID_RESULT, `${method}: more than ${MAX_PAGES} pages; stopped`, {
    method,
    pages: MAX_PAGES,
  });
}
