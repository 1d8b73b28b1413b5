// Interop: our McpClient over StreamableHttpClientTransport against the official SDK HTTP servers (real sockets).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { type JsonObject, McpError } from '../../src/protocol/jsonrpc.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/index.js';
import type { StreamableHttpClientTransportOptions } from '../../src/transport/http/client/options.js';
import { type Peer, startSdk1, startSdk2 } from './http-client-peers.js';

async function until(predicate: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const text = (r: { content: JsonObject[] }) => r.content.map((c) => String(c.text ?? '')).join('');

const clients: McpClient[] = [];
async function connect(
  url: string,
  options: McpClientOptions = {},
  transportOptions: StreamableHttpClientTransportOptions = {},
): Promise<{ client: McpClient; transport: StreamableHttpClientTransport }> {
  const transport = new StreamableHttpClientTransport(url, transportOptions);
  const client = new McpClient({ name: 'nmcp-http-test', version: '0.0.1' }, options);
  clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
});

const sampling: McpClientOptions['onSampling'] = async (params) => {
  const first = (params.messages as JsonObject[])[0]?.content as JsonObject;
  return { role: 'assistant', content: { type: 'text', text: `re:${String(first.text)}` }, model: 'm1' };
};

describe.each([
  ['SSE responses', false],
  ['JSON responses', true],
])('McpClient × SDK 1.x StreamableHTTPServerTransport, stateful (%s)', (_name, json) => {
  let peer: Peer & { sessions: Map<string, unknown> };
  beforeAll(async () => {
    peer = await startSdk1({ json });
  });
  afterAll(async () => {
    await peer.close();
  });

  it.each(['legacy', 'auto'] as const)(
    'connects (%s), lists and calls tools, with the session headers',
    async (mode) => {
      const { client, transport } = await connect(
        peer.url,
        { negotiation: mode, onSampling: sampling },
        { headers: { authorization: `Bearer ${mode}-${json}` } },
      );
      expect(client.era).toBe('legacy');
      expect(client.protocolVersion).toBe('2025-11-25');
      expect(client.serverInfo?.name).toBe('sdk1-http');
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(transport.protocolVersion).toBe('2025-11-25');
      expect((await client.listTools()).map((t) => t.name)).toContain('echo');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hé' } }))).toBe('hé');

      const mine = peer.seen.filter((s) => s.headers.authorization === `Bearer ${mode}-${json}`);
      const init = mine.find((s) => s.rpcMethod === 'initialize');
      expect(init?.headers['mcp-session-id']).toBeUndefined();
      expect(init?.headers.accept).toBe('application/json, text/event-stream');
      expect(init?.headers['content-type']).toBe('application/json');
      const later = mine.filter((s) => s.rpcMethod === 'tools/list' || s.rpcMethod === 'notifications/initialized');
      expect(later.length).toBe(2);
      for (const s of later) {
        expect(s.headers['mcp-session-id']).toBe(transport.sessionId);
        expect(s.headers['mcp-protocol-version']).toBe('2025-11-25');
        // Legacy requests carry none of the modern era's headers.
        expect(s.headers['mcp-method']).toBeUndefined();
      }
      if (mode === 'auto') {
        // The probe went first, without a session; the server's 400 read as "legacy".
        const probe = mine.find((s) => s.rpcMethod === 'server/discover');
        expect(probe?.headers['mcp-method']).toBe('server/discover');
        expect(probe?.headers['mcp-protocol-version']).toBe('2026-07-28');
      }
      // The standalone GET stream was opened after notifications/initialized.
      expect(mine.some((s) => s.method === 'GET' && s.headers['mcp-session-id'] === transport.sessionId)).toBe(true);
    },
  );

  it('progress, a tool error, an unknown method', async () => {
    const { client } = await connect(peer.url, { negotiation: 'legacy' });
    const seen: number[] = [];
    const done = await client.callTool(
      { name: 'progress', arguments: { steps: 3 } },
      { onProgress: (p) => seen.push(p.progress) },
    );
    expect(text(done)).toBe('done 3');
    // With enableJsonResponse the SDK drops notifications related to a request (one JSON body answers it).
    if (!json) expect(seen).toEqual([1, 2, 3]);
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed.isError).toBe(true);
    const err = await client.request('no/such/method').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32601);
  });

  it('a server→client request during a tool call, on its response stream and on the GET stream', async () => {
    const { client, transport } = await connect(peer.url, { negotiation: 'legacy', onSampling: sampling });
    // The server can only use the GET stream once it is open (a request sent before that is dropped by the SDK).
    await until(() => peer.seen.some((s) => s.method === 'GET' && s.headers['mcp-session-id'] === transport.sessionId));
    // With enableJsonResponse the SDK has no response stream to put a related request on (it drops it), so only the
    // GET stream carries one there.
    if (!json) expect(text(await client.callTool({ name: 'sample', arguments: { prompt: 'p1' } }))).toBe('re:p1|m1');
    expect(text(await client.callTool({ name: 'sample-standalone', arguments: { prompt: 'p2' } }))).toBe('re:p2|m1');
  });

  it('close() sends DELETE; a later request with the ended session is a 404 → NMCP_ERR_HTTP_SESSION_EXPIRED', async () => {
    const { client, transport } = await connect(peer.url, { negotiation: 'legacy' });
    const sid = transport.sessionId as string;
    expect(peer.sessions.has(sid)).toBe(true);
    await client.close();
    const del = peer.seen.find((s) => s.method === 'DELETE' && s.headers['mcp-session-id'] === sid);
    expect(del?.headers['mcp-protocol-version']).toBe('2025-11-25');
    expect(peer.sessions.has(sid)).toBe(false);

    // A second client whose session the server then forgets (ended by someone else, or expired).
    const second = await connect(peer.url, { negotiation: 'legacy' });
    const sid2 = second.transport.sessionId as string;
    const del2 = await fetch(peer.url, { method: 'DELETE', headers: { 'mcp-session-id': sid2 } });
    expect(del2.status).toBe(200);
    let closedWith: Error | undefined;
    second.client.onclose = (reason) => {
      closedWith = reason;
    };
    const err = await second.client.listTools().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    const cause = (err as NmcpError).cause as NmcpError;
    expect(cause.code).toBe(ErrorCode.HTTP_SESSION_EXPIRED);
    expect(cause.message).toContain(sid2);
    expect(closedWith).toBe(cause);
    expect(second.client.connected).toBe(false);
  });

  it('a pinned modern version fails clearly against a legacy-only server', async () => {
    const err = await connect(peer.url, { negotiation: { pin: '2026-07-28' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.NEGOTIATION_FAILED);
  });
});

