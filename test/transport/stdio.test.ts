import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type NmcpError } from '../../src/errors.js';
import { StdioClientTransport } from '../../src/transport/child-process.js';
import { StdioServerTransport } from '../../src/transport/stdio.js';
import { StreamTransport } from '../../src/transport/stream-transport.js';
import type { TransportSink } from '../../src/transport/types.js';

function recorder() {
  const got = { messages: [] as string[], frameErrors: [] as NmcpError[], closed: [] as (Error | undefined)[] };
  const sink: TransportSink = {
    message: (t) => got.messages.push(t),
    frameError: (e) => got.frameErrors.push(e),
    closed: (r) => got.closed.push(r),
  };
  return { got, sink };
}

/** A writable that accepts nothing until released: the peer "stops reading". */
class StuckOutput extends Writable {
  constructor() {
    super({ highWaterMark: 1024 });
  }
  override _write(_c: Buffer, _e: BufferEncoding, _cb: () => void): void {}
}

describe('StdioServerTransport', () => {
  it('delivers frames, reports an oversize line without losing the next, and writes NDJSON', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const t = new StdioServerTransport({ stdin, stdout, maxMessageSize: 64 });
    const { got, sink } = recorder();
    await t.start(sink);
    stdin.write(`{"a":1}\n{"pad":"${'x'.repeat(100)}"}\n{"b`);
    stdin.write('":2}\r\n');
    await sleep(10);
    expect(got.messages).toEqual(['{"a":1}', '{"b":2}']);
    expect(got.frameErrors.map((e) => e.code)).toEqual([ErrorCode.FRAME_TOO_LARGE]);
    t.send('{"x":1}');
    t.send('{"y":2}');
    await sleep(10);
    expect(stdout.read()?.toString()).toBe('{"x":1}\n{"y":2}\n');
    await t.close();
    expect(got.closed).toEqual([undefined]);
  });

  it('readTimeoutMs closes a session whose partial frame stalls, but an idle stream between frames is fine', async () => {
    const stdin = new PassThrough();
    const t = new StdioServerTransport({ stdin, stdout: new PassThrough(), readTimeoutMs: 40 });
    const { got, sink } = recorder();
    await t.start(sink);
    stdin.write('{"a":1}\n');
    await sleep(80); // idle between messages: nothing happens
    expect(got.closed).toEqual([]);
    stdin.write('{"partial":');
    await sleep(80);
    expect(got.closed).toHaveLength(1);
    expect((got.closed[0] as NmcpError).code).toBe(ErrorCode.READ_TIMEOUT);
  });

  it('readTimeoutMs with length-prefixed framing: a frame split across chunks is fine, a stalled one closes', async () => {
    const input = new PassThrough();
    const t = new StreamTransport(input, new PassThrough(), { framing: 'length-prefixed', readTimeoutMs: 500 });
    const { got, sink } = recorder();
    await t.start(sink);
    const frame = (text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      return Buffer.concat([head, body]);
    };
    const two = Buffer.concat([frame('{"a":1}'), frame('{"b":2}')]);
    input.write(two.subarray(0, 13)); // the first frame and 2 bytes of the next header
    await new Promise(setImmediate);
    input.write(two.subarray(13)); // the rest, within readTimeoutMs (a separate chunk)
    await sleep(700); // idle between frames, longer than readTimeoutMs: nothing happens
    expect(got.messages).toEqual(['{"a":1}', '{"b":2}']);
    expect(got.closed).toEqual([]);
    input.write(frame('{"stalled":true}').subarray(0, 9));
    await sleep(1500);
    expect(got.closed).toHaveLength(1);
    expect((got.closed[0] as NmcpError).code).toBe(ErrorCode.READ_TIMEOUT);
  });

  it('writeTimeoutMs closes the session when the peer stops reading; flow control pauses input meanwhile', async () => {
    const stdin = new PassThrough();
    const t = new StdioServerTransport({ stdin, stdout: new StuckOutput(), writeTimeoutMs: 60 });
    const { got, sink } = recorder();
    await t.start(sink);
    t.send(JSON.stringify({ big: 'y'.repeat(4096) }));
    await sleep(10);
    expect(stdin.isPaused()).toBe(true);
    await sleep(100);
    expect(got.closed).toHaveLength(1);
    expect((got.closed[0] as NmcpError).code).toBe(ErrorCode.WRITE_TIMEOUT);
    expect(t.send('{}')).toBe(false);
  });

  it("handles a large chunk in slices of maxMessagesPerTurn, writing each slice's replies before the next", async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const t = new StdioServerTransport({ stdin, stdout, maxMessagesPerTurn: 10 });
    const seen: number[] = [];
    const writesBefore: number[] = [];
    let writes = 0;
    stdout.on('data', () => writes++);
    await t.start({
      message: (text) => {
        const { id } = JSON.parse(text) as { id: number };
        seen.push(id);
        writesBefore.push(writes);
        t.send(JSON.stringify({ jsonrpc: '2.0', id, result: {} }));
      },
      frameError: () => {},
      closed: () => {},
    });
    const lines = Array.from({ length: 35 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'x' }));
    stdin.write(`${lines.join('\n')}\n`);
    stdin.end(); // input ends while most of the chunk is still waiting: nothing may be lost
    for (let i = 0; i < 100 && seen.length < 35; i++) await sleep(5);
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => i));
    // The first slice was handled before any reply was written; later slices after earlier replies went out.
    expect(writesBefore[0]).toBe(0);
    expect(writesBefore[34]).toBeGreaterThan(0);
  });

  it('rejects unknown options naming the key', () => {
    expect(() => new StdioServerTransport({ readTimeout: 5 } as never)).toThrow(
      /stdio\.readTimeout is not a known option/,
    );
    expect(() => new StdioServerTransport({ bufferSize: 10 })).toThrow(
      /stdio\.bufferSize must be an integer from 1024/,
    );
  });
});

