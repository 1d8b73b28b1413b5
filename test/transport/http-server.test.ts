/**
 * The Streamable HTTP server over real sockets with a raw client (undici, node:http): statuses, headers, JSON vs SSE
 * answers, sessions, the GET stream and its resumption, both eras' header rules, security, limits and options.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServer } from '../../src/server/mcp-server.js';
import {
  HttpAuthError,
  httpPrincipal,
  McpHttpServer,
  MemoryEventStore,
  serveHttp,
} from '../../src/transport/http/server/index.js';
import {
  ENV,
  initialize,
  type Json,
  MODERN,
  modernHeaders,
  post,
  StreamReader,
  send,
  startEverything,
} from './http-server-helpers.js';

/** The JSON-RPC error object of a response (throws when there is none, failing the test). */
function errorOf(r: { json: Json | undefined }): Json {
  const error = r.json?.error;
  if (typeof error !== 'object' || error === null) throw new Error(`no JSON-RPC error in ${JSON.stringify(r.json)}`);
  return error as Json;
}

describe('Streamable HTTP server, legacy era (raw client)', () => {
  let url: string;
  let close: () => Promise<void>;
  let http: McpHttpServer;

  beforeAll(async () => {
    ({ url, close, http } = await startEverything({ sseKeepAliveMs: 100 }));
  });
  afterAll(async () => {
    await close();
  });

  it('initialize answers JSON with a crypto-random visible-ASCII Mcp-Session-Id; ids differ per session', async () => {
    const a = await initialize(url);
    const b = await initialize(url);
    expect(a).toMatch(/^[\x21-\x7e]{20,}$/);
    expect(a).not.toBe(b);
    expect(http.handler.session(a)?.protocolVersion).toBe('2025-11-25');
  });

  it('a request whose reply comes first is answered application/json; a notification is 202', async () => {
    const sid = await initialize(url);
    const r = await post(
      url,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } },
      { 'mcp-session-id': sid },
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers.connection).toBe('keep-alive'); // HTTP/1.1 keep-alive: undici reuses the connection
    expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hi' }] } });
    const n = await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { 'mcp-session-id': sid },
    );
    expect(n.status).toBe(202);
    expect(n.text).toBe('');
  });

  it('progress before the reply turns the answer into SSE: a priming event, progress in order, then the reply', async () => {
    const sid = await initialize(url);
    const r = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 'p',
        method: 'tools/call',
        params: { name: 'long_running_operation', arguments: { steps: 3, delayMs: 5 }, _meta: { progressToken: 7 } },
      },
      { 'mcp-session-id': sid },
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.events[0]).toMatchObject({ data: '' }); // 2025-11-25 priming event: an id, no data
    expect(r.events[0]?.id).toBeDefined();
    const messages = r.events.flatMap((e) => (e.message ? [e.message] : []));
    expect(messages.map((m) => (m.params as Json | undefined)?.progress ?? 'reply')).toEqual([1, 2, 3, 'reply']);
    expect(messages.at(-1)).toMatchObject({ id: 'p', result: { content: [{ text: 'completed 3 steps' }] } });
    const ids = r.events.map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids); // event ids increase
  });

  it('a client that accepts only text/event-stream gets SSE even for a plain reply; one that accepts neither gets 406', async () => {
    const sid = await initialize(url);
    const r = await post(
      url,
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { 'mcp-session-id': sid, accept: 'text/event-stream' },
    );
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.events.find((e) => e.message)?.message).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    const bad = await post(
      url,
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { 'mcp-session-id': sid, accept: 'text/html' },
    );
    expect(bad.status).toBe(406);
    expect(errorOf(bad).code).toBe(-32000);
  });

  it('a JSON-only client still gets its reply when the handler sends progress first (the progress is dropped)', async () => {
    const sid = await initialize(url);
    const r = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'long_running_operation', arguments: { steps: 2, delayMs: 1 }, _meta: { progressToken: 't' } },
      },
      { 'mcp-session-id': sid, accept: 'application/json' },
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 3, result: { content: [{ text: 'completed 2 steps' }] } });
  });

  it('session errors: missing id 400, unknown id 404, DELETE ends the session and later requests get 404', async () => {
    const noSid = await post(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(noSid.status).toBe(400);
    expect(noSid.json).toMatchObject({ id: 1, error: { code: -32000 } });
    const unknown = await post(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'nope' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe(-32001);
    const sid = await initialize(url);
    const del = await send(url, 'DELETE', { 'mcp-session-id': sid });
    expect(del.status).toBe(200);
    expect(http.handler.session(sid)).toBeUndefined();
    const after = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sid });
    expect(after.status).toBe(404);
    expect((await send(url, 'DELETE', { 'mcp-session-id': sid })).status).toBe(404);
    expect((await send(url, 'GET', { 'mcp-session-id': sid, accept: 'text/event-stream' })).status).toBe(404);
  });

  it('a second initialize on a session, and a duplicate in-flight id, are 400 -32600', async () => {
    const sid = await initialize(url);
    const again = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      },
      { 'mcp-session-id': sid },
    );
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ id: 9, error: { code: -32600 } });
    const slow = post(
      url,
      { jsonrpc: '2.0', id: 'dup', method: 'tools/call', params: { name: 'slow', arguments: { ms: 300 } } },
      { 'mcp-session-id': sid },
    );
    await sleep(50);
    const dup = await post(url, { jsonrpc: '2.0', id: 'dup', method: 'ping' }, { 'mcp-session-id': sid });
    expect(dup.status).toBe(400);
    expect(dup.json).toMatchObject({ id: 'dup', error: { code: -32600 } });
    expect((await slow).json).toMatchObject({ id: 'dup', result: { content: [{ type: 'text' }] } });
  });

  it('MCP-Protocol-Version: absent is fine, the negotiated one is fine, another or an unknown one is 400', async () => {
    const sid = await initialize(url, '2025-06-18');
    const ping = (v?: string) =>
      post(
        url,
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        v === undefined ? { 'mcp-session-id': sid } : { 'mcp-session-id': sid, 'mcp-protocol-version': v },
      );
    expect((await ping()).status).toBe(200);
    expect((await ping('2025-06-18')).status).toBe(200);
    const other = await ping('2025-11-25');
    expect(other.status).toBe(400);
    expect(String(errorOf(other).message)).toMatch(/negotiated/);
    expect((await ping('1999-01-01')).status).toBe(400);
  });

  it('parse errors are 400 -32700; a non-JSON content type is 415', async () => {
    const sid = await initialize(url);
    const r = await post(url, '{"jsonrpc":"2.0",', { 'mcp-session-id': sid });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.any(String) } });
    const t = await post(url, 'hello', { 'mcp-session-id': sid, 'content-type': 'text/plain' });
    expect(t.status).toBe(415);
  });

  it('JSON-RPC batches: answered as an array for a 2025-03-26 session, 400 -32600 for later versions', async () => {
    const old = await initialize(url, '2025-03-26');
    const r = await post(
      url,
      [
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'b' } } },
      ],
      { 'mcp-session-id': old },
    );
    expect(r.status).toBe(200);
    expect(Array.isArray(r.json)).toBe(true);
    const replies = r.json as unknown as Json[];
    expect(replies.map((m) => m.id).sort()).toEqual([1, 2]);
    const notifOnly = await post(url, [{ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }], {
      'mcp-session-id': old,
    });
    expect(notifOnly.status).toBe(202);
    const recent = await initialize(url, '2025-11-25');
    const refused = await post(url, [{ jsonrpc: '2.0', id: 1, method: 'ping' }], { 'mcp-session-id': recent });
    expect(refused.status).toBe(400);
    expect(errorOf(refused).code).toBe(-32600);
  });

  it('GET opens the server→client stream (one per session: 409), carries unsolicited notifications and keep-alive comments', async () => {
    const sid = await initialize(url);
    const sub = await post(
      url,
      { jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: 'test://watched-resource' } },
      { 'mcp-session-id': sid },
    );
    expect(sub.status).toBe(200);
    const stream = new StreamReader(url, { headers: { 'mcp-session-id': sid, accept: 'text/event-stream' } });
    await stream.until(() => stream.status === 200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const second = await send(url, 'GET', { 'mcp-session-id': sid, accept: 'text/event-stream' });
    expect(second.status).toBe(409);
    await post(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'trigger_resource_update', arguments: {} } },
      { 'mcp-session-id': sid },
    );
    await stream.until(() => stream.messages.some((m) => m.method === 'notifications/resources/updated'));
    await stream.until(() => stream.raw.includes(': keep-alive'), 2000);
    expect((await send(url, 'GET', { 'mcp-session-id': sid, accept: 'application/json' })).status).toBe(406);
    stream.close();
  });

  it('Last-Event-ID resumes a broken POST stream: the missed events, then the rest live, then the reply', async () => {
    const sid = await initialize(url);
    const first = new StreamReader(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sid,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'r',
        method: 'tools/call',
        params: { name: 'long_running_operation', arguments: { steps: 6, delayMs: 40 }, _meta: { progressToken: 'r' } },
      }),
    });
    await first.until(() => first.messages.length >= 1);
    const last = first.events.at(-1)?.id as string;
    first.close(); // the connection breaks; the request goes on (a disconnect is not a cancellation)
    await sleep(100); // events produced meanwhile are kept in the event store
    const resumed = new StreamReader(url, {
      headers: { 'mcp-session-id': sid, accept: 'text/event-stream', 'last-event-id': last },
    });
    await resumed.done;
    const progress = [...first.messages, ...resumed.messages]
      .filter((m) => m.method === 'notifications/progress')
      .map((m) => (m.params as Json).progress);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(resumed.messages.at(-1)).toMatchObject({ id: 'r', result: { content: [{ text: 'completed 6 steps' }] } });
  });

  it('SSE polling: a handler closes its stream (httpCloseStream) after the priming event; GET + Last-Event-ID gets the result', async () => {
    const sid = await initialize(url);
    const first = new StreamReader(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream, application/json',
        'mcp-session-id': sid,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'poll',
        method: 'tools/call',
        params: { name: 'test_reconnection', arguments: {} },
      }),
    });
    await first.done; // the server ended the connection mid-call
    expect(first.raw).toMatch(/^id: \d+\nretry: 1000\ndata: \n\n$/); // only the priming event, with the retry hint
    expect(first.messages).toEqual([]);
    const resumed = new StreamReader(url, {
      headers: { 'mcp-session-id': sid, accept: 'text/event-stream', 'last-event-id': first.events[0]?.id as string },
    });
    await resumed.done;
    expect(resumed.messages.at(-1)).toMatchObject({
      id: 'poll',
      result: { content: [{ text: 'Reconnection test completed (the stream was closed and resumed)' }] },
    });
  });

  it('a sampling request made by a tool goes on that POST stream, and the client answers it with a POST', async () => {
    const sid = await initialize(url, '2025-11-25', { sampling: {} });
    const call = new StreamReader(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sid,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 's',
        method: 'tools/call',
        params: { name: 'sample', arguments: { prompt: 'hello' } },
      }),
    });
    await call.until(() => call.messages.some((m) => m.method === 'sampling/createMessage'));
    const req = call.messages.find((m) => m.method === 'sampling/createMessage') as Json;
    const answer = await post(
      url,
      {
        jsonrpc: '2.0',
        id: req.id,
        result: { role: 'assistant', content: { type: 'text', text: 'sampled!' }, model: 'm' },
      },
      { 'mcp-session-id': sid },
    );
    expect(answer.status).toBe(202);
    await call.done;
    expect(call.messages.at(-1)).toMatchObject({ id: 's', result: { content: [{ text: 'sampled!' }] } });
  });
});

