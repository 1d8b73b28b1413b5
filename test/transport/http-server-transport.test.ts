import http2 from 'node:http2';
import net from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import { McpServer } from '../../src/server/mcp-server.js';
import { mcpHttpPlugin } from '../../src/transport/http/server/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { ACCEPT_BOTH, initialize, type Json, parseSse, post, startEverything } from './http-server-helpers.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'h2', version: '1' } },
});

/** One HTTP/2 request: status, headers and the whole body. */
function h2request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    let text = '';
    let head: http2.IncomingHttpHeaders = {};
    req.setEncoding('utf8');
    req.on('response', (h) => {
      head = h;
    });
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, text }));
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP/2 and TLS', () => {
  let key: Buffer;
  let cert: Buffer;

  beforeAll(() => {
    ({ key, cert } = selfSignedCertificate());
  });

  it('h2c (cleartext HTTP/2): JSON and SSE answers on streams of one connection', async () => {
    const env = await startEverything({ http2: true });
    const session = http2.connect(env.url.replace('/mcp', ''));
    try {
      const base = { ':method': 'POST', ':path': '/mcp', 'content-type': 'application/json', accept: ACCEPT_BOTH };
      const init = await h2request(session, base, INIT);
      expect(init.status).toBe(200);
      const sid = init.headers['mcp-session-id'] as string;
      expect(JSON.parse(init.text)).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
      const progress = await h2request(
        session,
        { ...base, 'mcp-session-id': sid },
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'long_running_operation', arguments: { steps: 2, delayMs: 1 }, _meta: { progressToken: 1 } },
        }),
      );
      expect(progress.headers['content-type']).toBe('text/event-stream');
      const messages = parseSse(progress.text).flatMap((e) => (e.message ? [e.message] : []));
      expect(messages.map((m) => m.method ?? m.id)).toEqual(['notifications/progress', 'notifications/progress', 1]);
    } finally {
      session.close();
      await env.close();
    }
  });

  it('TLS: HTTP/1.1 and h2 (ALPN) on one port; an untrusted certificate is refused by the client', async () => {
    const env = await startEverything({ https: { key, cert }, http2: true });
    expect(env.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const agent = new Agent({ connect: { ca: cert } });
    const session = http2.connect(env.url.replace('/mcp', ''), { ca: cert });
    try {
      const h1 = await request(env.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH },
        body: INIT,
      });
      expect(h1.statusCode).toBe(200);
      expect(((await h1.body.json()) as Json).result).toMatchObject({ protocolVersion: '2025-11-25' });
      const h2 = await h2request(
        session,
        { ':method': 'POST', ':path': '/mcp', 'content-type': 'application/json', accept: ACCEPT_BOTH },
        INIT,
      );
      expect(session.alpnProtocol).toBe('h2');
      expect(h2.status).toBe(200);
      expect(h2.headers['mcp-session-id']).toBeDefined();
      const untrusted = await request(env.url, { method: 'POST', body: INIT }).catch((e: Error) => e);
      expect(untrusted).toBeInstanceOf(Error);
    } finally {
      session.close();
      await agent.close();
      await env.close();
    }
  });

  it('TLS without http2 serves HTTP/1.1', async () => {
    const env = await startEverything({ https: { key, cert } });
    const agent = new Agent({ connect: { ca: cert } });
    try {
      const r = await request(env.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH },
        body: INIT,
      });
      expect(r.statusCode).toBe(200);
      expect(r.headers['mcp-session-id']).toBeDefined();
      await r.body.text();
    } finally {
      await agent.close();
      await env.close();
    }
  });
});

