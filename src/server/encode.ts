/**
 * Modern-era (2026-07-28) result encoding, docs/mcp-eras.md §3.4: every result carries `resultType`; the cacheable ones
 * (lists, resources/read, server/discover) carry `ttlMs` and `cacheScope`; every result carries the server's identity
 * in `_meta["io.modelcontextprotocol/serverInfo"]`. The common case — a handler result without its own `_meta` /
 * `resultType` / cache fields — is encoded by splicing a precomputed head into the result's JSON, no object copy.
 */

import { type JsonObject, McpError, RawJson, RpcCode } from '../protocol/jsonrpc.js';
import type { CacheableMethod, CacheHint, Implementation } from './types.js';
import { isObject, META } from './wire.js';

export const CACHEABLE_METHODS: readonly CacheableMethod[] = [
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
];

export const DEFAULT_CACHE_HINT: Required<CacheHint> = Object.freeze({ ttlMs: 0, cacheScope: 'private' });

function isValidTtl(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isValidScope(v: unknown): v is 'public' | 'private' {
  return v === 'public' || v === 'private';
}

export function assertCacheHint(hint: CacheHint, where: string): void {
  const bad = (what: string) => new RangeError(`${where}: ${what}`);
  if (hint.ttlMs !== undefined && !isValidTtl(hint.ttlMs)) throw bad('ttlMs must be a non-negative safe integer');
  if (hint.cacheScope !== undefined && !isValidScope(hint.cacheScope)) {
    throw bad('cacheScope must be "public" or "private"');
  }
}

export class ModernEncoder {
  readonly #serverInfo: Implementation;
  readonly #hints = new Map<string, Required<CacheHint>>();
  /** `"_meta":{"io.modelcontextprotocol/serverInfo":{…}}` */
  readonly #metaJson: string;
  /** Per method: the JSON head `{"resultType":"complete",…,"_meta":{…}` that complete results start with. */
  readonly #heads = new Map<string, string>();
  readonly #plainHead: string;

  constructor(serverInfo: Implementation, hints: { [method: string]: CacheHint | undefined } = {}) {
    this.#serverInfo = serverInfo;
    this.#metaJson = `"_meta":${JSON.stringify({ [META.SERVER_INFO]: serverInfo })}`;
    for (const method of CACHEABLE_METHODS) {
      const hint = { ...DEFAULT_CACHE_HINT, ...stripUndefined(hints[method]) };
      this.#hints.set(method, hint);
      this.#heads.set(method, `{"resultType":"complete",${this.#cacheJson(hint)},${this.#metaJson}`);
    }
    this.#plainHead = `{"resultType":"complete",${this.#metaJson}`;
  }

  /** The trailer of a cached list page: `,"resultType":"complete","ttlMs":…,"cacheScope":…,"_meta":{…}`. */
  listSuffix(method: CacheableMethod): string {
    const head = this.#heads.get(method) as string;
    return `,${head.slice(1)}`;
  }

  /** A complete result of `method`. Throws -32603 for a resultType the method does not allow. */
  complete(method: string, result: unknown): RawJson | JsonObject {
    if (result === undefined) result = {};
    if (!isObject(result)) {
      throw new McpError(RpcCode.INTERNAL_ERROR, `Internal error: the ${method} handler returned a non-object result`);
    }
    const cacheable = this.#hints.get(method);
    if (
      result.resultType === undefined &&
      result._meta === undefined &&
      (cacheable === undefined || (result.ttlMs === undefined && result.cacheScope === undefined))
    ) {
      const head = cacheable ? (this.#heads.get(method) as string) : this.#plainHead;
      const json = JSON.stringify(result);
      return new RawJson(json === '{}' ? `${head}}` : `${head},${json.slice(1)}`);
    }
    const out: JsonObject = { ...result };
    if (out.resultType === undefined) out.resultType = 'complete';
    else if (out.resultType !== 'complete') {
      throw new McpError(
        RpcCode.INTERNAL_ERROR,
        `Internal error: the ${method} handler returned resultType ${JSON.stringify(out.resultType)}; only "complete" is allowed here`,
      );
    }
    if (cacheable) {
      if (!isValidTtl(out.ttlMs)) out.ttlMs = cacheable.ttlMs;
      if (!isValidScope(out.cacheScope)) out.cacheScope = cacheable.cacheScope;
    }
    this.#stampMeta(out);
    return out;
  }

  /** An input_required result, stamped with serverInfo (never cache fields). */
  inputRequired(result: JsonObject): JsonObject {
    this.#stampMeta(result);
    return result;
  }

  /** A CreateTaskResult (`resultType: "task"`, tasks extension), stamped with serverInfo (never cache fields). */
  taskCreated(result: JsonObject): JsonObject {
    this.#stampMeta(result);
    return result;
  }

  #stampMeta(out: JsonObject): void {
    const meta = out._meta;
    if (meta === undefined) out._meta = { [META.SERVER_INFO]: this.#serverInfo };
    else if (isObject(meta) && meta[META.SERVER_INFO] === undefined) {
      out._meta = { ...meta, [META.SERVER_INFO]: this.#serverInfo };
    }
  }

  #cacheJson(hint: Required<CacheHint>): string {
    return `"ttlMs":${hint.ttlMs},"cacheScope":${JSON.stringify(hint.cacheScope)}`;
  }
}

function stripUndefined(hint: CacheHint | undefined): CacheHint {
  if (!hint) return {};
  const out: CacheHint = {};
  if (hint.ttlMs !== undefined) out.ttlMs = hint.ttlMs;
  if (hint.cacheScope !== undefined) out.cacheScope = hint.cacheScope;
  return out;
}
