import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpClient } from '../../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../../src/client/types.js';
import { McpServer } from '../../../src/server/mcp-server.js';
import { TcpClientTransport, type TcpClientTransportOptions } from '../../../src/transport/tcp/client-transport.js';
import { McpTcpServer, type McpTcpServerOptions } from '../../../src/transport/tcp/server.js';

/** A small server: `echo` (sync), `wait` (resolves when released, or aborts with the request). */
export function testServer(): { server: McpServer; release: () => void } {
  const server = new McpServer({ name: 'tcp-test', version: '1.0.0' });
  let waiters: (() => void)[] = [];
  server.registerTool(
    'echo',
    { inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
    ({ text }) => ({ content: [{ type: 'text', text: String(text) }] }),
  );
  server.registerTool(
    'wait',
    { inputSchema: { type: 'object' } },
    (_args, ctx) =>
      new Promise((resolve, reject) => {
        waiters.push(() => resolve({ content: [{ type: 'text', text: 'released' }] }));
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      }),
  );
  return {
    server,
    release: () => {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
  };
}

export async function listenTcp(
  options: McpTcpServerOptions = {},
  target: { port?: number; host?: string } | { path: string } = { port: 0 },
) {
  const { server, release } = testServer();
  const tcp = new McpTcpServer(server, options);
  const address = await tcp.listen(target);
  return { server, tcp, address, release };
}

export async function connectClient(
  transportOptions: TcpClientTransportOptions,
  clientOptions: McpClientOptions = { negotiation: 'legacy' },
): Promise<{ client: McpClient; transport: TcpClientTransport }> {
  const transport = new TcpClientTransport(transportOptions);
  const client = new McpClient({ name: 'tcp-test-client', version: '1.0.0' }, clientOptions);
  await client.connect(transport);
  return { client, transport };
}

export function text(result: { content: unknown[] }): string {
  return (result.content as { text?: string }[]).map((c) => c.text ?? '').join('');
}

/** A fresh temp dir for Unix socket paths and certificates; remove() deletes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nmcp-tcp-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function until(predicate: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
