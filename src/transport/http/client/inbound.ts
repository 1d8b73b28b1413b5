import { isRequestId, type RequestId } from '../../../protocol/jsonrpc.js';

/**
 * The ids of the responses in one inbound message (a response, or a batch of them). Used only while the transport
 * waits for something on a stream (a request's response, the initialize result), so messages of streams that wait
 * for nothing are not parsed twice.
 */
export function responseIds(text: string): { id: RequestId; result: unknown }[] {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return [];
  }
  const out: { id: RequestId; result: unknown }[] = [];
  for (const m of Array.isArray(msg) ? msg : [msg]) {
    if (typeof m !== 'object' || m === null || 'method' in m) continue;
    const r = m as { id?: unknown; result?: unknown; error?: unknown };
    if (isRequestId(r.id) && (r.result !== undefined || r.error !== undefined))
      out.push({ id: r.id, result: r.result });
  }
  return out;
}

/** The protocolVersion of an initialize result, if it is one. */
export function negotiatedVersion(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const v = (result as { protocolVersion?: unknown }).protocolVersion;
  return typeof v === 'string' ? v : undefined;
}
