/**
 * SEP-2243 custom headers: a tool's inputSchema may mark a parameter with `"x-mcp-header": "Name"`, and a 2026-07-28
 * client then mirrors that argument in an `Mcp-Param-Name` header (Base64-wrapped as `=?base64?…?=` when it is not
 * plain ASCII). The server must check the header against the body. The HTTP layer learns which tools have such
 * parameters the way any client would: one in-process session of the McpServer (a MemoryTransport pair) lists the
 * tools, and its notifications/tools/list_changed drops the cache. The index is built on the first 2026-07-28
 * tools/call, never on the legacy path.
 */

import type { JsonObject } from '../../../protocol/jsonrpc.js';
import type { McpServer } from '../../../server/mcp-server.js';
import { isObject, McpCode } from '../../../server/wire.js';
import { JsonRpcSession } from '../../../session/session.js';
import { MemoryTransport } from '../../memory.js';
import { type HeaderProblem, type HeaderValue, header } from './headers.js';

/** One parameter mirrored in a header. */
export interface HeaderParam {
  readonly param: string;
  /** The header's name as the schema spells it ("Region" for Mcp-Param-Region). */
  readonly name: string;
  /** The lowercased full header name, as Node presents request headers. */
  readonly key: string;
}

const NONE: readonly HeaderParam[] = Object.freeze([]);
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function paramsOf(tool: JsonObject): readonly HeaderParam[] {
  const schema = tool.inputSchema;
  const properties = isObject(schema) && isObject(schema.properties) ? schema.properties : undefined;
  if (properties === undefined) return NONE;
  const out: HeaderParam[] = [];
  for (const [param, prop] of Object.entries(properties)) {
    const name = isObject(prop) ? prop['x-mcp-header'] : undefined;
    if (typeof name === 'string' && name !== '') out.push({ param, name, key: `mcp-param-${name.toLowerCase()}` });
  }
  return out.length === 0 ? NONE : out;
}

export class ToolHeaderIndex {
  readonly #server: McpServer;
  #rpc: JsonRpcSession | undefined;
  #map: Map<string, readonly HeaderParam[]> | undefined;
  #loading: Promise<Map<string, readonly HeaderParam[]> | undefined> | undefined;
  #closed = false;

  constructor(server: McpServer) {
    this.#server = server;
  }

  /** The header-mirrored parameters of tool `name`: synchronous once the index is built. */
  params(name: string): readonly HeaderParam[] | Promise<readonly HeaderParam[]> {
    const map = this.#map;
    if (map !== undefined) return map.get(name) ?? NONE;
    return this.#load().then((m) => m?.get(name) ?? NONE);
  }

  #load(): Promise<Map<string, readonly HeaderParam[]> | undefined> {
    this.#loading ??= this.#build().then(
      (map) => {
        this.#loading = undefined;
        if (!this.#closed) this.#map = map;
        return map;
      },
      () => {
        // The McpServer is closed (or failed): no index, no custom-header checks, and the next call tries again.
        this.#loading = undefined;
        return undefined;
      },
    );
    return this.#loading;
  }

  async #build(): Promise<Map<string, readonly HeaderParam[]>> {
    let rpc = this.#rpc;
    if (rpc === undefined || rpc.closed) {
      const [ours, theirs] = MemoryTransport.pair();
      await this.#server.connect(theirs);
      rpc = new JsonRpcSession(ours);
      rpc.notificationHandlers.set('notifications/tools/list_changed', () => {
        this.#map = undefined;
      });
      await rpc.start();
      await rpc.request('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'nmcp-http-header-index', version: '1' },
      });
      rpc.notify('notifications/initialized');
      this.#rpc = rpc;
    }
    const map = new Map<string, readonly HeaderParam[]>();
    let cursor: unknown;
    for (let page = 0; page < 10_000; page++) {
      const result = await rpc.request('tools/list', cursor === undefined ? {} : { cursor: cursor as string });
      const tools = Array.isArray(result.tools) ? result.tools : [];
      for (const tool of tools) {
        if (!isObject(tool) || typeof tool.name !== 'string') continue;
        const params = paramsOf(tool);
        if (params.length > 0) map.set(tool.name, params);
      }
      cursor = result.nextCursor;
      if (typeof cursor !== 'string') break;
    }
    return map;
  }

  close(): void {
    this.#closed = true;
    this.#map = undefined;
    void this.#rpc?.close();
  }
}

const mismatch = (message: string): HeaderProblem => ({ status: 400, code: McpCode.HEADER_MISMATCH, message });

/**
 * Checks the Mcp-Param-* headers of a tools/call against its arguments: each mirrored argument present in the body
 * (a string, number or boolean) needs its header, equal to it after Base64 decoding of a `=?base64?…?=` value (strict
 * alphabet and padding). A value without both the prefix and the suffix is literal.
 */
export function customHeaderProblem(
  headers: Record<string, HeaderValue>,
  params: readonly HeaderParam[],
  args: unknown,
): HeaderProblem | undefined {
  const a = isObject(args) ? args : undefined;
  for (const p of params) {
    const value = a?.[p.param];
    if (value === undefined || value === null || typeof value === 'object') continue;
    const raw = header(headers[p.key]);
    if (raw === undefined) {
      return mismatch(
        `Header mismatch: the Mcp-Param-${p.name} header is required (argument "${p.param}" is in the body)`,
      );
    }
    let decoded = raw;
    if (raw.startsWith('=?base64?') && raw.endsWith('?=') && raw.length >= 11) {
      const b64 = raw.slice(9, -2);
      if (!B64.test(b64)) return mismatch(`Header mismatch: Mcp-Param-${p.name} is not valid Base64`);
      decoded = Buffer.from(b64, 'base64').toString('utf8');
    }
    if (decoded !== String(value)) {
      return mismatch(`Header mismatch: Mcp-Param-${p.name} differs from the body's argument "${p.param}"`);
    }
  }
  return undefined;
}
