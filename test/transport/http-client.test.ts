// StreamableHttpClientTransport against hand-written node:http / node:http2 servers (real sockets, port 0): the wire
// rules (headers, bodies, status mapping), SSE handling and resumption, timeouts, HTTP/2, options.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { Inbox } from '../../src/transport/http/client/inbox.js';
import {
  DEFAULT_HTTP_CLIENT_OPTIONS,
  StreamableHttpClientTransport,
  type StreamableHttpClientTransportOptions,
} from '../../src/transport/http/client/index.js';
import { encodeHeaderValue } from '../../src/transport/http/client/outbound.js';
import { paramHeaders, scanParamDeclarations } from '../../src/transport/http/client/param-headers.js';
import type { TransportSink } from '../../src/transport/types.js';

interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: { close(): Promise<void> }[] = [];
const transports: StreamableHttpClientTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp?x=1`, seen, server };
}

interface Collected {
  messages: string[];
  closed: { reason: Error | undefined }[];
}

async function open(
  url: string,
  options: StreamableHttpClientTransportOptions = {},
): Promise<{ t: StreamableHttpClientTransport; got: Collected }> {
  const t = new StreamableHttpClientTransport(url, options);
  transports.push(t);
  const got: Collected = { messages: [], closed: [] };
  await t.start({
    message: (m) => got.messages.push(m),
    frameError: () => {},
    closed: (reason) => got.closed.push({ reason }),
  });
  return { t, got };
}

async function until(predicate: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const req = (id: number | string, method: string, params?: object) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const ok = (id: number | string, result: object = {}) => JSON.stringify({ jsonrpc: '2.0', id, result });
const sse = (events: { id?: string; event?: string; data?: string; retry?: number }[]) =>
  events
    .map(
      (e) =>
        `${e.retry !== undefined ? `retry: ${e.retry}\n` : ''}${e.id !== undefined ? `id: ${e.id}\n` : ''}${e.event ? `event: ${e.event}\n` : ''}data: ${e.data ?? ''}\n\n`,
    )
    .join('');
const SSE_HEAD = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('StreamableHttpClientTransport: the wire', () => {
  it('POSTs each message with the MCP headers; JSON bodies are delivered as is; 202 delivers nothing', async () => {
    const { url, seen } = await serve((_req, res, body) => {
      const msg = JSON.parse(body);
      if (msg.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(ok(msg.id, { echo: msg.method }));
    });
    const { t, got } = await open(url, { headers: { Authorization: 'Bearer abc', 'X-Trace': 't1' } });
    expect(t.send(req(1, 'tools/list'))).toBe(true);
    expect(t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/x' }))).toBe(true);
    await until(() => got.messages.length === 1 && seen.length === 2);
    expect(JSON.parse(got.messages[0] as string)).toEqual({ jsonrpc: '2.0', id: 1, result: { echo: 'tools/list' } });
    for (const s of seen) {
      expect(s.method).toBe('POST');
      expect(s.headers.accept).toBe('application/json, text/event-stream');
      expect(s.headers['content-type']).toBe('application/json');
      expect(s.headers.authorization).toBe('Bearer abc');
      expect(s.headers['x-trace']).toBe('t1');
      expect(s.headers['mcp-session-id']).toBeUndefined();
    }
    expect(seen[0]?.body).toBe(req(1, 'tools/list'));
    await new Promise((r) => setTimeout(r, 50));
    expect(got.messages.length).toBe(1);
  });

  it('modern messages carry MCP-Protocol-Version, Mcp-Method and Mcp-Name (base64-wrapped when not plain ASCII)', async () => {
    const { url, seen } = await serve((_req, res, body) => {
      const msg = JSON.parse(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(ok(msg.id));
    });
    const { t, got } = await open(url);
    t.send(req(1, 'tools/call', { name: 'wétter', arguments: {}, _meta: MODERN_META }));
    t.send(req(2, 'resources/read', { uri: 'file:///a b.txt', _meta: MODERN_META }));
    t.send(req(3, 'prompts/get', { name: 'plain', _meta: MODERN_META }));
    t.send(req(4, 'tools/list', { _meta: MODERN_META }));
    await until(() => got.messages.length === 4);
    const by = (id: number) => seen.find((s) => JSON.parse(s.body).id === id)?.headers ?? {};
    expect(by(1)['mcp-protocol-version']).toBe('2026-07-28');
    expect(by(1)['mcp-method']).toBe('tools/call');
    expect(by(1)['mcp-name']).toBe(`=?base64?${Buffer.from('wétter').toString('base64')}?=`);
    expect(by(2)['mcp-name']).toBe('file:///a b.txt');
    expect(by(3)['mcp-name']).toBe('plain');
    expect(by(4)['mcp-method']).toBe('tools/list');
    expect(by(4)['mcp-name']).toBeUndefined();
  });

  it('encodes header values as the spec says', () => {
    expect(encodeHeaderValue('get_weather')).toBe('get_weather');
    expect(encodeHeaderValue('日本')).toBe(`=?base64?${Buffer.from('日本', 'utf8').toString('base64')}?=`);
    expect(encodeHeaderValue(' padded')).toBe(`=?base64?${Buffer.from(' padded').toString('base64')}?=`);
    expect(encodeHeaderValue('')).toBe('=?base64??=');
    expect(encodeHeaderValue('a\nb')).toBe(`=?base64?${Buffer.from('a\nb').toString('base64')}?=`);
    // A value that looks like the sentinel is wrapped too, so that it is not decoded by mistake.
    expect(encodeHeaderValue('=?base64?eA==?=')).toBe(
      `=?base64?${Buffer.from('=?base64?eA==?=').toString('base64')}?=`,
    );
  });

  it('finds x-mcp-header declarations on properties chains and builds Mcp-Param-* headers from arguments', () => {
    const decls = scanParamDeclarations({
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        opts: { type: 'object', properties: { dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' } } },
        n: { type: 'integer', 'x-mcp-header': 'N' },
        list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } },
        bad: { type: 'string', 'x-mcp-header': 'not a token' },
        obj: { type: 'object', 'x-mcp-header': 'Obj' },
      },
    });
    expect(decls).toEqual([
      { path: ['region'], header: 'Region' },
      { path: ['opts', 'dry'], header: 'Dry-Run' },
      { path: ['n'], header: 'N' },
    ]);
    expect(paramHeaders(decls, { region: 'eu-west', opts: { dry: false }, n: 7 })).toEqual({
      'mcp-param-region': 'eu-west',
      'mcp-param-dry-run': 'false',
      'mcp-param-n': '7',
    });
    expect(paramHeaders(decls, { region: 'Köln', opts: null, n: 2 ** 60 })).toEqual({
      'mcp-param-region': `=?base64?${Buffer.from('Köln').toString('base64')}?=`,
    });
    expect(paramHeaders(decls, undefined)).toEqual({});
  });

  it('delivers the message events of an SSE response in order, skipping other events and priming events', async () => {
    const { url } = await serve((_req, res, body) => {
      const { id } = JSON.parse(body);
      res.writeHead(200, SSE_HEAD);
      const events: { id?: string; event?: string; data?: string }[] = [{ id: 'p0', data: '' }];
      for (let i = 0; i < 50; i++) {
        events.push({ data: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { i } }) });
      }
      events.push({ event: 'ping', data: 'not a message' });
      events.push({ event: 'message', data: ok(id, { done: true }) });
      const text = sse(events);
      // In small pieces, split inside multi-byte characters and lines, to exercise the decoder.
      const bytes = Buffer.from(text.replace('"i":7', '"i":7,"é":"ü"'));
      let at = 0;
      const step = () => {
        if (at >= bytes.length) return void res.end();
        res.write(bytes.subarray(at, at + 7));
        at += 7;
        setImmediate(step);
      };
      step();
    });
    const { t, got } = await open(url);
    t.send(req('a', 'tools/call', { name: 'x' }));
    await until(() => got.messages.length === 51);
    const parsed = got.messages.map((m) => JSON.parse(m));
    expect(parsed.slice(0, 50).map((m) => m.params.i)).toEqual([...Array(50).keys()]);
    expect(parsed[7].params.é).toBe('ü');
    expect(parsed[50]).toEqual({ jsonrpc: '2.0', id: 'a', result: { done: true } });
  });

  it('never calls the sink re-entrantly', () => {
    const order: string[] = [];
    let depth = 0;
    const inbox: Inbox = new Inbox({
      message: (m) => {
        depth++;
        expect(depth).toBe(1);
        order.push(m);
        if (m === 'a') inbox.push('b');
        depth--;
      },
      frameError: () => {},
      closed: () => {},
    } satisfies TransportSink);
    inbox.push('a');
    inbox.push('c');
    expect(order).toEqual(['a', 'b', 'c']);
  });
});

describe('StreamableHttpClientTransport: HTTP errors become JSON-RPC errors', () => {
  it('a status with a JSON-RPC error body is that error, for the request posted (even with id null)', async () => {
    const { url } = await serve((_req, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'nope', data: { a: 1 } } }));
    });
    const { t, got } = await open(url);
    t.send(req(7, 'tools/list'));
    await until(() => got.messages.length === 1);
    expect(JSON.parse(got.messages[0] as string)).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32600, message: 'nope', data: { a: 1 } },
    });
  });

  it('any other status is a synthesized error with the status and a body snippet; a notification gets nothing', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`overloaded ${'x'.repeat(2_000)}`);
    });
    const { t, got } = await open(url);
    t.send(req(1, 'tools/list'));
    t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/x' }));
    await until(() => got.messages.length === 1);
    const r = JSON.parse(got.messages[0] as string);
    expect(r.id).toBe(1);
    expect(r.error.code).toBe(-32000);
    expect(r.error.message).toMatch(/^HTTP 503 Service Unavailable: overloaded x+…$/);
    expect(r.error.data.httpStatus).toBe(503);
    expect(r.error.data.body.length).toBeLessThanOrEqual(501);
    await new Promise((res) => setTimeout(res, 50));
    expect(got.messages.length).toBe(1);
    expect(got.closed).toEqual([]);
  });

  it('an unexpected content type, an oversize body and a stalled body fail the request', async () => {
    const { url } = await serve((_req, res, body) => {
      const { method } = JSON.parse(body);
      if (method === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>');
      if (method === 'big')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(5_000));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0",'); // and never the rest
    });
    const { t, got } = await open(url, { maxMessageSize: 1_000, timeoutMs: 300 });
    t.send(req(1, 'html'));
    t.send(req(2, 'big'));
    t.send(req(3, 'stall'));
    await until(() => got.messages.length === 3);
    const errors = Object.fromEntries(got.messages.map((m) => JSON.parse(m)).map((m) => [m.id, m.error]));
    expect(errors[1].message).toContain('unexpected response Content-Type "text/html"');
    expect(errors[2].message).toContain('exceeds maxMessageSize (1000 B)');
    expect(errors[2].data.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(errors[3].message).toContain('did not arrive within 300 ms');
    expect(got.closed).toEqual([]);
  });

  it('an unreachable server closes the transport with NMCP_ERR_CONNECT_FAILED', async () => {
    const { url, server } = await serve(() => {});
    const port = (server.address() as AddressInfo).port;
    await servers.pop()?.close();
    const { t, got } = await open(`http://127.0.0.1:${port}/mcp`);
    t.send(req(1, 'initialize'));
    await until(() => got.closed.length === 1);
    const reason = got.closed[0]?.reason as NmcpError;
    expect(reason).toBeInstanceOf(NmcpError);
    expect(reason.code).toBe(ErrorCode.CONNECT_FAILED);
    expect(reason.message).toContain(url.replace('?x=1', '').replace(/\/mcp$/, ''));
    expect(t.send(req(2, 'ping'))).toBe(false);
  });

  it('a connection dropped mid-request fails that request only, once the server has answered before', async () => {
    const { url } = await serve((req_, res, body) => {
      const { id, method } = JSON.parse(body);
      if (method === 'drop') return void req_.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' }).end(ok(id));
    });
    const { t, got } = await open(url);
    t.send(req(1, 'ping'));
    await until(() => got.messages.length === 1);
    t.send(req(2, 'drop'));
    await until(() => got.messages.length === 2);
    const r = JSON.parse(got.messages[1] as string);
    expect(r.id).toBe(2);
    expect(r.error.message).toContain('the HTTP request failed');
    t.send(req(3, 'ping'));
    await until(() => got.messages.length === 3);
    expect(got.closed).toEqual([]);
  });
});

