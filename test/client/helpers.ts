import { fileURLToPath } from 'node:url';
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import type { JsonObject } from '../../src/protocol/jsonrpc.js';
import { StdioClientTransport } from '../../src/transport/child-process.js';
import type { Transport, TransportSink } from '../../src/transport/types.js';

export const SDK1_SERVER = fileURLToPath(new URL('./fixtures/sdk1-server.mjs', import.meta.url));
export const SDK2_SERVER = fileURLToPath(new URL('./fixtures/sdk2-server.mjs', import.meta.url));

/** A stdio transport to a fixture server (stderr piped and kept, so a failing test can show it). */
export function spawnFixture(script: string, args: string[] = []): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: [script, ...args],
    stderr: 'pipe',
    shutdownGraceMs: 1_000,
  });
}

/** Connects a client to a freshly spawned fixture server. */
export async function connectFixture(
  script: string,
  options: McpClientOptions = {},
  args: string[] = [],
): Promise<{ client: McpClient; transport: StdioClientTransport }> {
  const transport = spawnFixture(script, args);
  const client = new McpClient({ name: 'nmcp-test', version: '0.0.1' }, options);
  await client.connect(transport);
  return { client, transport };
}

export function text(result: { content: JsonObject[] }): string {
  return result.content.map((c) => String(c.text ?? '')).join('');
}

/** Resolves when `predicate` holds (polled), or rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 1_500): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * An in-process pair of transports: what one side sends, the other receives (asynchronously, in order). `log`
 * records every message sent by the client side.
 */
export function memoryPair(): { client: Transport; server: Transport; sent: JsonObject[] } {
  const sent: JsonObject[] = [];
  const make = (name: string, record: boolean) => {
    let sink: TransportSink | undefined;
    let peer: { deliver(text: string): void; end(): void } | undefined;
    let closed = false;
    const t: Transport & { deliver(text: string): void; end(): void; connect(p: typeof peer): void } = {
      kind: name,
      async start(s) {
        sink = s;
      },
      send(message) {
        if (closed) return false;
        if (record) sent.push(JSON.parse(message) as JsonObject);
        const p = peer;
        setImmediate(() => p?.deliver(message));
        return true;
      },
      async close() {
        if (closed) return;
        closed = true;
        sink?.closed();
        const p = peer;
        setImmediate(() => p?.end());
      },
      deliver(text) {
        if (!closed) sink?.message(text);
      },
      end() {
        if (closed) return;
        closed = true;
        sink?.closed();
      },
      connect(p) {
        peer = p;
      },
    };
    return t;
  };
  const a = make('memory', true);
  const b = make('memory', false);
  a.connect(b);
  b.connect(a);
  return { client: a, server: b, sent };
}
