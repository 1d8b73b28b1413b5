import type { RequestId } from '../../../protocol/jsonrpc.js';
import { errorText } from '../../../session/session.js';

/**
 * The JSON-RPC code of an error the transport synthesizes for a request that HTTP failed (a status without a JSON-RPC
 * body, a network error, a stream that ended without the response): -32000, the implementation-defined code the
 * official SDK servers use for their own HTTP-level errors (docs/mcp-eras.md §2.6).
 */
export const HTTP_TRANSPORT_ERROR = -32000;

/** Longest part of an HTTP error body quoted in a synthesized error. */
export const BODY_SNIPPET_CHARS = 500;

/**
 * A JSON-RPC error response for `id` carrying an HTTP failure, so that the caller's request fails with it instead of
 * waiting for its timeout.
 */
export function synthesizedError(id: RequestId, message: string, data: Record<string, unknown>): string {
  return errorText(id, HTTP_TRANSPORT_ERROR, message, data);
}

/** The response text for an HTTP error status: the server's JSON-RPC error if the body is one, else a synthesized one. */
export function statusError(id: RequestId, status: number, statusText: string, body: string): string {
  const rpc = jsonRpcError(body);
  if (rpc !== undefined) {
    // SDK servers answer transport-level failures with `"id": null` (they did not parse the request): the request
    // this body answers is the one we posted, so it carries that id, or the caller would wait for its timeout.
    return errorText(id, rpc.code, rpc.message, rpc.data);
  }
  const snippet = body.length > BODY_SNIPPET_CHARS ? `${body.slice(0, BODY_SNIPPET_CHARS)}…` : body;
  return synthesizedError(
    id,
    `HTTP ${status}${statusText ? ` ${statusText}` : ''}${snippet ? `: ${snippet.trim()}` : ''}`,
    { httpStatus: status, body: snippet },
  );
}

interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** The error object of a JSON-RPC error response body, else undefined. */
export function jsonRpcError(body: string): RpcErrorObject | undefined {
  if (!body.startsWith('{') && !body.trimStart().startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const error = (parsed as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof code !== 'number' || !Number.isInteger(code)) return undefined;
  return { code, message: typeof message === 'string' ? message : '', data };
}