describe('StreamableHttpClientTransport: legacy session', () => {
  it('captures Mcp-Session-Id and the negotiated version at initialize, opens the GET stream, DELETEs on close', async () => {
    const { url, seen } = await serve((req_, res, body) => {
      if (req_.method === 'GET') {
        res.writeHead(200, SSE_HEAD);
        res.write(sse([{ id: 'g1', data: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/hello' }) }]));
        return;
      }
      if (req_.method === 'DELETE') return void res.writeHead(405).end();
      const msg = JSON.parse(body);
      if (msg.method === 'initialize') {
        res.writeHead(200, { ...SSE_HEAD, 'mcp-session-id': 'sess-1' });
        res.end(sse([{ data: ok(msg.id, { protocolVersion: '2025-06-18', capabilities: {} }) }]));
        return;
      }
      if (msg.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(ok(msg.id));
    });
    const { t, got } = await open(url);
    t.send(req(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c' } }));
    await until(() => got.messages.length === 1);
    expect(t.sessionId).toBe('sess-1');
    expect(t.protocolVersion).toBe('2025-06-18');
    t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    await until(() => got.messages.length === 2);
    expect(JSON.parse(got.messages[1] as string).method).toBe('notifications/hello');
    t.send(req(1, 'tools/list'));
    await until(() => got.messages.length === 3);
    const get = seen.find((s) => s.method === 'GET');
    expect(get?.headers.accept).toBe('text/event-stream');
    expect(get?.headers['mcp-session-id']).toBe('sess-1');
    expect(get?.headers['mcp-protocol-version']).toBe('2025-06-18');
    const list = seen.find((s) => s.body.includes('tools/list'));
    expect(list?.headers['mcp-session-id']).toBe('sess-1');
    expect(list?.headers['mcp-protocol-version']).toBe('2025-06-18');
    const init = seen.find((s) => s.body.includes('"initialize"'));
    expect(init?.headers['mcp-protocol-version']).toBeUndefined();
    await t.close();
    const del = seen.find((s) => s.method === 'DELETE');
    expect(del?.headers['mcp-session-id']).toBe('sess-1');
    // 405 to DELETE is fine: closed without a reason, exactly once.
    expect(got.closed).toEqual([{ reason: undefined }]);
    await t.close();
    expect(got.closed.length).toBe(1);
    expect(t.send(req(2, 'ping'))).toBe(false);
  });

  it('a 405 to the GET stream means no stream, and is not retried', async () => {
    const { url, seen } = await serve((req_, res, body) => {
      if (req_.method === 'GET' || req_.method === 'DELETE') return void res.writeHead(405).end();
      const msg = JSON.parse(body);
      if (msg.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's' }).end(ok(msg.id, {}));
    });
    const { t, got } = await open(url, { reconnectDelayMs: 1 });
    t.send(req(0, 'initialize', {}));
    await until(() => got.messages.length === 1);
    t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    await until(() => seen.some((s) => s.method === 'GET'));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.filter((s) => s.method === 'GET').length).toBe(1);
    expect(got.closed).toEqual([]);
  });
});

describe('McpClient negotiation over HTTP (the probe runs in place)', () => {
  const legacyServer = (probeStatus: number, probeBody: string, probeType = 'text/plain') =>
    serve((req_, res, body) => {
      if (req_.method === 'GET' || req_.method === 'DELETE') return void res.writeHead(405).end();
      const msg = JSON.parse(body);
      if (msg.method === 'server/discover') {
        // A body naming the probe's id is answered with it (what a JSON-RPC server does at HTTP 200).
        return void res
          .writeHead(probeStatus, { 'content-type': probeType })
          .end(probeBody.replace('"ID"', String(msg.id)));
      }
      if (msg.id === undefined) return void res.writeHead(202).end();
      const result =
        msg.method === 'initialize'
          ? { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } }
          : { tools: [] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(ok(msg.id, result));
    });

  it.each([
    [404, 'Not Found', 'text/plain'],
    [
      400,
      JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: 'Bad Request: Server not initialized' },
      }),
      'application/json',
    ],
    [
      200,
      JSON.stringify({ jsonrpc: '2.0', id: 'ID', error: { code: -32601, message: 'Method not found' } }),
      'application/json',
    ],
  ])('a legacy server answering server/discover with HTTP %i falls back to initialize', async (status, body, type) => {
    const { url, seen } = await legacyServer(status, body, type);
    const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'auto' });
    const transport = new StreamableHttpClientTransport(url);
    transports.push(transport);
    await client.connect(transport);
    expect(client.era).toBe('legacy');
    const posts = () => seen.filter((s) => s.method === 'POST');
    await until(() => posts().length === 3);
    expect(posts().map((s) => JSON.parse(s.body).method)).toEqual([
      'server/discover',
      'initialize',
      'notifications/initialized',
    ]);
    await client.close();
  });

  it('an authorization failure fails connect with the status', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('no token');
    });
    const client = new McpClient({ name: 'c', version: '0' }, { negotiation: 'legacy' });
    const transport = new StreamableHttpClientTransport(url);
    transports.push(transport);
    const err = await client.connect(transport).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).message).toBe('HTTP 401 Unauthorized: no token');
    expect((err as McpError).data).toEqual({ httpStatus: 401, body: 'no token' });
  });
});

