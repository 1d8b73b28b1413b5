/**
 * A driver over a byte stream: a child process's stdio (NDJSON) or a TCP / Unix socket (NDJSON or length-prefixed).
 * Requests go out as pre-built bytes, a batch per write; responses are split and scanned on Buffers (wire.ts).
 */
import type { Readable, Writable } from 'node:stream';
import { CONTROL_ID_BASE, ControlError, type Driver, type LoadSink } from './driver.js';
import { controlMessage, type Era, initializeParams, type RequestTemplate } from './requests.js';
import { createSplitter, type Framing, frameParts, scanFrame } from './wire.js';

/** Below this a batch is joined into one buffer and written once; above, it is written part by part under cork. */
const JOIN_LIMIT = 256 * 1024;

/** Request ids are safe integers: at most 16 digits. */
const MAX_ID_DIGITS = 16;

const NO_SINK: LoadSink = {
  response: () => {},
  notification: () => {},
  unexpected: () => {},
  flush: () => {},
  failed: () => {},
};

export interface StreamDriverOptions {
  readable: Readable;
  writable: Writable;
  framing: Framing;
  template: RequestTemplate | undefined;
  /** Closes the underlying stream/process; resolves once it is gone. */
  end: () => Promise<void>;
  /** For error messages: the server's stderr tail, when it is a child process. */
  describe?: () => string;
}

export class StreamDriver implements Driver {
  sink: LoadSink = NO_SINK;
  readonly #o: StreamDriverOptions;
  readonly #control = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextControl = CONTROL_ID_BASE;
  #closing = false;

  constructor(options: StreamDriverOptions) {
    this.#o = options;
    const splitter = createSplitter(options.framing);
    options.readable.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) this.#onFrame(frame);
      this.sink.flush();
    });
    const lost = (why: string) => (err?: Error) => {
      if (this.#closing) return;
      const e = new Error(`${why}${err ? `: ${err.message}` : ''}${options.describe?.() ?? ''}`);
      for (const c of this.#control.values()) c.reject(e);
      this.#control.clear();
      this.sink.failed(e);
    };
    options.readable.on('end', lost('the server closed the connection'));
    options.readable.on('error', lost('the connection failed'));
    options.writable.on('error', lost('writing to the server failed'));
  }

  #onFrame(frame: Buffer): void {
    const s = scanFrame(frame);
    if (s.id === undefined) {
      if (s.isMessage) this.sink.notification(frame);
      else this.sink.unexpected();
      return;
    }
    if (s.isMessage) {
      this.sink.unexpected(); // a server→client request: a benchmark client declares no capabilities to answer it
      return;
    }
    if (s.id >= CONTROL_ID_BASE) {
      const c = this.#control.get(s.id);
      if (!c) {
        this.sink.unexpected();
        return;
      }
      this.#control.delete(s.id);
      const msg = JSON.parse(frame.toString('utf8')) as { result?: unknown; error?: { code: number; message: string } };
      if (msg.error) c.reject(new ControlError(`server error ${msg.error.code}: ${msg.error.message}`));
      else c.resolve(msg.result);
      return;
    }
    const t = this.#o.template;
    this.sink.response(s.id, s.ok && (t === undefined || t.check(frame)));
  }

  async handshake(era: Era): Promise<void> {
    if (era === 'modern') return;
    await this.control('initialize', initializeParams());
    this.#write([Buffer.from(controlMessage(undefined, 'notifications/initialized', undefined))]);
  }

  send(ids: readonly number[]): void {
    const t = this.#o.template;
    if (t === undefined) throw new Error('StreamDriver.send: this case has no load request');
    // The whole batch in one buffer: head, the id's digits, tail, framed — no per-request allocation. A large batch
    // (big payloads) goes out part by part instead, so the payload is not copied once per request.
    const lp = this.#o.framing === 'length-prefixed';
    const each = t.head.length + t.tail.length + (lp ? 4 : 1);
    if (each * ids.length > JOIN_LIMIT) {
      const parts: Buffer[] = [];
      let bytes = 0;
      for (const id of ids) {
        for (const p of frameParts(this.#o.framing, [t.head, Buffer.from(String(id), 'latin1'), t.tail])) {
          parts.push(p);
          bytes += p.length;
        }
      }
      this.#writeParts(parts, bytes);
      return;
    }
    const out = Buffer.allocUnsafe((each + MAX_ID_DIGITS) * ids.length);
    let at = 0;
    for (const id of ids) {
      const start = at;
      if (lp) at += 4;
      at += t.head.copy(out, at);
      at += out.write(String(id), at, 'latin1');
      at += t.tail.copy(out, at);
      if (lp) out.writeUInt32BE(at - start - 4, start);
      else out[at++] = 0x0a;
    }
    const w = this.#o.writable;
    if (!w.destroyed && !w.writableEnded) w.write(out.subarray(0, at));
  }

  control(method: string, params: object | undefined): Promise<unknown> {
    const id = this.#nextControl++;
    return new Promise((resolve, reject) => {
      this.#control.set(id, { resolve, reject });
      this.#write([Buffer.from(controlMessage(id, method, params))]);
    });
  }

  async listen(): Promise<void> {
    // Notifications arrive on the same stream as responses: nothing to open.
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#o.end();
  }

  #write(messages: Buffer[]): void {
    const parts = messages.flatMap((m) => frameParts(this.#o.framing, [m]));
    this.#writeParts(
      parts,
      parts.reduce((n, p) => n + p.length, 0),
    );
  }

  #writeParts(parts: Buffer[], bytes: number): void {
    const w = this.#o.writable;
    if (w.destroyed || w.writableEnded) return;
    if (bytes <= JOIN_LIMIT) {
      w.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes));
      return;
    }
    w.cork();
    for (const p of parts) w.write(p);
    w.uncork();
  }
}