describe('mcpHttpPlugin in a user’s fastify app', () => {
  it('mounts at its path; its parser, auth hook and error handler do not touch the app’s other routes', async () => {
    const app = Fastify();
    app.get('/health', async () => ({ ok: true }));
    app.post('/echo', async (req) => ({ got: req.body }));
    const server = new McpServer({ name: 'plugged', version: '1' });
    server.registerTool('hello', { inputSchema: { type: 'object' } }, () => ({
      content: [{ type: 'text', text: 'hi' }],
    }));
    await app.register(mcpHttpPlugin, {
      server,
      path: '/api/mcp',
      auth: ({ token }) => {
        if (token !== 't') throw new Error('no');
        return 'user';
      },
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await request(`${url}/health`)).statusCode).toBe(200);
      const echo = await request(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(await echo.body.json()).toEqual({ got: { a: 1 } }); // the app's JSON parser, not the plugin's bytes
      expect((await post(`${url}/api/mcp`, JSON.parse(INIT))).status).toBe(401);
      const ok = await post(`${url}/api/mcp`, JSON.parse(INIT), { authorization: 'Bearer t' });
      expect(ok.status).toBe(200);
      const sid = ok.headers['mcp-session-id'] as string;
      const call = await post(
        `${url}/api/mcp`,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hello', arguments: {} } },
        { authorization: 'Bearer t', 'mcp-session-id': sid },
      );
      expect(call.json).toMatchObject({ result: { content: [{ text: 'hi' }] } });
    } finally {
      await app.close();
    }
  });

  it('an unknown plugin option is NMCP_ERR_INVALID_OPTION naming it', async () => {
    const app = Fastify();
    const server = new McpServer({ name: 'x', version: '1' });
    await expect(app.register(mcpHttpPlugin, { server, maxSesions: 5 } as never).ready()).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      details: { key: 'mcpHttpPlugin.maxSesions' },
    });
    await app.close();
  });
});

describe('bounds', () => {
  it('a GET-stream consumer that stops reading is cut off at maxPendingBytes; memory stays bounded, the session goes on', async () => {
    const errors: Error[] = [];
    const maxPendingBytes = 256 * 1024;
    const env = await startEverything({ maxPendingBytes, onError: (e) => errors.push(e) });
    try {
      const sid = await initialize(env.url);
      const { port } = new URL(env.url);
      // A raw client: asks for the GET stream, reads the head, then never reads again.
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = 0;
      let closed = false;
      let reading = true;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (reading) {
          reading = false;
          socket.pause(); // stop reading after the first bytes
        }
      });
      socket.on('close', () => {
        closed = true;
      });
      socket.on('error', () => {});
      socket.write(
        `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${sid}\r\n\r\n`,
      );
      while (received === 0) await turn();
      const heapBefore = process.memoryUsage().heapUsed;
      const line = 'x'.repeat(64 * 1024);
      let sent = 0;
      // Unsolicited log lines go to the GET stream. 64 MiB: far beyond the socket buffers and the bound.
      for (let i = 0; i < 1024 && errors.length === 0; i++) {
        sent += env.server.log('info', line);
        await turn();
      }
      expect(errors.length).toBe(1);
      expect(errors[0]).toBeInstanceOf(NmcpError);
      expect((errors[0] as NmcpError).code).toBe(ErrorCode.WRITE_QUEUE_FULL);
      const grown = process.memoryUsage().heapUsed - heapBefore;
      console.log(
        `slow consumer: cut off after ${sent} messages of 64 KiB (${((sent * 64) / 1024).toFixed(1)} MiB produced); heap grew ${(grown / 1024 / 1024).toFixed(1)} MiB`,
      );
      expect(sent).toBeLessThan(1024); // it was cut off, not buffered to the end
      socket.resume(); // drain what the kernel holds: the server ended the stream
      while (!closed) await turn();
      // The session itself is fine: a request is answered, and a new GET stream may be opened.
      expect((await post(env.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': sid })).status).toBe(
        200,
      );
    } finally {
      await env.close();
    }
  });

  it('bytes per session: 1,000 legacy sessions (printed, loosely bounded)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const env = await startEverything({ maxSessions: 2000 });
    try {
      await initialize(env.url); // warm up (code paths, fastify caches)
      const N = 1000;
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < N; i += 50) {
        await Promise.all(Array.from({ length: 50 }, () => initialize(env.url)));
      }
      gc();
      const after = process.memoryUsage().heapUsed;
      expect(env.http.handler.sessionCount).toBe(N + 1);
      const perSession = (after - before) / N;
      console.log(`HTTP legacy session: ${Math.round(perSession)} bytes of heap per session (N=${N})`);
      expect(perSession).toBeLessThan(64 * 1024);
    } finally {
      await env.close();
    }
  });
});
