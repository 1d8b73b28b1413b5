/**
 * A driver over a byte stream: a child process's stdio (NDJSON) or a TCP / Unix socket (NDJSON or length-prefixed).
 * Requests go out as pre-built bytes, a batch per write. Responses are split and their envelopes read by nmcp's own
 * FrameDecoder — one call into the native core per chunk, whatever the number of responses in it — so the load
 * generator, which shares the machine with the server it measures, spends as little CPU per response as it can
 * (a JSON scan of the whole envelope, whichever key order the server writes: the official SDKs put the id last).
 */
import type { Readable, Writable } from 'node:stream';
import { FrameDecoder } from '../framing/frame-decoder.js';
import { Kind } from '../native/binding-types.js';
import { CONTROL_ID_BASE, ControlError, type Driver, type LoadSink } from './driver.js';
import { controlMessage, type Era, initializeParams, type RequestTemplate } from './requests.js';
import { type Framing, frameParts } from './wire.js';

/** The largest frame the decoder accepts: the limit nmcp allows (a benchmark never refuses a server's answer). */
const MAX_FRAME = 256 * 1024 * 1024;
const IS_ERROR_TRUE = Buffer.from('"isError":true');

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
    const decoder = new FrameDecoder({ framing: options.framing, maxMessageSize: MAX_FRAME });
    options.readable.on('data', (chunk: Buffer) => {
      const n = decoder.push(chunk);
      for (let i = 0; i < n; i++) this.#onRecord(decoder, i);
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

  #onRecord(d: FrameDecoder, i: number): void {
    if (!d.isFrame(i)) {
      this.sink.unexpected();
      return;
    }
    const kind = d.kind(i);
    if (kind === Kind.NOTIFICATION) {
      this.sink.notification(d.frame(i));
      return;
    }
    const id = d.id(i);
    // A server→client request (a benchmark client declares no capabilities to answer it), a batch, or an id that
    // is not one of ours.
    if ((kind !== Kind.RESPONSE && kind !== Kind.ERROR) || typeof id !== 'number') {
      this.sink.unexpected();
      return;
    }
    if (id >= CONTROL_ID_BASE) {
      const c = this.#control.get(id);
      if (!c) {
        this.sink.unexpected();
        return;
      }
      this.#control.delete(id);
      const msg = JSON.parse(d.text(i)) as { result?: unknown; error?: { code: number; message: string } };
      if (msg.error) c.reject(new ControlError(`server error ${msg.error.code}: ${msg.error.message}`));
      else c.resolve(msg.result);
      return;
    }
    if (kind === Kind.ERROR) {
      this.sink.response(id, false);
      return;
    }
    // The template's check compares the expected answer byte for byte (an isError result cannot pass it); without
    // one, a tool result with isError: true is not a success.
    const frame = d.frame(i);
    const t = this.#o.template;
    this.sink.response(id, t === undefined ? frame.indexOf(IS_ERROR_TRUE) === -1 : t.check(frame));
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