describe('Streamable HTTP server, modern era 2026-07-28 (raw client)', () => {
  let url: string;
  let close: () => Promise<void>;
  let server: Awaited<ReturnType<typeof startEverything>>['server'];

  beforeAll(async () => {
    ({ url, close, server } = await startEverything());
  });
  afterAll(async () => {
    await close();
  });

  const call = (id: number, name: string, args: Json, headers = modernHeaders('tools/call', name)) =>
    post(url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: ENV } }, headers);

  it('serves a request without a session: no Mcp-Session-Id, resultType, JSON', async () => {
    const r = await call(1, 'echo', { text: 'x' });
    expect(r.status).toBe(200);
    expect(r.headers['mcp-session-id']).toBeUndefined();
    expect(r.json).toMatchObject({ id: 1, result: { resultType: 'complete', content: [{ text: 'x' }] } });
    const d = await post(
      url,
      { jsonrpc: '2.0', id: 2, method: 'server/discover', params: { _meta: ENV } },
      modernHeaders('server/discover'),
    );
    expect(d.json).toMatchObject({ result: { supportedVersions: [MODERN] } });
  });

  it('header cross-check (SEP-2243): missing or mismatched MCP-Protocol-Version, Mcp-Method, Mcp-Name → 400 -32020; OWS trimmed', async () => {
    const cases: Record<string, string>[] = [
      { 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      { 'mcp-protocol-version': MODERN, 'mcp-name': 'echo' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', 'mcp-name': 'echo' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'TOOLS/CALL', 'mcp-name': 'echo' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call' },
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'add' },
    ];
    for (const headers of cases) {
      const r = await call(5, 'echo', { text: 'x' }, headers);
      expect(r.status, JSON.stringify(headers)).toBe(400);
      expect(r.json, JSON.stringify(headers)).toMatchObject({ id: 5, error: { code: -32020 } });
    }
    const ok = await call(
      6,
      'echo',
      { text: 'y' },
      { 'MCP-PROTOCOL-VERSION': MODERN, 'mcp-method': ' tools/call ', 'mcp-name': '  echo ' },
    );
    expect(ok.json).toMatchObject({ result: { content: [{ text: 'y' }] } });
  });

  it('SEP-2243 custom headers: an x-mcp-header argument must be mirrored in Mcp-Param-* (literal or =?base64?…?=)', async () => {
    const region = (value: string | undefined, body = 'eu-west') =>
      call(
        11,
        'test_custom_headers',
        { region: body },
        {
          ...modernHeaders('tools/call', 'test_custom_headers'),
          ...(value === undefined ? {} : { 'Mcp-Param-Region': value }),
        },
      );
    expect((await region('eu-west')).json).toMatchObject({ result: { content: [{ text: 'region=eu-west' }] } });
    const b64 = Buffer.from('Zürich').toString('base64');
    expect((await region(`=?base64?${b64}?=`, 'Zürich')).status).toBe(200);
    expect((await region(`=?base64?${b64}`, `=?base64?${b64}`)).status).toBe(200); // no suffix: literal
    for (const bad of [undefined, 'us-east', '=?base64?ZXUtd2VzdA?=', '=?base64?ZXU!d2VzdA==?=']) {
      const r = await region(bad);
      expect(r.status, String(bad)).toBe(400);
      expect(r.json, String(bad)).toMatchObject({ id: 11, error: { code: -32020 } });
    }
  });

  it('envelope and method errors carry HTTP statuses: missing _meta 400 -32602, unsupported version 400 -32022, removed method 404 -32601', async () => {
    const noMeta = await post(
      url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
      modernHeaders('tools/list'),
    );
    expect(noMeta.status).toBe(400);
    expect(noMeta.json).toMatchObject({ id: 1, error: { code: -32602 } });
    const env2099 = { ...ENV, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' };
    const v = await post(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: env2099 } },
      { ...modernHeaders('tools/list'), 'mcp-protocol-version': '2099-01-01' },
    );
    expect(v.status).toBe(400);
    expect(v.json).toMatchObject({ id: 2, error: { code: -32022, data: { supported: [MODERN] } } });
    const ping = await post(
      url,
      { jsonrpc: '2.0', id: 3, method: 'ping', params: { _meta: ENV } },
      modernHeaders('ping'),
    );
    expect(ping.status).toBe(404);
    expect(ping.json).toMatchObject({ id: 3, error: { code: -32601 } });
    const notFound = await post(
      url,
      { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'test://none', _meta: ENV } },
      modernHeaders('resources/read', 'test://none'),
    );
    expect(notFound.status).toBe(200); // a handler's error: JSON-RPC error in a successful exchange
    expect(notFound.json).toMatchObject({ error: { code: -32602 } });
  });

  it('input_required instead of server→client requests, answered on the same POST', async () => {
    const r = await call(7, 'elicit', {});
    expect(r.json).toMatchObject({ result: { resultType: 'input_required' } });
  });

  it('subscriptions/listen is a long-lived POST answered as SSE: acknowledged first, then matching notifications', async () => {
    const listen = new StreamReader(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...modernHeaders('subscriptions/listen'),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'L1',
        method: 'subscriptions/listen',
        params: { notifications: { resourceSubscriptions: ['test://watched-resource'] }, _meta: ENV },
      }),
    });
    await listen.until(() => listen.messages.length >= 1);
    expect(listen.headers['content-type']).toBe('text/event-stream');
    expect(listen.messages[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged' });
    await call(8, 'trigger_resource_update', {});
    await listen.until(() => listen.messages.some((m) => m.method === 'notifications/resources/updated'));
    expect(listen.messages[1]).toMatchObject({
      params: { uri: 'test://watched-resource', _meta: { 'io.modelcontextprotocol/subscriptionId': 'L1' } },
    });
    listen.close();
    const jsonOnly = await post(
      url,
      { jsonrpc: '2.0', id: 'L2', method: 'subscriptions/listen', params: { notifications: {}, _meta: ENV } },
      { ...modernHeaders('subscriptions/listen'), accept: 'application/json' },
    );
    expect(jsonOnly.status).toBe(406);
  });

  it('closing a request stream cancels its handler', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = request(url, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...modernHeaders('tools/call', 'slow'),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'slow', arguments: { ms: 60_000 }, _meta: ENV },
      }),
    }).catch((err: Error) => err);
    await sleep(100);
    const open = server.sessions.size; // the request's own session, its handler waiting (+ the header index's)
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The stream closed: its session was closed, which aborted the handler (slow would have waited 60 s).
    while (server.sessions.size > open - 1) await sleep(10);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('GET and DELETE are 405 for a 2026-07-28 client; batches are 400', async () => {
    const g = await send(url, 'GET', { 'mcp-protocol-version': MODERN, accept: 'text/event-stream' });
    expect(g.status).toBe(405);
    expect(g.headers.allow).toBe('POST');
    expect((await send(url, 'DELETE', { 'mcp-protocol-version': MODERN })).status).toBe(405);
    const b = await post(
      url,
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENV } }],
      modernHeaders('tools/list'),
    );
    expect(b.status).toBe(400);
    expect(errorOf(b).code).toBe(-32600);
  });

  it('legacy: false serves 2026-07-28 only (a claim-less initialize is 400, GET 405)', async () => {
    const modernOnly = await startEverything({ legacy: false });
    try {
      const init = await post(modernOnly.url, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      });
      expect(init.status).toBe(400);
      expect((await send(modernOnly.url, 'GET', { accept: 'text/event-stream' })).status).toBe(405);
      const ok = await post(
        modernOnly.url,
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: ENV } },
        modernHeaders('tools/list'),
      );
      expect(ok.status).toBe(200);
    } finally {
      await modernOnly.close();
    }
  });
});

