import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEverythingServer } from '../../examples/everything/server.js';
import { McpClient } from '../../src/client/mcp-client.js';
import type { McpClientOptions } from '../../src/client/types.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import type { JsonObject } from '../../src/protocol/jsonrpc.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/index.js';
import { McpHttpServer } from '../../src/transport/http/server/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const text = (r: { content: JsonObject[] }) => r.content.map((c) => String(c.text ?? '')).join('');

const callbacks: McpClientOptions = {
  onSampling: async () => ({ role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'm' }),
};

describe.each([
  ['HTTP/1.1', false],
  ['h2c', true],
])('McpClient × McpHttpServer (%s)', (_name, http2) => {
  let http: McpHttpServer;
  let url: string;
  let server: ReturnType<typeof createEverythingServer>;
  beforeAll(async () => {
    server = createEverythingServer();
    http = new McpHttpServer(server as never, { port: 0, http2 });
    url = await http.listen();
  });
  afterAll(async () => {
    await http.close();
    await server.close();
  });

  async function connect(negotiation: McpClientOptions['negotiation']) {
    const transport = new StreamableHttpClientTransport(url, { httpVersion: http2 ? '2' : '1.1' });
    const client = new McpClient({ name: 'nmcp-http', version: '0' }, { ...callbacks, negotiation });
    await client.connect(transport);
    return { client, transport };
  }

  it.each([
    ['legacy', 'legacy', '2025-11-25'],
    ['auto', 'modern', '2026-07-28'],
    [{ pin: '2026-07-28' }, 'modern', '2026-07-28'],
    [{ pin: '2025-06-18' }, 'legacy', '2025-06-18'],
  ] as const)('negotiation %j → %s %s: tools, progress, sampling during a call', async (mode, era, version) => {
    const { client, transport } = await connect(mode);
    try {
      expect(client.era).toBe(era);
      expect(client.protocolVersion).toBe(version);
      if (era === 'legacy') {
        expect(transport.sessionId).toBeDefined();
        expect(transport.protocolVersion).toBe(version);
      } else {
        expect(transport.sessionId).toBeUndefined();
      }
      expect((await client.listTools()).map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'sample']));
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'ça va' } }))).toBe('ça va');
      // Modern: the server checks the Mcp-Param-Region header the tools/list result taught the transport (SEP-2243).
      const custom = await client.callTool({ name: 'test_custom_headers', arguments: { region: 'Zürich' } });
      expect(text(custom)).toBe('region=Zürich');
      const steps: number[] = [];
      const done = await client.callTool(
        { name: 'long_running_operation', arguments: { steps: 3, delayMs: 5 } },
        { onProgress: (p) => steps.push(p.progress) },
      );
      expect(text(done)).toBe('completed 3 steps');
      expect(steps).toEqual([1, 2, 3]);
      // Legacy: a real sampling/createMessage on the call's stream; modern: input_required, then a retry.
      expect(text(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } }))).toBe('sampled');
      const failed = await client.callTool({ name: 'fail', arguments: {} });
      expect(failed.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('legacy: close() ends the session with DELETE; a session the server forgot is NMCP_ERR_HTTP_SESSION_EXPIRED', async () => {
    const first = await connect('legacy');
    const sid = first.transport.sessionId as string;
    expect(http.handler.session(sid)).toBeDefined();
    await first.client.close();
    expect(http.handler.session(sid)).toBeUndefined();

    const { client, transport } = await connect('legacy');
    // The server ends the session on its side (as an expiry or an operator would).
    await http.handler.session(transport.sessionId as string)?.close();
    expect(http.handler.session(transport.sessionId as string)).toBeUndefined();
    const err = await client.listTools().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(((err as NmcpError).cause as NmcpError).code).toBe(ErrorCode.HTTP_SESSION_EXPIRED);
    await client.close();
  });
});

describe('McpClient × McpHttpServer over TLS (https, h2 by ALPN)', () => {
  let cert: Buffer;
  let http: McpHttpServer;
  let url: string;
  let server: ReturnType<typeof createEverythingServer>;
  beforeAll(async () => {
    const tls = selfSignedCertificate();
    cert = tls.cert;
    server = createEverythingServer();
    http = new McpHttpServer(server as never, {
      port: 0,
      http2: true,
      https: { key: tls.key, cert },
    });
    url = await http.listen();
  });
  afterAll(async () => {
    await http.close();
    await server.close();
  });

  it.each([
    ['2', 'auto'],
    ['2', 'legacy'],
    ['1.1', 'legacy'],
  ] as const)(
    'httpVersion %s, negotiation %s, trusting the server through tls.ca',
    async (httpVersion, negotiation) => {
      expect(url.startsWith('https://')).toBe(true);
      const transport = new StreamableHttpClientTransport(url, { httpVersion, tls: { ca: cert } });
      const client = new McpClient({ name: 'tls', version: '0' }, { negotiation });
      await client.connect(transport);
      try {
        expect(text(await client.callTool({ name: 'echo', arguments: { text: 'secure' } }))).toBe('secure');
      } finally {
        await client.close();
      }
    },
  );

  it('an untrusted certificate closes the transport with NMCP_ERR_CONNECT_FAILED', async () => {
    const transport = new StreamableHttpClientTransport(url, { httpVersion: '2' });
    const client = new McpClient({ name: 'tls', version: '0' }, { negotiation: 'legacy' });
    const err = await client.connect(transport).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(((err as NmcpError).cause as NmcpError).code).toBe(ErrorCode.CONNECT_FAILED);
  });
});
