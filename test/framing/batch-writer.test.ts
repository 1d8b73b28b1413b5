import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type NmcpError } from '../../src/errors.js';
import { BatchWriter } from '../../src/framing/batch-writer.js';
import { decodeRecords, FrameDecoder } from '../../src/framing/frame-decoder.js';

/** A sink that records each write() call; `hold` keeps writes pending (so the stream reports backpressure). */
class RecordingSink extends Writable {
  writes: Buffer[] = [];
  held: (() => void)[] = [];
  hold = false;
  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark, decodeStrings: true });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writes.push(chunk);
    if (this.hold) this.held.push(() => cb());
    else cb();
  }
  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const cb of held) cb();
  }
  text(): string {
    return Buffer.concat(this.writes).toString();
  }
}

const msg = (i: number, pad = 0): string => JSON.stringify({ jsonrpc: '2.0', id: i, result: { pad: 'x'.repeat(pad) } });

describe('BatchWriter', () => {
  it('a lone message leaves in the same event-loop turn, as one write', async () => {
    const sink = new RecordingSink();
    const w = new BatchWriter(sink);
    w.write(msg(1));
    expect(sink.writes).toHaveLength(0);
    await nextTurn();
    expect(sink.writes).toHaveLength(1);
    expect(sink.text()).toBe(`${msg(1)}\n`);
  });

  it('coalesces one turn of messages into batchSize-sized writes', async () => {
    const sink = new RecordingSink(1 << 30);
    const w = new BatchWriter(sink, { batchSize: 100 });
    for (let i = 0; i < 250; i++) w.write(msg(i));
    expect(sink.writes).toHaveLength(2); // two full batches flushed at once
    await nextTurn();
    expect(sink.writes).toHaveLength(3);
    expect(sink.text().split('\n').slice(0, -1)).toEqual(Array.from({ length: 250 }, (_, i) => msg(i)));
    expect(w.stats).toMatchObject({ messages: 250, flushes: 3, backpressurePauses: 0 });
  });

  it('flushes at batchMaxBytes whatever the count', () => {
    const sink = new RecordingSink(1 << 30);
    const w = new BatchWriter(sink, { batchMaxBytes: 1000 });
    for (let i = 0; i < 10; i++) w.write(msg(i, 300));
    expect(sink.writes.length).toBeGreaterThanOrEqual(3);
  });

  it('length-prefixed batches (strings, bytes, and strings with raw newlines) decode back', async () => {
    const sink = new RecordingSink(1 << 30);
    const w = new BatchWriter(sink, { framing: 'length-prefixed' });
    const sent = [msg(1), '{\n"id":2,"method":"x"\n}', msg(3, 70_000)];
    w.write(sent[0] as string);
    w.write(sent[1] as string);
    w.write(Buffer.from(sent[2] as string));
    await nextTurn();
    expect(sink.writes).toHaveLength(1);
    const d = new FrameDecoder({ framing: 'length-prefixed' });
    expect(decodeRecords(d, Buffer.concat(sink.writes)).map((r) => r.frame?.toString())).toEqual(sent);

    const w2 = new BatchWriter(sink, { framing: 'length-prefixed' });
    sink.writes = [];
    for (let i = 0; i < 5; i++) w2.write(msg(i));
    await nextTurn();
    expect(decodeRecords(d, Buffer.concat(sink.writes)).map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
  });

  it('under backpressure: one drain listener, batches handed over every batchTimeoutMs, nothing lost or reordered', async () => {
    const sink = new RecordingSink(1024);
    const w = new BatchWriter(sink, { batchTimeoutMs: 5 });
    sink.hold = true;
    w.write(msg(0, 2000)); // over the sink's highWaterMark: write() returns false
    await nextTurn();
    expect(w.blocked).toBe(true);
    for (let i = 1; i <= 50; i++) w.write(msg(i));
    expect(sink.listenerCount('drain')).toBe(1);
    const before = sink.writableLength;
    await sleep(30);
    expect(sink.writableLength).toBeGreaterThan(before); // the timer handed the queue over to the sink while blocked
    expect(w.blocked).toBe(true);
    const drained = w.whenWritable();
    sink.release();
    await drained;
    expect(w.blocked).toBe(false);
    expect(
      sink
        .text()
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l).id),
    ).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(w.stats.backpressurePauses).toBe(1);
  });

  it('refuses writes over maxPendingBytes with WRITE_QUEUE_FULL instead of growing', async () => {
    const sink = new RecordingSink(1024);
    const w = new BatchWriter(sink, { maxMessageSize: 4096, maxPendingBytes: 10_000 });
    const overflows: NmcpError[] = [];
    w.on('overflow', (e: NmcpError) => overflows.push(e));
    sink.hold = true;
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (w.write(msg(i, 900))) accepted++;
    expect(accepted).toBeLessThan(100);
    expect(accepted).toBeGreaterThan(0);
    expect(w.pendingBytes).toBeLessThanOrEqual(10_000);
    expect(overflows[0]?.code).toBe(ErrorCode.WRITE_QUEUE_FULL);
    expect(w.stats.refused).toBe(100 - accepted);
    sink.release();
    await w.whenWritable();
    await sleep(20);
    expect(sink.text().split('\n').length - 1).toBe(accepted);
  });

  it('rejects messages that can never be sent, and writes after close', () => {
    const sink = new RecordingSink();
    const w = new BatchWriter(sink, { maxMessageSize: 100 });
    expect(() => w.write('x'.repeat(101))).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
    expect(() => w.write('')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_FRAME }));
    expect(() => w.write('{"a":\n1}')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_FRAME }));
    w.write(msg(1));
    w.close();
    expect(sink.writes).toHaveLength(1); // close flushes
    expect(() => w.write(msg(2))).toThrow(expect.objectContaining({ code: ErrorCode.WRITER_CLOSED }));
  });

  it('validates options, naming the key', () => {
    const sink = new RecordingSink();
    expect(() => new BatchWriter(sink, { batchSize: 0 })).toThrow(/writer\.batchSize must be an integer from 1/);
    expect(() => new BatchWriter(sink, { maxMessageSize: 1000, maxPendingBytes: 500 })).toThrow(
      /writer\.maxPendingBytes \(500\) must be at least writer\.maxMessageSize \+ 4/,
    );
    expect(() => new BatchWriter(sink, { flushEvery: 1 } as never)).toThrow(/writer\.flushEvery is not a known option/);
  });

  it('over a real socket whose peer stops reading, memory stays bounded and the producer is told', async () => {
    const server = net.createServer((sock) => sock.pause()); // accepts, never reads
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const w = new BatchWriter(sock, { maxMessageSize: 64 * 1024, maxPendingBytes: 1024 * 1024 });
    let refused = 0;
    w.on('overflow', () => refused++);
    const big = msg(0, 60_000);
    // Two messages a turn: the writer flushes each turn until the kernel's buffers are full and the socket pushes back.
    for (let round = 0; round < 2000 && refused === 0; round++) {
      w.write(big);
      w.write(big);
      await sleep(1);
    }
    expect(refused).toBeGreaterThan(0);
    expect(w.pendingBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(w.blocked).toBe(true);
    sock.destroy();
    server.close();
  });
});