const node = process.execPath;
const echoServer = `
  const rl = require('node:readline').createInterface({ input: process.stdin });
  rl.on('line', (l) => process.stdout.write(l + '\\n'));
`;

describe('StdioClientTransport', () => {
  it('spawns a command and exchanges NDJSON messages', async () => {
    const t = new StdioClientTransport({ command: node, args: ['-e', echoServer] });
    const { got, sink } = recorder();
    await t.start(sink);
    t.send('{"hello":1}');
    t.send('{"hello":2}');
    for (let i = 0; i < 100 && got.messages.length < 2; i++) await sleep(10);
    expect(got.messages).toEqual(['{"hello":1}', '{"hello":2}']);
    await t.close();
    expect(got.closed).toHaveLength(1);
  });

  it('a 64 MiB message travels whole (linear decoding; a quadratic reader would time out)', async () => {
    const big = `
      const text = 'a'.repeat(64 * 1024 * 1024);
      process.stdout.write('{"jsonrpc":"2.0","id":1,"result":{"text":"' + text + '"}}\\n');
      process.stdin.resume();
    `;
    const t = new StdioClientTransport({ command: node, args: ['-e', big], maxMessageSize: 80 * 1024 * 1024 });
    const { got, sink } = recorder();
    await t.start(sink);
    for (let i = 0; i < 1000 && got.messages.length === 0; i++) await sleep(10);
    expect(got.messages).toHaveLength(1);
    expect(got.messages[0]?.length).toBe(64 * 1024 * 1024 + 45);
    await t.close();
  });

  it('a server that exits is reported with its exit code and the tail of its stderr', async () => {
    const t = new StdioClientTransport({
      command: node,
      args: ['-e', 'process.stderr.write("config missing\\n"); process.exit(3)'],
      stderr: 'pipe',
    });
    const { got, sink } = recorder();
    await t.start(sink);
    for (let i = 0; i < 100 && got.closed.length === 0; i++) await sleep(10);
    const err = got.closed[0] as NmcpError;
    expect(err.code).toBe(ErrorCode.PROCESS_EXITED);
    expect(err.message).toContain('code 3');
    expect(err.message).toContain('config missing');
  });

  it('a command that does not exist fails to start with a clear error', async () => {
    const t = new StdioClientTransport({ command: '/nonexistent/server-binary' });
    await expect(t.start(recorder().sink)).rejects.toMatchObject({ code: ErrorCode.PROCESS_EXITED });
  });

  it('a chatty stderr cannot block the session (the pipe is always drained)', async () => {
    const chatty = `
      process.stderr.write('x'.repeat(4 * 1024 * 1024));
      const rl = require('node:readline').createInterface({ input: process.stdin });
      rl.on('line', (l) => process.stdout.write(l + '\\n'));
    `;
    let stderrBytes = 0;
    const t = new StdioClientTransport({
      command: node,
      args: ['-e', chatty],
      stderr: 'pipe',
      onStderr: (c) => {
        stderrBytes += c.length;
      },
    });
    const { got, sink } = recorder();
    await t.start(sink);
    t.send('{"ping":1}');
    // The child writes its stderr synchronously before it starts echoing: the reply proves we drained it.
    for (let i = 0; i < 300 && (got.messages.length === 0 || stderrBytes < 4 * 1024 * 1024); i++) await sleep(10);
    expect(got.messages).toEqual(['{"ping":1}']);
    expect(stderrBytes).toBe(4 * 1024 * 1024);
    await t.close();
  });

  it('shutdown escalates: close stdin, then SIGTERM, then SIGKILL for a server that ignores both', async () => {
    const stubborn = `
      process.on('SIGTERM', () => {});
      process.stdin.resume();
      process.stdin.on('end', () => {});
      setInterval(() => {}, 1000);
    `;
    const t = new StdioClientTransport({ command: node, args: ['-e', stubborn], shutdownGraceMs: 150 });
    await t.start(recorder().sink);
    const pid = t.pid as number;
    await sleep(100); // let it install its SIGTERM handler
    const started = Date.now();
    await t.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250); // two grace periods passed
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  });
});