describe('StreamableHttpClientTransport: SSE resumption', () => {
  it('resumes a dropped response stream with GET + Last-Event-ID after the server’s retry, bounded', async () => {
    let gets = 0;
    const { url, seen } = await serve((req_, res, body) => {
      if (req_.method === 'GET') {
        gets++;
        res.writeHead(200, SSE_HEAD);
        if (gets === 1) {
          // Resumes after e2, then drops again with a new event.
          res.end(
            sse([{ id: 'e3', data: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/n', params: { n: 3 } }) }]),
          );
          return;
        }
        res.end(sse([{ id: 'e4', data: ok(1, { resumed: true }) }]));
        return;
      }
      const msg = JSON.parse(body);
      res.writeHead(200, SSE_HEAD);
      res.write(
        sse([
          { id: 'e1', retry: 30, data: '' },
          { id: 'e2', data: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/n', params: { n: 2 } }) },
        ]),
      );
      setTimeout(() => req_.socket.destroy(), 20); // the connection drops before the response
      void msg;
    });
    // Our own first delay would be 10 minutes: only the server's retry: 30 lets this finish within the test timeout.
    const { t, got } = await open(url, { reconnectDelayMs: 600_000 });
    t.send(req(1, 'tools/call', { name: 'x' }));
    await until(() => got.messages.length === 3);
    expect(got.messages.map((m) => JSON.parse(m).params?.n ?? JSON.parse(m).result)).toEqual([2, 3, { resumed: true }]);
    const resumes = seen.filter((s) => s.method === 'GET');
    expect(resumes.map((s) => s.headers['last-event-id'])).toEqual(['e2', 'e3']);
    expect(resumes[0]?.headers.accept).toBe('text/event-stream');
  });

  it('gives up after reconnectAttempts fruitless reconnects, failing the request clearly', async () => {
    const { url, seen } = await serve((req_, res) => {
      if (req_.method === 'GET') return void res.writeHead(503).end();
      res.writeHead(200, SSE_HEAD);
      res.end(sse([{ id: 'only', data: '' }]));
    });
    const { t, got } = await open(url, { reconnectAttempts: 2, reconnectDelayMs: 5 });
    t.send(req(9, 'tools/call', { name: 'x' }));
    await until(() => got.messages.length === 1);
    const r = JSON.parse(got.messages[0] as string);
    expect(r.id).toBe(9);
    expect(r.error.code).toBe(-32000);
    expect(r.error.message).toContain('2 reconnect attempt(s) brought nothing');
    expect(r.error.data.lastEventId).toBe('only');
    expect(seen.filter((s) => s.method === 'GET').length).toBe(2);
  });

  it('a stream that ends before its response without an event id fails the request at once', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(200, SSE_HEAD);
      res.end(sse([{ data: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/n' }) }]));
    });
    const { t, got } = await open(url);
    t.send(req(4, 'tools/call', { name: 'x' }));
    await until(() => got.messages.length === 2);
    const r = JSON.parse(got.messages[1] as string);
    expect(r.id).toBe(4);
    expect(r.error.message).toContain('without an event id to resume from');
    expect(seen.filter((s) => s.method === 'GET').length).toBe(0);
  });

  it('the standalone GET stream reconnects with Last-Event-ID when it drops', async () => {
    let gets = 0;
    const { url, seen } = await serve((req_, res, body) => {
      if (req_.method === 'DELETE') return void res.writeHead(200).end();
      if (req_.method === 'GET') {
        gets++;
        res.writeHead(200, SSE_HEAD);
        res.end(
          sse([
            { id: `g${gets}`, data: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/g', params: { gets } }) },
          ]),
        );
        return;
      }
      const msg = JSON.parse(body);
      if (msg.id === undefined) return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's9' }).end(ok(msg.id, {}));
    });
    const { t, got } = await open(url, { reconnectDelayMs: 5 });
    t.send(req(0, 'initialize', {}));
    await until(() => got.messages.length === 1);
    t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    await until(() => got.messages.length >= 4);
    const ids = seen.filter((s) => s.method === 'GET').map((s) => s.headers['last-event-id']);
    expect(ids.slice(0, 3)).toEqual([undefined, 'g1', 'g2']);
  });

  it('an SSE stream outlives timeoutMs: a long silence is not a body timeout', async () => {
    const { url } = await serve((_req, res, body) => {
      const { id } = JSON.parse(body);
      res.writeHead(200, SSE_HEAD);
      res.write(': opened\n\n');
      setTimeout(() => res.end(sse([{ data: ok(id, { late: true }) }])), 600);
    });
    const { t, got } = await open(url, { timeoutMs: 150 });
    t.send(req(1, 'tools/call', { name: 'x' }));
    await until(() => got.messages.length === 1);
    expect(JSON.parse(got.messages[0] as string).result).toEqual({ late: true });
  });

  it.each([
    ['after', 50],
    ['before', 0],
  ])(
    'cancelling a request closes its response stream (cancelled %s its headers arrived)',
    async (_when, headerDelay) => {
      let streamClosed = false;
      let received = false;
      const { url } = await serve((_req, res, body) => {
        const msg = JSON.parse(body);
        if (msg.id === undefined) return void res.writeHead(202).end();
        received = true;
        res.on('close', () => {
          streamClosed = true;
        });
        // 'before': the headers wait until the cancellation has been sent.
        setTimeout(
          () => {
            res.writeHead(200, SSE_HEAD);
            res.write(': waiting\n\n');
          },
          headerDelay === 0 ? 100 : 0,
        );
      });
      const { t, got } = await open(url);
      t.send(req(5, 'tools/call', { name: 'slow' }));
      await until(() => received);
      if (headerDelay) await new Promise((r) => setTimeout(r, headerDelay));
      t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5 } }));
      await until(() => streamClosed);
      await new Promise((r) => setTimeout(r, 50));
      // The session already failed the request locally: nothing is synthesized for it.
      expect(got.messages).toEqual([]);
    },
  );
});

