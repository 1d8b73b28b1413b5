/**
 * StreamableHttpClientTransport.postBytes — the gateway's HTTP data plane: a message posted as bytes on the client's
 * legacy session, each message of the answer handed back as bytes (a JSON body, or every SSE `message` event), and
 * every failure a coded NmcpError.
 */
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/transport.js';
import { McpHttpServer } from '../../src/transport/http/server/http-server.js';

function server(): McpServer {
  const s = new McpServer({ name: 'upstream', version: '1.0.0' });
  s.registerTool('plain', { inputSchema: { type: 'object' } }, () => ({ content: [{ type: 'text', text: 'plain' }] }));
  s.registerTool('chatty', { inputSchema: { type: 'object' } }, (_args, ctx) => {
    ctx.log('info', 'about to answer');
    return { content: [{ type: 'text', text: 'after a log line' }] };
  });
  return s;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function connected(): Promise<{
  http: McpHttpServer;
  transport: StreamableHttpClientTransport;
  client: McpClient;
}> {
  const http = new McpHttpServer(server(), { port: 0 });
  const url = await http.listen();
  closers.push(() => http.close());
  const transport = new StreamableHttpClientTransport(url);
  const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
  await client.connect(transport);
  closers.push(() => client.close());
  return { http, transport, client };
}

async function post(transport: StreamableHttpClientTransport, message: string): Promise<string[]> {
  const got: string[] = [];
  await transport.postBytes(Buffer.from(message), (m) => got.push(m.toString('utf8')));
  return got;
}

const call = (id: string, name: string) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":{}}}`;

describe('StreamableHttpClientTransport.postBytes', () => {
  it('hands back a JSON answer, every event of an SSE answer, and nothing for a notification', async () => {
    const { transport } = await connected();
    const plain = await post(transport, call('"~g1"', 'plain'));
    expect(plain).toHaveLength(1);
    expect(JSON.parse(plain[0] as string)).toMatchObject({ id: '~g1', result: { content: [{ text: 'plain' }] } });
    const chatty = await post(transport, call('"~g2"', 'chatty'));
    expect(chatty.map((m) => JSON.parse(m) as { method?: string; id?: string })).toEqual([
      expect.objectContaining({ method: 'notifications/message' }),
      expect.objectContaining({ id: '~g2', result: expect.anything() }),
    ]);
    expect(
      await post(transport, '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"~g9"}}'),
    ).toEqual([]);
  });

  it('rejects a status outside 2xx with NMCP_ERR_HTTP_STATUS quoting the body', async () => {
    const { transport, client } = await connected();
    const e = await post(transport, 'not json').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NmcpError);
    expect((e as NmcpError).code).toBe(ErrorCode.HTTP_STATUS);
    expect((e as NmcpError).message).toMatch(/^HTTP 400 Bad Request: \{/);
    expect((e as NmcpError).details).toMatchObject({ httpStatus: 400 });
    expect(client.connected).toBe(true); // one bad message is not the session's end
  });

  it('a 404 to the session rejects with NMCP_ERR_HTTP_SESSION_EXPIRED and closes the transport', async () => {
    const { http, transport, client } = await connected();
    const port = Number(new URL(http.url).port);
    await http.close();
    const other = new McpHttpServer(server(), { port });
    await other.listen();
    closers.push(() => other.close());
    const closed = new Promise<void>((resolve) => {
      client.onclose = () => resolve();
    });
    const e = await post(transport, call('1', 'plain')).catch((x: unknown) => x);
    expect((e as NmcpError).code).toBe(ErrorCode.HTTP_SESSION_EXPIRED);
    await closed;
    expect(client.connected).toBe(false);
    await expect(post(transport, call('2', 'plain'))).rejects.toMatchObject({ code: ErrorCode.CONNECTION_CLOSED });
  });
});
