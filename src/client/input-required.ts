/**
 * The modern era's multi-round-trip requests (protocol 2026-07-28): a server that needs something from the client
 * (sampling, elicitation, roots) answers `tools/call`, `prompts/get` or `resources/read` with
 * `{ resultType: 'input_required', inputRequests: { key: { method, params } }, requestState }`. The client runs the
 * matching callbacks and sends the same request again with `inputResponses: { key: result }` and the `requestState`
 * echoed byte for byte, until a `complete` result comes back or `maxRounds` is reached — what the official SDK v2's
 * client does (its inputRequiredDriver), including the 250 ms pause before a retry that carries only requestState.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import type { ClientCallbacks } from './callbacks.js';

/** Rounds before a call fails (the official SDK's default). */
export const DEFAULT_MAX_INPUT_ROUNDS = 10;
/** Pause before retrying a round that had no input requests (only requestState): no hot loop against a busy server. */
export const REQUEST_STATE_ONLY_PACING_MS = 250;

export type ModernOutcome =
  | { kind: 'complete'; result: JsonObject }
  | { kind: 'input_required'; inputRequests: Record<string, unknown>; requestState: string | undefined };

/**
 * Classifies a modern-era result by its `resultType` (and removes it from a complete result). A missing resultType
 * is read as `complete`, as for earlier revisions: lenient to servers that forget the stamp.
 */
export function decodeModernResult(method: string, raw: JsonObject): ModernOutcome {
  const type = raw.resultType;
  if (type === undefined || type === 'complete') {
    if (type === undefined) return { kind: 'complete', result: raw };
    const { resultType: _, ...result } = raw;
    return { kind: 'complete', result };
  }
  if (type === 'input_required') {
    const requests = raw.inputRequests;
    const inputRequests =
      typeof requests === 'object' && requests !== null && !Array.isArray(requests)
        ? (requests as Record<string, unknown>)
        : {};
    const requestState = typeof raw.requestState === 'string' ? raw.requestState : undefined;
    if (Object.keys(inputRequests).length === 0 && requestState === undefined) {
      throw new NmcpError(
        ErrorCode.INVALID_RESULT,
        `${method}: the server answered input_required with neither inputRequests nor requestState`,
        { method },
      );
    }
    return { kind: 'input_required', inputRequests, requestState };
  }
  throw new NmcpError(ErrorCode.INVALID_RESULT, `${method}: unsupported resultType ${JSON.stringify(type)}`, {
    method,
    resultType: type,
  });
}

export interface InputRequiredFlow {
  method: string;
  /** The original params (without the retry members). */
  params: JsonObject;
  /** The first leg's raw result. */
  first: JsonObject;
  callbacks: ClientCallbacks;
  maxRounds: number;
  signal: AbortSignal | undefined;
  /** Total budget of the whole flow (ms), counted from `startedAt`; each leg gets what is left. */
  maxTotalTimeoutMs: number | undefined;
  startedAt: number;
  /** Sends one leg with these params and the remaining total budget. */
  send(params: JsonObject, maxTotalTimeoutMs: number | undefined): Promise<JsonObject>;
}

/** Runs the input_required loop; resolves with the final complete result. */
export async function runInputRequired(flow: InputRequiredFlow): Promise<JsonObject> {
  let outcome = decodeModernResult(flow.method, flow.first);
  for (let round = 1; ; round++) {
    if (outcome.kind === 'complete') return outcome.result;
    if (round > flow.maxRounds) {
      throw new NmcpError(
        ErrorCode.INPUT_REQUIRED_FAILED,
        `${flow.method}: the server still required input after ${flow.maxRounds} rounds (maxInputRounds)`,
        { method: flow.method, rounds: flow.maxRounds, inputRequests: outcome.inputRequests },
      );
    }
    const responses = await fulfil(flow, outcome.inputRequests);
    if (responses === undefined) await sleep(REQUEST_STATE_ONLY_PACING_MS, flow.signal);

    const retry: JsonObject = { ...flow.params };
    if (responses !== undefined) retry.inputResponses = responses;
    if (outcome.requestState !== undefined) retry.requestState = outcome.requestState;
    let remaining: number | undefined;
    if (flow.maxTotalTimeoutMs) {
      remaining = flow.maxTotalTimeoutMs - (Date.now() - flow.startedAt);
      if (remaining <= 0) {
        throw new NmcpError(ErrorCode.INPUT_REQUIRED_FAILED, `${flow.method}: maxTotalTimeoutMs exceeded`, {
          method: flow.method,
          maxTotalTimeoutMs: flow.maxTotalTimeoutMs,
        });
      }
    }
    outcome = decodeModernResult(flow.method, await flow.send(retry, remaining));
  }
}

/** Runs every input request of a round concurrently; the first failure aborts the others. */
async function fulfil(flow: InputRequiredFlow, requests: Record<string, unknown>): Promise<JsonObject | undefined> {
  const entries = Object.entries(requests);
  if (entries.length === 0) return undefined;
  // Check every entry before running any callback: a round we cannot complete must not prompt the user.
  const calls = entries.map(([key, entry]) => {
    const e = entry as { method?: unknown; params?: unknown } | null;
    const method = typeof e === 'object' && e !== null && typeof e.method === 'string' ? e.method : undefined;
    if (method === undefined || !flow.callbacks.handles(method)) {
      throw new NmcpError(
        ErrorCode.INPUT_REQUIRED_FAILED,
        method === undefined
          ? `${flow.method}: input request ${JSON.stringify(key)} has no method`
          : `${flow.method}: the server asks for ${method} (input request ${JSON.stringify(key)}) and the client has no callback for it`,
        { method: flow.method, key, inputMethod: method },
      );
    }
    const params = typeof e?.params === 'object' && e.params !== null ? (e.params as JsonObject) : {};
    // A request beyond the capabilities the client advertised (an undeclared elicitation mode, tool sampling without
    // sampling.tools) is refused like a missing callback, before any callback of the round runs.
    const refused = flow.callbacks.refusal(method, params);
    if (refused) {
      throw new NmcpError(
        ErrorCode.INPUT_REQUIRED_FAILED,
        `${flow.method}: input request ${JSON.stringify(key)} refused: ${refused.message}`,
        { method: flow.method, key, inputMethod: method, rpcCode: refused.code, refusal: refused.data },
        { cause: refused },
      );
    }
    return { key, method, params };
  });
  const round = new AbortController();
  const onAbort = () => round.abort(flow.signal?.reason);
  flow.signal?.addEventListener('abort', onAbort, { once: true });
  if (flow.signal?.aborted) onAbort();
  try {
    const results = await Promise.all(
      calls.map(async ({ key, method, params }) => {
        try {
          return [key, await flow.callbacks.dispatch(method, params, round.signal, 'modern')] as const;
        } catch (err) {
          round.abort(err);
          throw err;
        }
      }),
    );
    return Object.fromEntries(results);
  } finally {
    flow.signal?.removeEventListener('abort', onAbort);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What an aborted call rejects with: the signal's reason when it is an Error (as JsonRpcSession does). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new McpError(RpcCode.REQUEST_TIMEOUT, `request aborted: ${String(reason)}`);
}
