/**
 * A driver over Streamable HTTP with undici: one MCP session per driver (legacy: initialize, then Mcp-Session-Id on
 * every POST; modern: stateless POSTs with the 2026-07-28 headers). HTTP/1.1 has one request per socket (undici does
 * not pipeline POSTs here, as nmcp's own client does not), so N in flight means N sockets in the driver's Pool;
 * HTTP/2 (h2c with prior knowledge on http:) multiplexes N streams on one socket.
 */
import type { buildConnector, Dispatcher, Pool } from 'undici';
import { CONTROL_ID_BASE, ControlError, type Driver, type LoadSink } from './driver.js';
import {
  controlMessage,
  type Era,
  initializeParams,
  MODERN_META,
  MODERN_PROTOCOL_VERSION,
  type RequestTemplate,
  requestBody,
} from './requests.js';
import { scanFrame } from './wire.js';

const NO_SINK: LoadSink = {
  response: () => {},
  notification: () => {},
  unexpected: () => {},
  flush: () => {},
  failed: () => {},
};

export interface HttpDriverOptions {
  url: URL;
  http2: boolean;
  /** Requests this session keeps in flight (sockets for HTTP/1.1, streams for HTTP/2). */
  inFlight: number;
  template: RequestTemplate | undefined;
}

/** The JSON-RPC messages of an answer: the JSON body, or each `data:` of an SSE body. */
export function messagesOf(contentType: string | undefined, body: Buffer): Buffer[] {
  if (!contentType?.startsWith('text/event-stream')) return body.length === 0 ? [] : [body];
  return sseData(body.toString('utf8')).map((d) => Buffer.from(d));
}

function sseData(text: string): string[] {
  const out: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) out.push(data.join('\n'));
  }
  return out;
}

export class HttpDriver implements Driver {
  sink: LoadSink = NO_SINK;
  readonly #o: HttpDriverOptions;
  readonly #pool: Pool;
  readonly #path: string;
  #headers: Record<string, string> = {};
  #sessionId: string | undefined;
  #era: Era = 'legacy';
  #nextControl = CONTROL_ID_BASE;
  #stream: Dispatcher.ResponseData | undefined;
  #closed = false;

  private constructor(options: HttpDriverOptions, pool: Pool) {
    this.#o = options;
    this.#pool = pool;
    this.#path = `${options.url.pathname}${options.url.search}`;
  }

  static async open(options: HttpDriverOptions): Promise<HttpDriver> {
    // undici is loaded on first use: a stdio or TCP benchmark does not pay for it.
    const { buildConnector, Pool } = await import('undici');
    const h2 = options.http2;
    // useH2c (prior-knowledge h2c on an http: URL) is implemented by undici 7 but missing from its types.
    const connect: buildConnector.BuildOptions & { useH2c?: boolean } = {
      allowH2: h2,
      ...(h2 && options.url.protocol === 'http:' ? { useH2c: true } : {}),
    };
    const pool = new Pool(options.url.origin, {
      connect: buildConnector(connect),
      allowH2: h2,
      // +1: the session's GET stream (fan-out) holds a socket of its own on HTTP/1.1.
      connections: h2 ? 1 : options.inFlight + 1,
      pipelining: h2 ? Math.max(options.inFlight + 1, 1) : 1,
      headersTimeout: 60_000,
      bodyTimeout: 0,
    });
    return new HttpDriver(options, pool);
  }

  async handshake(era: Era): Promise<void> {
    this.#era = era;
    if (era === 'modern') {
      this.#headers = { 'mcp-protocol-version': MODERN_PROTOCOL_VERSION };
      return;
    }
    const id = this.#nextControl++;
    const res = await this.#post(Buffer.from(controlMessage(id, 'initialize', initializeParams())), {});
    const sid = res.headers['mcp-session-id'];
    const result = this.#controlResult(id, res) as { protocolVersion?: string };
    // A server may serve the legacy era without sessions (the SDK 2.x stateless fallback): no Mcp-Session-Id then.
    this.#sessionId = typeof sid === 'string' ? sid : undefined;
    this.#headers = {
      ...(this.#sessionId === undefined ? {} : { 'mcp-session-id': this.#sessionId }),
      ...(result.protocolVersion ? { 'mcp-protocol-version': result.protocolVersion } : {}),
    };
    const ack = await this.#post(Buffer.from(controlMessage(undefined, 'notifications/initialized', undefined)), {});
    if (ack.statusCode !== 202 && ack.statusCode !== 200) {
      throw new Error(`notifications/initialized answered HTTP ${ack.statusCode}`);
    }
  }