describe('StreamableHttpClientTransport: connections', () => {
  it('HTTP/1.1: a request is never queued behind an open SSE stream (maxPipelineSize does not pipeline POSTs)', async () => {
    const { url } = await serve((_req, res, body) => {
      const msg = JSON.parse(body);
      if (msg.method === 'stream') {
        res.writeHead(200, SSE_HEAD);
        res.write(': held open\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(ok(msg.id));
    });
    const { t, got } = await open(url, { maxPipelineSize: 10 });
    t.send(req(1, 'stream'));
    await new Promise((r) => setTimeout(r, 50));
    t.send(req(2, 'ping'));
    await until(() => got.messages.length === 1);
    expect(JSON.parse(got.messages[0] as string).id).toBe(2);
  });

  it("httpVersion '2' speaks HTTP/2 (h2c on an http: URL) and multiplexes requests on one connection", async () => {
    const sessions = new Set<unknown>();
    const versions: string[] = [];
    const h2 = createH2Server((request: Http2ServerRequest, response: Http2ServerResponse) => {
      sessions.add(request.stream.session);
      versions.push(request.httpVersion);
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        // The first request is held until the others arrive: they can only arrive if they are multiplexed.
        setTimeout(
          () => response.writeHead(200, { 'content-type': 'application/json' }).end(ok(msg.id, { h: 2 })),
          msg.id === 0 ? 100 : 0,
        );
      });
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise<void>((r) => h2.close(() => r())) });
    const { t, got } = await open(`http://127.0.0.1:${(h2.address() as AddressInfo).port}/mcp`, {
      httpVersion: '2',
      maxConnections: 1,
    });
    for (let i = 0; i < 5; i++) t.send(req(i, 'ping'));
    await until(() => got.messages.length === 5);
    expect(got.messages.map((m) => JSON.parse(m).result)).toEqual(Array(5).fill({ h: 2 }));
    // Answered out of order: request 0 was still held when the others were answered.
    expect(JSON.parse(got.messages[4] as string).id).toBe(0);
    expect(versions).toEqual(Array(5).fill('2.0'));
    expect(sessions.size).toBe(1);
    await t.close();
  });
});

