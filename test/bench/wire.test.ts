/** The load generator's wire layer: framing, and the id scan that matches HTTP responses to requests. */
import { describe, expect, it } from 'vitest';
import { payloadText, requestBody, requestTemplate } from '../../src/bench/requests.js';
import { frameParts, scanFrame } from '../../src/bench/wire.js';

describe('bench wire', () => {
  it('frames a message: a newline after it (NDJSON), or its byte length before it (length-prefixed)', () => {
    const parts = [Buffer.from('{"a":'), Buffer.from('"é"}')];
    expect(Buffer.concat(frameParts('ndjson', parts)).toString()).toBe('{"a":"é"}\n');
    const lp = Buffer.concat(frameParts('length-prefixed', parts));
    expect(lp.readUInt32BE(0)).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(lp.subarray(4).toString()).toBe('{"a":"é"}');
  });

  it('finds the id first (nmcp), last (the SDKs) and nested (by parsing)', () => {
    expect(scanFrame(Buffer.from('{"jsonrpc":"2.0","id":42,"result":{"content":[]}}'))).toEqual({
      id: 42,
      isMessage: false,
      ok: true,
    });
    expect(
      scanFrame(Buffer.from(`{"result":{"content":[{"text":"${'y'.repeat(100)}"}]},"jsonrpc":"2.0","id":7}`)),
    ).toEqual({ id: 7, isMessage: false, ok: true });
    // An "id": inside the result must not be taken for the response's id.
    const nested = `{"result":{"items":[{"id":5,"pad":"${'z'.repeat(80)}"}]},"jsonrpc":"2.0","id":"abc"}`;
    expect(scanFrame(Buffer.from(nested)).id).toBeUndefined();
    expect(scanFrame(Buffer.from('{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"x"}}'))).toEqual({
      id: 3,
      isMessage: false,
      ok: false,
    });
    expect(scanFrame(Buffer.from('{"jsonrpc":"2.0","id":4,"result":{"content":[],"isError":true}}')).ok).toBe(false);
    expect(scanFrame(Buffer.from('{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{}}'))).toEqual({
      id: undefined,
      isMessage: true,
      ok: false,
    });
    expect(scanFrame(Buffer.from('{"jsonrpc":"2.0","id":9,"method":"ping"}'))).toEqual({
      id: 9,
      isMessage: true,
      ok: false,
    });
  });

  it('builds echo requests of the exact payload size, and checks the echoed text byte for byte', () => {
    for (const [workload, bytes] of [
      ['echo-200b', 200],
      ['echo-4k', 4096],
      ['echo-1m', 1 << 20],
    ] as const) {
      const t = requestTemplate(workload, 'legacy');
      const msg = JSON.parse(requestBody(t, 12).toString()) as { id: number; params: { arguments: { text: string } } };
      expect(msg.id).toBe(12);
      expect(msg.params.arguments.text.length).toBe(bytes);
      const text = payloadText(bytes);
      expect(
        t.check(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 12, result: { content: [{ type: 'text', text }] } }))),
      ).toBe(true);
      const wrong = `${text.slice(0, -1)}!`;
      expect(t.check(Buffer.from(JSON.stringify({ result: { content: [{ type: 'text', text: wrong }] } })))).toBe(
        false,
      );
    }
  });

  it('modern requests carry the _meta envelope and the headers it must match', () => {
    const t = requestTemplate('echo-200b', 'modern');
    const msg = JSON.parse(requestBody(t, 1).toString()) as { params: { _meta: Record<string, unknown> } };
    expect(msg.params._meta['io.modelcontextprotocol/protocolVersion']).toBe('2026-07-28');
    expect(t.headers).toEqual({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
  });
});