describe('SSE resumption against SDK 1.x with an event store', () => {
  let peer: Peer & { sessions: Map<string, unknown> };
  beforeAll(async () => {
    peer = await startSdk1({ retryMs: 20 });
  });
  afterAll(async () => {
    await peer.close();
  });

  it('a response stream the server closes mid-call is resumed with GET + Last-Event-ID, at the server’s retry', async () => {
    // Our own backoff would wait 10 minutes: only the server's retry: 20 ms lets this finish.
    const { client, transport } = await connect(peer.url, { negotiation: 'legacy' }, { reconnectDelayMs: 600_000 });
    const seen: number[] = [];
    const result = await client.callTool({ name: 'drop', arguments: {} }, { onProgress: (p) => seen.push(p.progress) });
    expect(text(result)).toBe('survived the drop');
    expect(seen).toEqual([1, 2]);
    const resumes = peer.seen.filter(
      (s) => s.method === 'GET' && s.headers['mcp-session-id'] === transport.sessionId && s.headers['last-event-id'],
    );
    expect(resumes.length).toBeGreaterThanOrEqual(1);
  });
});

describe('McpClient × SDK 2.x createMcpHandler', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startSdk2('stateless');
  });
  afterAll(async () => {
    await peer.close();
  });

  it.each(['auto', { pin: '2026-07-28' }] as const)(
    'negotiates the modern era (%j) and sends its headers',
    async (mode) => {
      const { client, transport } = await connect(peer.url, {
        negotiation: mode,
        onElicitation: () => ({ action: 'accept', content: { yes: true } }),
      });
      expect(client.era).toBe('modern');
      expect(client.protocolVersion).toBe('2026-07-28');
      expect(client.serverInfo?.name).toBe('sdk2-http');
      expect(transport.sessionId).toBeUndefined();
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'x' } }))).toBe('x');
      const seen: number[] = [];
      const done = await client.callTool(
        { name: 'progress', arguments: { steps: 2 } },
        { onProgress: (p) => seen.push(p.progress) },
      );
      expect(text(done)).toBe('done 2');
      expect(seen).toEqual([1, 2]);
      // input_required → elicitation → retry, all over stateless POSTs.
      expect(text(await client.callTool({ name: 'confirm', arguments: { what: 'it' } }))).toBe('accept:it');
      const read = await client.readResource({ uri: 'file:///readme.md' });
      expect(read.contents[0]?.text).toBe('# readme');
      const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'zoë' } });
      expect(prompt.messages.length).toBe(1);

      const call = peer.seen.find((s) => s.rpcMethod === 'tools/call');
      expect(call?.headers['mcp-protocol-version']).toBe('2026-07-28');
      expect(call?.headers['mcp-method']).toBe('tools/call');
      expect(call?.headers['mcp-name']).toBe('echo');
      const res = peer.seen.find((s) => s.rpcMethod === 'resources/read');
      expect(res?.headers['mcp-name']).toBe('file:///readme.md');
      expect(peer.seen.every((s) => s.headers['mcp-session-id'] === undefined)).toBe(true);
      peer.seen.length = 0;
    },
  );

  it('mirrors x-mcp-header arguments in Mcp-Param-* headers once tools/list taught it the schema', async () => {
    const { client } = await connect(peer.url, { negotiation: 'auto' });
    await client.listTools();
    expect(text(await client.callTool({ name: 'where', arguments: { region: 'Zürich' } }))).toBe('in Zürich');
    const call = peer.seen.filter((s) => s.rpcMethod === 'tools/call').at(-1);
    expect(call?.headers['mcp-param-region']).toBe(`=?base64?${Buffer.from('Zürich').toString('base64')}?=`);
  });

  it('a server error in the modern era is the server’s JSON-RPC error', async () => {
    const { client } = await connect(peer.url, { negotiation: 'auto' });
    const err = await client.callTool({ name: 'nope', arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32602);
  });

  it('legacy negotiation is served statelessly (GET and DELETE are 405, which is fine)', async () => {
    const { client, transport } = await connect(peer.url, { negotiation: 'legacy' });
    expect(client.era).toBe('legacy');
    expect(transport.sessionId).toBeUndefined();
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'old' } }))).toBe('old');
    await client.close();
  });
});