describe('StreamableHttpClientTransport: options', () => {
  it('has the documented defaults', () => {
    const t = new StreamableHttpClientTransport('http://127.0.0.1:1/mcp');
    expect(DEFAULT_HTTP_CLIENT_OPTIONS).toEqual({
      maxConnections: 100,
      maxPipelineSize: 10,
      httpVersion: '1.1',
      connectTimeoutMs: 5_000,
      timeoutMs: 30_000,
      idleTimeoutMs: 300_000,
      maxMessageSize: 16 * 1024 * 1024,
      reconnectAttempts: 3,
      reconnectDelayMs: 1_000,
      reconnectMaxDelayMs: 30_000,
    });
    expect(t.options).toMatchObject(DEFAULT_HTTP_CLIENT_OPTIONS);
    expect(t.options.headers).toEqual({});
  });

  it.each([
    ['not a url', {}, 'StreamableHttpClientTransport.url'],
    ['ftp://x/mcp', {}, 'StreamableHttpClientTransport.url'],
    ['http://h/mcp', { maxConection: 1 }, 'StreamableHttpClientTransport.maxConection'],
    ['http://h/mcp', { maxConnections: -1 }, 'StreamableHttpClientTransport.maxConnections'],
    ['http://h/mcp', { maxPipelineSize: 0 }, 'StreamableHttpClientTransport.maxPipelineSize'],
    ['http://h/mcp', { httpVersion: '3' }, 'StreamableHttpClientTransport.httpVersion'],
    ['http://h/mcp', { timeoutMs: '5' }, 'StreamableHttpClientTransport.timeoutMs'],
    ['http://h/mcp', { idleTimeoutMs: 0 }, 'StreamableHttpClientTransport.idleTimeoutMs'],
    ['http://h/mcp', { connectTimeoutMs: 1.5 }, 'StreamableHttpClientTransport.connectTimeoutMs'],
    ['http://h/mcp', { headers: 'x' }, 'StreamableHttpClientTransport.headers'],
    ['http://h/mcp', { headers: { 'Mcp-Session-Id': 'x' } }, 'StreamableHttpClientTransport.headers.Mcp-Session-Id'],
    ['http://h/mcp', { headers: { 'X-A': 'a\r\nb' } }, 'StreamableHttpClientTransport.headers.X-A'],
    ['http://h/mcp', { headers: { 'bad name': 'v' } }, 'StreamableHttpClientTransport.headers.bad name'],
    [
      'http://h/mcp',
      { headers: { 'Mcp-Param-Region': 'eu' } },
      'StreamableHttpClientTransport.headers.Mcp-Param-Region',
    ],
    ['http://h/mcp', { tls: { ca: 'x' } }, 'StreamableHttpClientTransport.tls'],
    ['https://h/mcp', { tls: 'x' }, 'StreamableHttpClientTransport.tls'],
  ])('rejects %s %j naming the key', (url, options, key) => {
    let err: unknown;
    try {
      new StreamableHttpClientTransport(url, options as StreamableHttpClientTransportOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NmcpError);
    expect((err as NmcpError).code).toBe(ErrorCode.INVALID_OPTION);
    expect((err as NmcpError).details.key).toBe(key);
  });

  it('zero values mean "none" where documented', () => {
    const t = new StreamableHttpClientTransport('https://h/mcp', {
      maxConnections: 0,
      connectTimeoutMs: 0,
      timeoutMs: 0,
      reconnectAttempts: 0,
    });
    expect(t.options).toMatchObject({ maxConnections: 0, connectTimeoutMs: 0, timeoutMs: 0, reconnectAttempts: 0 });
  });
});
