/** Shared by the McpHost tests: small servers that say who they are, and clients over HTTP and TCP. */
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/index.js';
import { TcpClientTransport, type TcpClientTransportOptions } from '../../src/transport/tcp/client-transport.js';

/** A server with one tool of its own (`<name>-tool`) and `whoami`, which answers the server's name. */
export function namedServer(name: string): McpServer {
  const server = new McpServer({ name: `server-${name}`, version: '1.0.0' });
  server.registerTool(`${name}-tool`, { description: `${name}'s own tool` }, () => ({
    content: [{ type: 'text', text: `${name}-tool` }],
  }));
  server.registerTool('whoami', { inputSchema: { type: 'object' } }, () => ({
    content: [{ type: 'text', text: name }],
  }));
  return server;
}

export function text(result: { content: unknown[] }): string {
  return (result.content as { text?: string }[]).map((c) => c.text ?? '').join('');
}

export async function httpClient(
  url: string,
  negotiation: McpClientOptions['negotiation'] = 'legacy',
): Promise<McpClient> {
  const client = new McpClient({ name: 'host-test', version: '0' }, { negotiation });
  await client.connect(new StreamableHttpClientTransport(url));
  return client;
}

export async function tcpClient(
  options: TcpClientTransportOptions,
  negotiation: McpClientOptions['negotiation'] = 'legacy',
): Promise<McpClient> {
  const client = new McpClient({ name: 'host-test', version: '0' }, { negotiation });
  await client.connect(new TcpClientTransport(options));
  return client;
}

export async function until(predicate: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
