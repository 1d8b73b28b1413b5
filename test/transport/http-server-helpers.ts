/**
 * Shared by the Streamable HTTP server tests: the everything example served over HTTP on port 0, a raw client (undici
 * and node:http) that shows exact statuses, headers and SSE events, and envelope builders for both eras.
 */
import http from 'node:http';
import { request } from 'undici';
import { createEverythingServer } from '../../examples/everything/server.js';
import { type HttpServerOptions, McpHttpServer } from '../../src/transport/http/server/index.js';

export type Json = { [key: string]: unknown };

export const ACCEPT_BOTH = 'application/json, text/event-stream';
export const MODERN = '2026-07-28';
export const ENV = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} }, sampling: {}, roots: {} },
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
};

export async function startEverything(options: HttpServerOptions = {}): Promise<{
  http: McpHttpServer;
  url: string;
  server: ReturnType<typeof createEverythingServer>;
  close(): Promise<void>;
}> {
  const server = createEverythingServer();
  const http = new McpHttpServer(server as never, { port: 0, ...options });
  const url = await http.listen();
  return {
    http,
    url,
    server,
    close: async () => {
      await http.close();
      await server.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The JSON body, or the messages of an SSE body. */
  json: Json | undefined;
  events: SseEvent[];
}

export interface SseEvent {
  id?: string;
  data: string;
  message?: Json;
}

/** Parses a complete SSE body (comments skipped). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\n\n/)) {
    if (block.trim() === '') continue;
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith('data:')) data.push(line.slice(5));
    }
    if (id === undefined && data.length === 0) continue;
    const d = data.join('\n');
    const event: SseEvent = { data: d };
    if (id !== undefined) event.id = id;
    if (d.trim() !== '') event.message = JSON.parse(d) as Json;
    events.push(event);
  }
  return events;
}

/** POSTs `body` (an object is JSON-encoded; a string is sent as is) and reads the whole answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  const type = String(res.headers['content-type'] ?? '');
  const events = type.startsWith('text/event-stream') ? parseSse(text) : [];
  const json = type.startsWith('application/json') && text !== '' ? (JSON.parse(text) as Json) : undefined;
  return { status: res.statusCode, headers: res.headers, text, json, events };
}

export async function send(
  url: string,
  method: 'GET' | 'DELETE',
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const res = await request(url, { method, headers });
  const text = await res.body.text();
  const type = String(res.headers['content-type'] ?? '');
  const json = type.startsWith('application/json') && text !== '' ? (JSON.parse(text) as Json) : undefined;
  return { status: res.statusCode, headers: res.headers, text, json, events: [] };
}

/** The legacy handshake over raw HTTP; resolves with the session id. */
export async function initialize(
  url: string,
  protocolVersion = '2025-11-25',
  capabilities: Json = {},
): Promise<string> {
  const r = await post(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion, capabilities, clientInfo: { name: 'raw-http', version: '1.0.0' } },
  });
  if (r.status !== 200) throw new Error(`initialize: HTTP ${r.status} ${r.text}`);
  const sid = r.headers['mcp-session-id'];
  if (typeof sid !== 'string') throw new Error('initialize: no Mcp-Session-Id');
  const n = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid });
  if (n.status !== 202) throw new Error(`initialized: HTTP ${n.status}`);
  return sid;
}

/** Headers of a modern request. */
export function modernHeaders(method: string, name?: string): Record<string, string> {
  const h: Record<string, string> = { 'mcp-protocol-version': MODERN, 'mcp-method': method };
  if (name !== undefined) h['mcp-name'] = name;
  return h;
}

/** A streaming GET (or POST) read incrementally: events as they arrive, and the raw request to end it. */
export class StreamReader {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  raw = '';
  readonly done: Promise<void>;
  #req: http.ClientRequest;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #buffer = '';

  constructor(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    let finish: () => void = () => {};
    this.done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.#req = http.request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.raw += chunk;
        this.#buffer += chunk;
        let at = this.#buffer.indexOf('\n\n');
        while (at !== -1) {
          this.events.push(...parseSse(`${this.#buffer.slice(0, at)}\n\n`));
          this.#buffer = this.#buffer.slice(at + 2);
          at = this.#buffer.indexOf('\n\n');
        }
        this.#check();
      });
      res.on('end', () => {
        this.#check();
        finish();
      });
      res.on('error', () => finish());
      this.#check();
    });
    this.#req.on('error', () => finish());
    this.#req.end(init.body);
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `test` holds (checked on every chunk). */
  until(test: () => boolean, timeoutMs = 5000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`stream: condition not met in ${timeoutMs} ms; got ${JSON.stringify(this.raw)}`)),
        timeoutMs,
      );
      this.#waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Messages received so far. */
  get messages(): Json[] {
    return this.events.flatMap((e) => (e.message ? [e.message] : []));
  }

  close(): void {
    this.#req.destroy();
  }
}
