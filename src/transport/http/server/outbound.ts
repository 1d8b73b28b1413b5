/**
 * Classifying what the session sends, without parsing it: is this text the reply to request `id`? JsonRpcSession
 * writes replies as `{"jsonrpc":"2.0","id":<id>,"result":…}` / `…,"error":…}` and its own requests as
 * `{"jsonrpc":"2.0","id":<n>,"method":…}` (src/session/session.ts), so a prefix comparison decides; text in any other
 * shape (a custom transport user) is parsed, which is slower but exact.
 */

import { isRequestId, type RequestId } from '../../../protocol/jsonrpc.js';

const HEAD = '{"jsonrpc":"2.0","id":';

/** Whether `text` is the response (result or error) to the request `id`. */
export function isResponseTo(text: string, id: RequestId): boolean {
  if (text.startsWith(HEAD)) {
    const idText = JSON.stringify(id);
    if (!text.startsWith(idText, HEAD.length)) return false;
    const at = HEAD.length + idText.length;
    if (text.startsWith(',"result":', at) || text.startsWith(',"error":', at)) return true;
    if (text.startsWith(',"method":', at)) return false;
  } else if (text.startsWith('{"jsonrpc":"2.0","method":')) {
    return false;
  }
  const m = parse(text);
  return m !== undefined && m.method === undefined && m.id === id && (m.result !== undefined || m.error !== undefined);
}

/** Whether `text` is a response of any id (a reply the session wrote outside any handler: a parse error, id null). */
export function isResponse(text: string): boolean {
  if (text.startsWith('{"jsonrpc":"2.0","method":')) return false;
  const m = parse(text);
  return m !== undefined && m.method === undefined && (m.result !== undefined || m.error !== undefined);
}

/** Whether `text` is a request (has a method and an id): a server→client request. */
export function isRequest(text: string): boolean {
  if (text.startsWith('{"jsonrpc":"2.0","method":')) return false;
  if (text.startsWith(HEAD)) {
    const comma = text.indexOf(',', HEAD.length);
    if (comma !== -1 && text.startsWith(',"method":', comma)) return true;
  }
  const m = parse(text);
  return m !== undefined && typeof m.method === 'string' && isRequestId(m.id);
}

function parse(text: string): { [k: string]: unknown } | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { [k: string]: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
