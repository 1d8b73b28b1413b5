/**
 * The data plane's link to a Streamable HTTP upstream (legacy era): what Forwarder needs of an upstream connection
 * (`sendFrame`, `send`, `setInterceptor` — a byte-stream transport has them natively) over HTTP. Each forwarded
 * request frame is POSTed as bytes on the upstream client's session (StreamableHttpClientTransport.postBytes); each
 * message of the answer — the JSON body, or each SSE `message` event — is framed as one NDJSON line into a decoder of
 * its own and shown to the interceptor as a decoded chunk, so the forwarder maps it back exactly as it does for stdio
 * and TCP: by its gateway id, rewritten in the bytes, never parsed.
 *
 * A raw LF or CR in a JSON text can only be whitespace (inside a string it must be escaped), so blanking them makes
 * any JSON text one NDJSON line without changing what it means.
 *
 * A POST that fails (network, an HTTP status, a response that ends without the answer) is answered with a JSON-RPC
 * error frame carrying the request's own id, fed through the same path: the forwarder settles it like any answer.
 */

import { Buffer } from 'node:buffer';
import { FrameDecoder } from '../framing/frame-decoder.js';
import { type CoreBinding, Kind } from '../native/binding-types.js';
import { core as activeCore } from '../native/index.js';
import { RpcCode } from '../protocol/jsonrpc.js';
import type { StreamableHttpClientTransport } from '../transport/http/client/transport.js';
import type { FrameInterceptor, FrameTransport } from '../transport/types.js';

/** What Forwarder uses of an upstream connection. */
export type UpstreamLink = Pick<FrameTransport, 'sendFrame' | 'send' | 'setInterceptor'>;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** The message as one NDJSON line: raw line breaks (whitespace in JSON) blanked, a newline appended. */
function asLine(message: Buffer): Buffer {
  const line = Buffer.allocUnsafe(message.length + 1);
  message.copy(line);
  for (const c of [LF, CR]) {
    for (let at = line.indexOf(c); at !== -1 && at < message.length; at = line.indexOf(c, at + 1)) line[at] = SPACE;
  }
  line[message.length] = LF;
  return line;
}

export class HttpUpstreamLink implements UpstreamLink {
  readonly #name: string;
  readonly #transport: StreamableHttpClientTransport;
  readonly #decoder: FrameDecoder;
  #interceptor: FrameInterceptor | undefined;

  constructor(name: string, transport: StreamableHttpClientTransport, core: CoreBinding = activeCore) {
    this.#name = name;
    this.#transport = transport;
    this.#decoder = new FrameDecoder({ framing: 'ndjson', maxMessageSize: transport.options.maxMessageSize, core });
  }

  setInterceptor(interceptor: FrameInterceptor | undefined): void {
    this.#interceptor = interceptor;
  }

  /** POSTs one request frame; its answer (or a synthesized error) reaches the interceptor. */
  sendFrame(frame: Uint8Array): boolean {
    if (this.#interceptor === undefined) return false;
    const request = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    let answered = false;
    this.#transport
      .postBytes(request, (message) => {
        if (this.#deliver(message)) answered = true;
      })
      .then(
        () => {
          if (!answered) this.#fail(request, 'the response ended without an answer');
        },
        (err: unknown) => this.#fail(request, (err as Error).message),
      );
    return true;
  }

  /** POSTs a notification (a cancellation); a failure is not anyone's answer. */
  send(message: string): boolean {
    if (this.#interceptor === undefined) return false;
    this.#transport.postBytes(Buffer.from(message, 'utf8'), (m) => void this.#deliver(m)).catch(() => {});
    return true;
  }

  /** Shows one message to the interceptor; true when it was a response or an error response. */
  #deliver(message: Buffer): boolean {
    const d = this.#decoder;
    const n = d.push(asLine(message));
    let answer = false;
    for (let i = 0; i < n; i++) {
      const kind = d.kind(i);
      if (kind === Kind.RESPONSE || kind === Kind.ERROR) answer = true;
    }
    // Messages it does not take (the upstream's notifications on a response stream) are not for the downstream.
    this.#interceptor?.(d, n);
    return answer;
  }

  /** Answers a request whose POST failed with -32603 naming the upstream, under the request's own id. */
  #fail(request: Buffer, reason: string): void {
    const d = this.#decoder;
    const n = d.push(asLine(request));
    const id = n === 1 && d.isFrame(0) ? d.idBytes(0)?.toString('utf8') : undefined;
    if (id === undefined) return;
    const message = JSON.stringify(`upstream ${this.#name} is unavailable: ${reason}`);
    this.#deliver(
      Buffer.from(
        `{"jsonrpc":"2.0","id":${id},"error":{"code":${RpcCode.INTERNAL_ERROR},"message":${message}}}`,
        'utf8',
      ),
    );
  }
}
