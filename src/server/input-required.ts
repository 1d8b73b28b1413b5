/**
 * Modern-era multi round-trip requests (SEP-2322, docs/mcp-eras.md §3.6-3.7). A handler of tools/call, prompts/get or
 * resources/read that calls ctx.elicit / ctx.createMessage / ctx.listRoots without an answer at hand ends the call with
 *   { resultType: 'input_required', inputRequests: { key: { method, params } }, requestState }
 * and the client retries the same request with `inputResponses` (keyed alike) and the `requestState` echoed. The
 * server is stateless: the answers of earlier rounds travel inside `requestState`, which is signed with HMAC-SHA256
 * (node:crypto) so that a client cannot forge or alter them, bound to the method and the tool / prompt / resource, and
 * expires. A tampered, foreign or expired state is rejected with -32602 `Invalid or expired requestState`
 * (`data.reason: 'invalid_request_state'`), as SDK v2 does.
 *
 * Keys are the handler's (`ctx.elicit(params, { key: 'user_name' })`), or else deterministic — `elicit-0`,
 * `sampling-1`, `roots-2`: the kind and the position of the unnamed call in the handler run — so a handler that asks the
 * same questions in the same order finds its answers on the retry. A key names one answer, so asking the same key twice
 * in one run is a handler bug: the request fails (-32603) instead of silently reusing or dropping an answer.
 *
 * The handler may also carry its own state across rounds (`ctx.setRequestState(value)` / `ctx.requestState()`): it
 * travels in the same signed requestState, so the handler reads back exactly what it wrote.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, NmcpError } from '../errors.js';
import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import type { ClientCapabilities } from './types.js';
import { isObject, McpCode } from './wire.js';

export const INVALID_REQUEST_STATE = 'Invalid or expired requestState';

/** What a signed requestState carries. */
interface StatePayload {
  /** Binding: method and target (tool name, prompt name or resource URI). */
  b: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** Answers of the earlier rounds, by key. */
  r: JsonObject;
  /** The keys asked in the round this state was issued with (only those are accepted from inputResponses). */
  q: string[];
  /** The handler's own state (ctx.setRequestState), absent when it set none. */
  s?: unknown;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs and verifies requestState strings: `v1.<base64url(JSON payload)>.<base64url(HMAC-SHA256)>`. */
export class RequestStateCodec {
  readonly #key: Buffer;
  readonly #ttlSeconds: number;

  constructor(secret: Uint8Array | string | undefined, ttlMs: number) {
    if (secret === undefined) this.#key = randomBytes(32);
    else {
      const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
      if (key.length < 32) {
        throw new NmcpError(
          ErrorCode.INVALID_OPTION,
          `McpServer.requestStateSecret must be at least 32 bytes (got ${key.length})`,
          { key: 'McpServer.requestStateSecret' },
        );
      }
      this.#key = key;
    }
    this.#ttlSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
  }

  sign(binding: string, responses: JsonObject, asked: string[], state?: unknown): string {
    const payload: StatePayload = {
      b: binding,
      exp: Math.floor(Date.now() / 1000) + this.#ttlSeconds,
      r: responses,
      q: asked,
    };
    if (state !== undefined) payload.s = state;
    const body = `v1.${b64url(JSON.stringify(payload))}`;
    return `${body}.${b64url(this.#mac(body))}`;
  }

  /** The payload of a state this server issued for `binding`, or -32602 with the frozen message. */
  verify(state: unknown, binding: string): StatePayload {
    if (typeof state !== 'string') throw invalidState();
    const dot = state.lastIndexOf('.');
    if (!state.startsWith('v1.') || dot <= 3) throw invalidState();
    const body = state.slice(0, dot);
    const mac = Buffer.from(state.slice(dot + 1), 'base64url');
    const expected = this.#mac(body);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw invalidState();
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body.slice(3), 'base64url').toString('utf8'));
    } catch {
      throw invalidState();
    }
    if (!isObject(payload) || payload.b !== binding || typeof payload.exp !== 'number') throw invalidState();
    if (payload.exp < Date.now() / 1000) throw invalidState();
    if (!isObject(payload.r) || !Array.isArray(payload.q)) throw invalidState();
    return payload as unknown as StatePayload;
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body).digest();
  }
}

function invalidState(): McpError {
  return new McpError(RpcCode.INVALID_PARAMS, INVALID_REQUEST_STATE, { reason: 'invalid_request_state' });
}

/** Thrown into a handler that asked for input the client has not given yet; the handler's result is then replaced. */
export class InputRequiredSignal extends Error {
  constructor(readonly key: string) {
    super(`input required: ${key} (the request ends with an input_required result)`);
    this.name = 'InputRequiredSignal';
  }
}

type Kind = 'elicit' | 'sampling' | 'roots';

/** The input rounds of one modern-era request: answers known so far, and what this run asked for. */
export class InputRound {
  readonly #codec: RequestStateCodec;
  readonly #binding: string;
  readonly #capabilities: ClientCapabilities | undefined;
  readonly #responses: JsonObject;
  readonly #asked: { [key: string]: JsonObject } = {};
  /** Every key this run used, answered or not: a second use is a handler bug (see the module comment). */
  readonly #used = new Set<string>();
  /** The handler state the retry carried (verified), undefined on a first leg. */
  readonly state: unknown;
  #count = 0;
  #askedAny = false;
  /** A run that cannot go on (a missing client capability, a key used twice): answered as a JSON-RPC error. */
  fatal: McpError | undefined;