describe('Streamable HTTP server: security, limits, options', () => {
  it('DNS-rebinding protection on loopback: a foreign Host or Origin is 403; local names pass', async () => {
    const { url, close } = await startEverything();
    try {
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      };
      const evilHost = await post(url, init, { host: 'evil.example.com' });
      expect(evilHost.status).toBe(403);
      expect(errorOf(evilHost).code).toBe(-32000);
      const evilOrigin = await post(url, init, { origin: 'http://evil.example.com' });
      expect(evilOrigin.status).toBe(403);
      const port = new URL(url).port;
      expect((await post(url, init, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(
        200,
      );
      expect((await post(url, init, { origin: 'https://127.0.0.1' })).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('allowedOrigins / allowedHosts replace the defaults', async () => {
    const { url, close } = await startEverything({
      allowedOrigins: ['https://app.example.com'],
      allowedHosts: ['mcp.example.com', '127.0.0.1'],
    });
    try {
      const ping = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {} },
      };
      expect((await post(url, ping, { origin: 'https://app.example.com' })).status).toBe(200);
      expect((await post(url, ping, { origin: `http://localhost` })).status).toBe(403);
      expect((await post(url, ping, { host: 'mcp.example.com' })).status).toBe(200);
      expect((await post(url, ping, { host: 'localhost' })).status).toBe(403);
    } finally {
      await close();
    }
  });

  it('auth: no token 401 with a challenge, a bad token 401 invalid_token, HttpAuthError 403; the principal reaches handlers', async () => {
    const server = new McpServer({ name: 'auth', version: '1' });
    server.registerTool('whoami', { inputSchema: { type: 'object' } }, (_args, ctx) => ({
      content: [{ type: 'text', text: JSON.stringify(httpPrincipal(ctx.session)) }],
    }));
    let calls = 0;
    const http = await serveHttp(server, {
      port: 0,
      resourceMetadataUrl: 'http://127.0.0.1/.well-known/oauth-protected-resource',
      auth: ({ token }) => {
        calls++;
        if (token === 'good') return { sub: 'ann' };
        if (token === 'readonly') throw new HttpAuthError('needs the tools scope', { status: 403, scope: 'tools' });
        throw new Error('unknown token');
      },
    });
    try {
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {} },
      };
      const none = await post(http.url, init);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe(
        'Bearer realm="mcp", resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"',
      );
      const bad = await post(http.url, init, { authorization: 'Bearer nope' });
      expect(bad.status).toBe(401);
      expect(bad.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      const scoped = await post(http.url, init, { authorization: 'Bearer readonly' });
      expect(scoped.status).toBe(403);
      expect(scoped.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="tools"/);
      expect(http.handler.sessionCount).toBe(0); // nothing reached MCP handling
      const ok = await post(http.url, init, { authorization: 'Bearer good' });
      expect(ok.status).toBe(200);
      const sid = ok.headers['mcp-session-id'] as string;
      const who = await post(
        http.url,
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
        { authorization: 'Bearer good', 'mcp-session-id': sid },
      );
      expect(who.json).toMatchObject({ result: { content: [{ text: '{"sub":"ann"}' }] } });
      expect(calls).toBe(5);
    } finally {
      await http.close();
    }
  });

  it('a body over maxMessageSize is 413 with a JSON-RPC error body', async () => {
    const { url, close } = await startEverything({ maxMessageSize: 1024 });
    try {
      const sid = await initialize(url);
      const big = {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'x'.repeat(4096) } },
      };
      const r = await post(url, big, { 'mcp-session-id': sid });
      expect(r.status).toBe(413);
      expect(r.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
      expect(String(errorOf(r).message)).toMatch(/maxMessageSize \(1024 bytes\)/);
      // The session is unharmed.
      expect((await post(url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': sid })).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('maxSessions: an initialize beyond it is 503 with a clear error; a DELETE makes room', async () => {
    const { url, close } = await startEverything({ maxSessions: 2 });
    try {
      const a = await initialize(url);
      await initialize(url);
      const third = await post(url, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {} },
      });
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe('1');
      expect(String(errorOf(third).message)).toMatch(/too many sessions \(maxSessions 2\)/);
      await send(url, 'DELETE', { 'mcp-session-id': a });
      await initialize(url);
    } finally {
      await close();
    }
  });

  it('sessionIdleTimeoutMs: an idle session expires and later requests get 404; an open GET stream keeps it alive', async () => {
    const { url, close } = await startEverything({ sessionIdleTimeoutMs: 150 });
    try {
      const idle = await initialize(url);
      const watched = await initialize(url);
      const stream = new StreamReader(url, { headers: { 'mcp-session-id': watched, accept: 'text/event-stream' } });
      await stream.until(() => stream.status === 200);
      await sleep(600);
      expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': idle })).status).toBe(404);
      expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': watched })).status).toBe(
        200,
      );
      stream.close();
    } finally {
      await close();
    }
  });

  it('compression: a large JSON reply is gzipped when asked, a small one is not, SSE never', async () => {
    const { url, close } = await startEverything({ compressionThresholdBytes: 512 });
    try {
      const sid = await initialize(url);
      const list = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'accept-encoding': 'gzip',
          'mcp-session-id': sid,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(list.headers['content-encoding']).toBe('gzip');
      const { gunzipSync } = await import('node:zlib');
      const body = JSON.parse(gunzipSync(Buffer.from(await list.body.arrayBuffer())).toString()) as Json;
      expect((body.result as { tools: unknown[] }).tools.length).toBeGreaterThan(10);
      const small = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'accept-encoding': 'gzip',
          'mcp-session-id': sid,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      expect(small.headers['content-encoding']).toBeUndefined();
      await small.body.text();
      const sse = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'accept-encoding': 'gzip',
          'mcp-session-id': sid,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
      });
      expect(sse.headers['content-type']).toBe('text/event-stream');
      expect(sse.headers['content-encoding']).toBeUndefined();
      expect(await sse.body.text()).toContain('"tools"');
    } finally {
      await close();
    }
  });

  it('options are validated at start: an unknown key or a bad value is NMCP_ERR_INVALID_OPTION naming the key', () => {
    const server = new McpServer({ name: 'x', version: '1' });
    const bad = (options: object) => {
      try {
        new McpHttpServer(server, options as never);
      } catch (err) {
        return err as { code: string; details: { key: string } };
      }
      throw new Error('no error');
    };
    expect(bad({ sseKeepAlive: 5 })).toMatchObject({
      code: 'NMCP_ERR_INVALID_OPTION',
      details: { key: 'McpHttpServer.sseKeepAlive' },
    });
    expect(bad({ maxSessions: 0 })).toMatchObject({ details: { key: 'McpHttpServer.maxSessions' } });
    expect(bad({ enableCompression: 'yes' })).toMatchObject({ details: { key: 'McpHttpServer.enableCompression' } });
    expect(bad({ path: 'mcp' })).toMatchObject({ details: { key: 'McpHttpServer.path' } });
    expect(bad({ port: 70_000 })).toMatchObject({ details: { key: 'McpHttpServer.port' } });
    expect(bad({ allowedOrigins: 'x' })).toMatchObject({ details: { key: 'McpHttpServer.allowedOrigins' } });
    expect(bad({ eventStore: {} })).toMatchObject({ details: { key: 'McpHttpServer.eventStore' } });
  });

  it('a custom EventStore receives the SSE events; eventStoreMaxEvents bounds the default one', async () => {
    const store = new MemoryEventStore({ maxEvents: 3, maxBytes: 1 << 20 });
    const { url, close } = await startEverything({ eventStore: store });
    try {
      const sid = await initialize(url);
      await post(
        url,
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'long_running_operation', arguments: { steps: 5, delayMs: 1 }, _meta: { progressToken: 1 } },
        },
        { 'mcp-session-id': sid },
      );
      expect(store.sessionCount).toBe(1);
      expect(store.replay(sid, '1')).toBeUndefined(); // evicted: only the last 3 events are kept
      const kept = store.replay(sid, '5');
      expect(kept?.events.map((e) => e.id)).toEqual(['6', '7']);
      await send(url, 'DELETE', { 'mcp-session-id': sid });
      expect(store.sessionCount).toBe(0);
    } finally {
      await close();
    }
  });
});
