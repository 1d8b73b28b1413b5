/**
 * The load generator's wire layer: frames requests (NDJSON or 4-byte big-endian length prefix), and reads the id and
 * outcome of an HTTP response's message by scanning its bytes for the top-level `"id":`, without decoding to strings
 * or JSON.parse on the hot path. (Byte streams are split and scanned by nmcp's FrameDecoder: stream-driver.ts.)
 */

export type Framing = 'ndjson' | 'length-prefixed';

const ID_KEY = Buffer.from('"id":');
const RESULT_KEY = Buffer.from('"result"');
const IS_ERROR_TRUE = Buffer.from('"isError":true');
const METHOD_KEY = Buffer.from('"method"');

/** The bytes that put one message on the wire: a length header for length-prefixed, a newline for NDJSON. */
export function frameParts(framing: Framing, parts: readonly Buffer[]): Buffer[] {
  if (framing === 'ndjson') return [...parts, NEWLINE_BUF];
  let len = 0;
  for (const p of parts) len += p.length;
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(len, 0);
  return [header, ...parts];
}

const NEWLINE_BUF = Buffer.from('\n');

export interface ScannedFrame {
  /** The numeric id of a response or server request; undefined for a notification or an unreadable frame. */
  readonly id: number | undefined;
  /** true when the frame carries a method (a notification or a server→client request), not a response. */
  readonly isMessage: boolean;
  /** A response whose result is a success (a result, and not a tool result with isError: true). */
  readonly ok: boolean;
}

/**
 * Reads the id, kind and outcome of one JSON-RPC frame without parsing it. Serializers put the id either near the
 * start (`{"jsonrpc":"2.0","id":7,…`) or at the end (the official SDKs: `{"result":…,"jsonrpc":"2.0","id":7}`), so
 * the id is looked for in the first 64 bytes, then as the last `"id":` followed by the closing brace; anything else
 * (an id nested in a result, a string id) falls back to JSON.parse, which is correct and only slow.
 */
export function scanFrame(frame: Buffer): ScannedFrame {
  let id: number | undefined;
  const head = frame.subarray(0, 64);
  const first = head.indexOf(ID_KEY);
  // Near the start, the id is the envelope's only if nothing opened before it (no nested object or array).
  if (first > 0 && !hasOpener(frame, 1, first)) id = idAt(frame, first, false);
  if (id === undefined) {
    const last = frame.lastIndexOf(ID_KEY);
    if (last > 0) id = idAt(frame, last, true);
  }
  if (id === undefined) return parseFrame(frame);
  const isMessage = head.indexOf(METHOD_KEY) !== -1 && head.indexOf(RESULT_KEY) === -1;
  if (isMessage) return { id, isMessage, ok: false };
  const ok = frame.indexOf(RESULT_KEY) !== -1 && frame.indexOf(IS_ERROR_TRUE) === -1;
  return { id, isMessage: false, ok };
}

function idAt(frame: Buffer, at: number, mustEnd: boolean): number | undefined {
  if (at === -1) return undefined;
  let p = at + ID_KEY.length;
  while (frame[p] === 0x20) p++;
  let id = 0;
  let digits = 0;
  for (let c = frame[p]; c !== undefined && c >= 0x30 && c <= 0x39; c = frame[++p]) {
    id = id * 10 + (c - 0x30);
    digits++;
  }
  if (digits === 0 || digits > 15) return undefined;
  while (frame[p] === 0x20) p++;
  const next = frame[p];
  if (mustEnd) {
    // At the end, the id is the envelope's only if its closing brace ends the frame.
    if (next !== 0x7d) return undefined;
    p++;
    while (p < frame.length && (frame[p] === 0x20 || frame[p] === 0x0d || frame[p] === 0x0a)) p++;
    return p === frame.length ? id : undefined;
  }
  return next === 0x2c || next === 0x7d ? id : undefined;
}

function hasOpener(frame: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (frame[i] === 0x7b || frame[i] === 0x5b) return true;
  return false;
}

function parseFrame(frame: Buffer): ScannedFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(frame.toString('utf8'));
  } catch {
    return { id: undefined, isMessage: false, ok: false };
  }
  if (typeof msg !== 'object' || msg === null) return { id: undefined, isMessage: false, ok: false };
  const m = msg as { id?: unknown; method?: unknown; result?: { isError?: unknown } };
  const id = typeof m.id === 'number' ? m.id : undefined;
  if (typeof m.method === 'string') return { id, isMessage: true, ok: false };
  return { id, isMessage: false, ok: m.result !== undefined && m.result?.isError !== true };
}