  /** Verifies `params.requestState` (throws -32602) and collects the answers of the retry. */
  constructor(codec: RequestStateCodec, binding: string, params: JsonObject, capabilities?: ClientCapabilities) {
    this.#codec = codec;
    this.#binding = binding;
    this.#capabilities = capabilities;
    const state = params.requestState;
    if (state === undefined) {
      this.#responses = {};
      return;
    }
    const payload = codec.verify(state, binding);
    this.state = payload.s;
    const responses: JsonObject = { ...payload.r };
    const given = params.inputResponses;
    if (isObject(given)) {
      for (const key of payload.q) {
        const value = given[key];
        // Answers are bare results; a wrapped { method, result } is dropped (the question is asked again), as in v2.
        if (isObject(value) && !('method' in value && 'result' in value)) responses[key] = value;
      }
    }
    this.#responses = responses;
  }

  /** The answers known to this run, by key: earlier rounds' and this retry's. */
  get responses(): Readonly<Record<string, JsonObject>> {
    return this.#responses as Record<string, JsonObject>;
  }

  /**
   * The answer to the question under `name` (or, unnamed, the next default key), or a rejection that ends the handler
   * with input_required.
   */
  ask(kind: Kind, method: string, params: JsonObject | undefined, name?: string): Promise<JsonObject> {
    const key = name ?? `${kind}-${this.#count++}`;
    if (this.#used.has(key)) {
      // Fatal, not just a rejection: under Promise.all the other asks would still end the run with input_required,
      // and the duplicate would be lost without a trace.
      this.fatal ??= duplicateKey(method, key);
      return Promise.reject(this.fatal);
    }
    this.#used.add(key);
    const answer = this.#responses[key];
    if (isObject(answer)) return Promise.resolve(answer);
    const missing = missingCapability(method, params, this.#capabilities);
    if (missing) {
      this.fatal ??= new McpError(
        McpCode.MISSING_REQUIRED_CLIENT_CAPABILITY,
        `Cannot request input '${key}' (${method}): the request's client capabilities do not declare the required capability`,
        { requiredCapabilities: missing },
      );
      return Promise.reject(this.fatal);
    }
    this.#asked[key] = params === undefined ? { method } : { method, params };
    this.#askedAny = true;
    return Promise.reject(new InputRequiredSignal(key));
  }

  /** Whether the run asked for input that is not answered yet. */
  get pending(): boolean {
    return this.#askedAny;
  }

  /** The input_required result of this run (call when `pending`); `state` is the handler's, signed with it. */
  result(state: unknown): JsonObject {
    const asked = Object.keys(this.#asked);
    return {
      resultType: 'input_required',
      inputRequests: this.#asked,
      requestState: this.#codec.sign(this.#binding, this.#responses, asked, state),
    };
  }
}

/** The error of a key asked twice in one handler run (both eras: a handler must not depend on the era to be correct). */
export function duplicateKey(method: string, key: string): McpError {
  return new McpError(
    RpcCode.INTERNAL_ERROR,
    `${method}: input key '${key}' was already used by another input request of this handler run; each input request needs its own key`,
  );
}

/** The capabilities an embedded request needs that `declared` lacks (docs/mcp-eras.md §3.6), or undefined. */
export function missingCapability(
  method: string,
  params: JsonObject | undefined,
  declared: ClientCapabilities | undefined,
): JsonObject | undefined {
  if (method === 'elicitation/create') {
    const elicitation = declared?.elicitation;
    if (params?.mode === 'url')
      return isObject(elicitation) && elicitation.url !== undefined ? undefined : { elicitation: { url: {} } };
    if (!isObject(elicitation)) return { elicitation: { form: {} } };
    // A bare `elicitation: {}` means form (the 2025 meaning).
    const bare = elicitation.form === undefined && elicitation.url === undefined;
    return bare || elicitation.form !== undefined ? undefined : { elicitation: { form: {} } };
  }
  if (method === 'sampling/createMessage') {
    const sampling = declared?.sampling;
    const needsTools = params?.tools !== undefined || params?.toolChoice !== undefined;
    if (!isObject(sampling)) return needsTools ? { sampling: { tools: {} } } : { sampling: {} };
    return needsTools && sampling.tools === undefined ? { sampling: { tools: {} } } : undefined;
  }
  if (method === 'roots/list') return declared?.roots !== undefined ? undefined : { roots: {} };
  return undefined;
}

/** A key that is not a non-empty string (a JavaScript caller): the error, or undefined when the key is fine. */
export function invalidKey(method: string, key: unknown): McpError | undefined {
  if (key === undefined || (typeof key === 'string' && key !== '')) return undefined;
  return new McpError(RpcCode.INTERNAL_ERROR, `${method}: an input key must be a non-empty string`);
}

/**
 * ctx.setRequestState's value as the next round will see it: a JSON copy (the handler may go on mutating its object,
 * and the state travels as JSON anyway). Throws NmcpError for a value JSON cannot carry.
 */
export function copyState(state: unknown): unknown {
  if (state === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(state);
  } catch (err) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      'ctx.setRequestState: the state is not JSON-serializable',
      { key: 'requestState' },
      { cause: err },
    );
  }
  if (json === undefined) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, 'ctx.setRequestState: the state is not JSON-serializable', {
      key: 'requestState',
    });
  }
  return JSON.parse(json);
}
