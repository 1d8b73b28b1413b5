/**
 * What the workloads send: pre-built request bytes (everything but the id is built once per case, so issuing a
 * request costs an integer-to-ASCII and a write), the HTTP headers each era needs, and how a response is checked.
 */
import type { BenchWorkload } from './report.js';

export type Era = 'legacy' | 'modern';

/** The protocol version a legacy client asks for in initialize; the server may answer with an older one. */
export const LEGACY_PROTOCOL_VERSION = '2025-11-25';
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The 2026-07-28 per-request envelope: the version and capabilities travel with every request. */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
} as const;

export const PAYLOAD_BYTES: Partial<Record<BenchWorkload, number>> = {
  'echo-200b': 200,
  'echo-4k': 4 * 1024,
  'echo-64k': 64 * 1024,
  'echo-1m': 1024 * 1024,
};

/** An ASCII text of exactly `bytes` bytes that needs no JSON escaping and holds no quote (so no `"id":` inside). */
export function payloadText(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 ';
  const period = alphabet.length;
  let block = '';
  for (let i = 0; i < period * 7; i++) block += alphabet[(i * 7) % period];
  return block.repeat(Math.ceil(bytes / block.length)).slice(0, bytes);
}

/** How one workload's request is put together and its response judged. */
export interface RequestTemplate {
  readonly method: string;
  /** Mcp-Name for 2026-07-28 HTTP requests (the tool name), if the method has one. */
  readonly name: string | undefined;
  /** `{"jsonrpc":"2.0","id":` — the id goes between head and tail. */
  readonly head: Buffer;
  /** Everything after the id: `,"method":…}`. Shared by every request of the case (never copied on the stream path). */
  readonly tail: Buffer;
  /** Whether a success response did the work (echoed the text, listed every tool); one that did not is an error. */
  readonly check: (frame: Buffer) => boolean;
  /** HTTP headers for this request in this era (besides content-type/accept and the session id). */
  readonly headers: Readonly<Record<string, string>>;
}

const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');
const TEXT_KEY = Buffer.from('"text":"');
const LAST_TOOL = Buffer.from('"tool-0999"');

/**
 * The echoed text must follow the first `"text":"` byte for byte. A memcmp at one place, not a substring search: a
 * periodic 1 MiB needle makes a substring search re-compare most of the text at every near-miss alignment.
 */
function echoCheck(text: Buffer): (frame: Buffer) => boolean {
  return (frame) => {
    const at = frame.indexOf(TEXT_KEY);
    if (at === -1) return false;
    const from = at + TEXT_KEY.length;
    return frame[from + text.length] === 0x22 && frame.subarray(from, from + text.length).equals(text);
  };
}

export function requestTemplate(workload: BenchWorkload, era: Era): RequestTemplate {
  const meta = era === 'modern' ? { _meta: MODERN_META } : {};
  const eraHeaders: Record<string, string> =
    era === 'modern' ? { 'mcp-protocol-version': MODERN_PROTOCOL_VERSION } : {};
  const bytes = PAYLOAD_BYTES[workload];
  if (bytes !== undefined || workload === 'churn') {
    const text = payloadText(bytes ?? 200);
    const params = { ...meta, name: 'echo', arguments: { text } };
    return {
      method: 'tools/call',
      name: 'echo',
      head: HEAD,
      tail: Buffer.from(`,"method":"tools/call","params":${JSON.stringify(params)}}`),
      check: echoCheck(Buffer.from(text)),
      headers: era === 'modern' ? { ...eraHeaders, 'mcp-method': 'tools/call', 'mcp-name': 'echo' } : eraHeaders,
    };
  }
  if (workload === 'tools-list-1000') {
    return {
      method: 'tools/list',
      name: undefined,
      head: HEAD,
      tail: Buffer.from(`,"method":"tools/list","params":${JSON.stringify(meta)}}`),
      // The last of the many-tools example's 1,000 tools: a page that stops short is an error, not a fast answer.
      check: (frame) => frame.indexOf(LAST_TOOL) !== -1,
      headers: era === 'modern' ? { ...eraHeaders, 'mcp-method': 'tools/list' } : eraHeaders,
    };
  }
  throw new Error(`requestTemplate: ${workload} has no request template (it drives its own messages)`);
}

/** One request's bytes, for paths that need a single buffer (HTTP bodies). */
export function requestBody(t: RequestTemplate, id: number): Buffer {
  const idBytes = Buffer.from(String(id), 'latin1');
  return Buffer.concat([t.head, idBytes, t.tail], t.head.length + idBytes.length + t.tail.length);
}

/** A control message (handshake, subscribe, trigger) as JSON text; ids of control messages never collide with load ids. */
export function controlMessage(id: number | undefined, method: string, params: object | undefined): string {
  const msg: Record<string, unknown> = { jsonrpc: '2.0' };
  if (id !== undefined) msg.id = id;
  msg.method = method;
  if (params !== undefined) msg.params = params;
  return JSON.stringify(msg);
}

export function initializeParams(): object {
  return {
    protocolVersion: LEGACY_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'nmcp-bench', version: '1.0.0' },
  };
}
