import type { JsonObject } from '../../src/protocol/jsonrpc.js';
import { type McpServer, META, type ServerSession } from '../../src/server/index.js';
import { MemoryTransport } from '../../src/transport/memory.js';

/** The modern per-request envelope (docs/mcp-eras.md §3.1). */
export function env(extra: JsonObject = {}, capabilities: JsonObject = {}): JsonObject {
  return {
    [META.PROTOCOL_VERSION]: '2026-07-28',
    [META.CLIENT_CAPABILITIES]: capabilities,
    [META.CLIENT_INFO]: { name: 'raw', version: '0' },
    ...extra,
  };
}

/** A raw client: writes JSON-RPC lines, records every message the server sends. */
export class RawClient {
  readonly received: JsonObject[] = [];
  closed = false;
  #nextId = 1;
  #waiters: (() => void)[] = [];

  constructor(readonly transport: MemoryTransport) {}

  async start(): Promise<void> {
    await this.transport.start({
      message: (text) => {
        // A batch response (an array) is recorded as one entry.
        this.received.push(JSON.parse(text) as JsonObject);
        this.#wake();
      },
      frameError: () => {},
      closed: () => {
        this.closed = true;
        this.#wake();
      },
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Sends a raw value (an object is serialized; a string goes as is). */
  send(value: unknown): void {
    this.transport.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Waits for a message matching `predicate` and returns it. */
  async waitFor(predicate: (m: JsonObject) => boolean, ms = 2000): Promise<JsonObject> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out; received: ${JSON.stringify(this.received).slice(0, 2000)}`);
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 10);
      });
    }
  }

  /** The response to `id`. */
  response(id: unknown, ms?: number): Promise<JsonObject> {
    return this.waitFor((m) => !Array.isArray(m) && m.id === id && ('result' in m || 'error' in m), ms);
  }

  /** Sends a request and returns its response. */
  async request(method: string, params?: JsonObject, id: string | number = this.#nextId++): Promise<JsonObject> {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.response(id);
  }

  /** The result of a request (throws with the error when it failed). */
  async call(method: string, params?: JsonObject): Promise<JsonObject> {
    const r = await this.request(method, params);
    if (r.error) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
    return r.result as JsonObject;
  }

  notify(method: string, params?: JsonObject): void {
    this.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** Notifications received so far with `method`. */
  notifications(method: string): JsonObject[] {
    return this.received.filter((m) => m.method === method && m.id === undefined);
  }

  /** initialize + notifications/initialized. */
  async initialize(protocolVersion = '2025-11-25', capabilities: JsonObject = {}): Promise<JsonObject> {
    const result = await this.call('initialize', {
      protocolVersion,
      capabilities,
      clientInfo: { name: 'raw', version: '0' },
    });
    this.notify('notifications/initialized');
    return result;
  }

  /** A modern-era request (the envelope is added). */
  modern(method: string, params: JsonObject = {}, meta: JsonObject = {}, capabilities?: JsonObject) {
    return this.request(method, { ...params, _meta: env(meta, capabilities) });
  }

  /** Lets pending deliveries happen (the memory transport delivers on setImmediate). */
  async settle(turns = 3): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
  }
}

/** Connects a raw client to `server`; returns both ends. */
export async function connect(server: McpServer): Promise<{ client: RawClient; session: ServerSession }> {
  const [a, b] = MemoryTransport.pair();
  const client = new RawClient(b);
  await client.start();
  const session = await server.connect(a);
  return { client, session };
}

/** The text of a tool result's first content block. */
export function text(result: JsonObject): string {
  const content = result.content as { text: string }[];
  return content[0]?.text ?? '';
}