  send(ids: readonly number[]): void {
    const t = this.#o.template;
    if (t === undefined) throw new Error('HttpDriver.send: this case has no load request');
    for (const id of ids) {
      this.#post(requestBody(t, id), t.headers).then(
        (res) => {
          if (res.statusCode !== 200) {
            this.sink.response(id, false);
          } else {
            let matched = false;
            const ct = res.headers['content-type'];
            for (const frame of messagesOf(typeof ct === 'string' ? ct : undefined, res.body)) {
              const s = scanFrame(frame);
              if (s.id === id && !s.isMessage) {
                matched = true;
                this.sink.response(id, s.ok && t.check(frame));
              } else if (s.id === undefined && s.isMessage) this.sink.notification(frame);
              else this.sink.unexpected();
            }
            // A 200 without the response (an empty SSE stream) answers nothing: the request failed.
            if (!matched) this.sink.response(id, false);
          }
          this.sink.flush();
        },
        (err: Error) => {
          if (this.#closed) return;
          // A transport error is this request's outcome (an error), not a lost request: it will never be answered.
          this.sink.response(id, false);
          this.sink.flush();
          if (err.name !== 'AbortError') this.#lastError = err;
        },
      );
    }
  }

  #lastError: Error | undefined;
  /** The last transport error seen on a load request, for the report when errors are counted. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  async control(method: string, params: object | undefined): Promise<unknown> {
    const id = this.#nextControl++;
    const p =
      this.#era === 'modern' ? { ...(params as Record<string, unknown> | undefined), _meta: MODERN_META } : params;
    const headers: Record<string, string> =
      this.#era === 'modern'
        ? {
            'mcp-method': method,
            ...(typeof (params as { name?: unknown } | undefined)?.name === 'string'
              ? { 'mcp-name': (params as { name: string }).name }
              : {}),
          }
        : {};
    const res = await this.#post(Buffer.from(controlMessage(id, method, p)), headers);
    return this.#controlResult(id, res);
  }

  async listen(): Promise<void> {
    if (this.#sessionId === undefined) throw new Error('listen(): only a legacy session has a GET stream');
    const res = await this.#pool.request({
      path: this.#path,
      method: 'GET',
      headers: { accept: 'text/event-stream', ...this.#headers },
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`the GET stream answered HTTP ${res.statusCode}`);
    }
    this.#stream = res;
    let text = '';
    res.body.setEncoding('utf8');
    res.body.on('data', (chunk: string) => {
      text += chunk;
      const cut = Math.max(text.lastIndexOf('\n\n'), text.lastIndexOf('\r\n\r\n'));
      if (cut === -1) return;
      const complete = text.slice(0, cut);
      text = text.slice(cut).replace(/^\r?\n\r?\n/, '');
      for (const data of sseData(complete)) {
        const frame = Buffer.from(data);
        const s = scanFrame(frame);
        if (s.id === undefined && s.isMessage) this.sink.notification(frame);
        else this.sink.unexpected();
      }
      this.sink.flush();
    });
    res.body.on('error', (err: Error) => {
      if (!this.#closed) this.sink.failed(err);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream?.body.destroy();
    if (this.#sessionId !== undefined) {
      // End the session on the server (as a well-behaved client does): churn must not leave sessions to time out.
      try {
        const res = await this.#pool.request({ path: this.#path, method: 'DELETE', headers: this.#headers });
        await res.body.dump();
      } catch {
        // The server may be gone already; the pool closes either way.
      }
    }
    await this.#pool.destroy();
  }

  async #post(
    body: Buffer,
    headers: Readonly<Record<string, string>>,
  ): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const res = await this.#pool.request({
      path: this.#path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...this.#headers,
        ...headers,
      },
      body,
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { statusCode: res.statusCode, headers: res.headers, body: buf };
  }

  #controlResult(
    id: number,
    res: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: Buffer },
  ): unknown {
    const ct = res.headers['content-type'];
    for (const frame of messagesOf(typeof ct === 'string' ? ct : undefined, res.body)) {
      const msg = JSON.parse(frame.toString('utf8')) as {
        id?: unknown;
        result?: unknown;
        error?: { code: number; message: string };
      };
      if (msg.id !== id) continue;
      if (msg.error) throw new ControlError(`server error ${msg.error.code}: ${msg.error.message}`);
      return msg.result;
    }
    throw new Error(`HTTP ${res.statusCode} without the answer: ${res.body.toString('utf8').slice(0, 300)}`);
  }
}
