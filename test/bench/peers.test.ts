/**
 * The bench peers in bench/peers/ (the servers nmcp is measured against over HTTP and TCP): each starts on a free port,
 * prints where it listens, answers initialize and one tools/call `echo`, and stops on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect as h2connect } from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const peer = (name: string) => fileURLToPath(new URL(`../../bench/peers/${name}`, import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

function start(script: string, args: string[]): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [peer(script), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not say where it listens: ${stderr}`)), 15_000);
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      const m = stderr.match(/listening on (\S+)/);
      if (!m?.[1]) return;
      clearTimeout(timer);
      const r: Running = {
        child,
        url: m[1],
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      };
      running.push(r);
      resolve(r);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before listening: ${stderr}`));
    });
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'peers-test', version: '1.0.0' } },
};
const ECHO = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'héllo ✓' } } };

interface RpcAnswer {
  id: number;
  result?: { protocolVersion?: string; content?: { type: string; text: string }[] };
  error?: unknown;
}

/** One POST; the answer may be a JSON body or an SSE stream (the SDK 1.x default) carrying it as a `data:` line. */
async function post(
  url: string,
  body: unknown,
  session?: string,
): Promise<{ status: number; sid: string | null; answer?: RpcAnswer }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (res.status === 202 || text.length === 0) return { status: res.status, sid };
  const json = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    ? (text.split('\n').find((l) => l.startsWith('data: ')) ?? '').slice(6)
    : text;
  return { status: res.status, sid, answer: JSON.parse(json) as RpcAnswer };
}

async function initializeAndEcho(url: string): Promise<void> {
  const init = await post(url, INITIALIZE);
  expect(init.status).toBe(200);
  expect(init.answer?.id).toBe(1);
  expect(init.answer?.result?.protocolVersion).toBe('2025-06-18');
  const sid = init.sid ?? undefined;
  expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status).toBe(202);
  const echo = await post(url, ECHO, sid);
  expect(echo.status).toBe(200);
  expect(echo.answer).toMatchObject({ id: 2, result: { content: [{ type: 'text', text: 'héllo ✓' }] } });
}

describe('HTTP peers', () => {
  it.each([
    ['sdk1-http-echo.mjs', []],
    ['sdk1-http-echo.mjs', ['--stateless']],
    ['sdk1-http-echo.mjs', ['--json-response']],
    ['sdk2-http-echo.mjs', []],
    ['bare-http-echo.mjs', []],
  ])('%s %j: initialize, echo, stop', async (script, extra) => {
    const p = await start(script, ['--http', '0', ...extra]);
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    await initializeAndEcho(p.url);
    expect(await p.stop()).toBe(0);
  });

  it('bare-http-echo.mjs --http2: initialize and echo over h2c', async () => {
    const p = await start('bare-http-echo.mjs', ['--http', '0', '--http2']);
    const url = new URL(p.url);
    const session = h2connect(url.origin);
    const h2post = (body: unknown, sid?: string) =>
      new Promise<{ status: number; sid: string | undefined; answer: RpcAnswer }>((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': url.pathname,
          'content-type': 'application/json',
          ...(sid ? { 'mcp-session-id': sid } : {}),
        });
        let status = 0;
        let id: string | undefined;
        let text = '';
        req.on('response', (h) => {
          status = Number(h[':status']);
          id = h['mcp-session-id'] as string | undefined;
        });
        req.setEncoding('utf8').on('data', (s: string) => {
          text += s;
        });
        req.on('end', () => resolve({ status, sid: id, answer: JSON.parse(text) as RpcAnswer }));
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    try {
      const init = await h2post(INITIALIZE);
      expect(init.status).toBe(200);
      expect(init.sid).toBeTypeOf('string');
      const echo = await h2post(ECHO, init.sid);
      expect(echo.answer).toMatchObject({ id: 2, result: { content: [{ type: 'text', text: 'héllo ✓' }] } });
    } finally {
      session.close();
    }
    expect(await p.stop()).toBe(0);
  });

  it('sdk1 (stateful) and bare refuse an unknown session; bare needs one after initialize', async () => {
    const sdk1 = await start('sdk1-http-echo.mjs', ['--http', '0']);
    expect((await post(sdk1.url, ECHO, 'no-such-session')).status).toBe(404);
    const bare = await start('bare-http-echo.mjs', ['--http', '0']);
    expect((await post(bare.url, ECHO, 'no-such-session')).status).toBe(404);
    expect((await post(bare.url, ECHO)).status).toBe(400);
  });
});

/** Frames for the TCP floor: '\n'-terminated JSON, or a 4-byte big-endian length and the JSON. */
function encode(framing: string, msg: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  if (framing === 'ndjson') return Buffer.concat([body, Buffer.from('\n')]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

function decodeAll(framing: string, data: Buffer): RpcAnswer[] {
  if (framing === 'ndjson') {
    return data
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as RpcAnswer);
  }
  const out: RpcAnswer[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const size = data.readUInt32BE(at);
    if (at + 4 + size > data.length) break;
    out.push(JSON.parse(data.toString('utf8', at + 4, at + 4 + size)) as RpcAnswer);
    at += 4 + size;
  }
  return out;
}

describe('TCP and Unix-socket floor (bare-tcp-echo.mjs)', () => {
  const cases = [
    ['tcp', 'ndjson'],
    ['tcp', 'length-prefixed'],
    ...(process.platform === 'win32' ? [] : [['unix', 'length-prefixed']]),
  ];
  it.each(cases)('%s %s: initialize, echo (sent split mid-frame), stop', async (kind, framing) => {
    const sock = join(tmpdir(), `nmcp-bare-${process.pid}-${Date.now()}.sock`);
    const p = await start('bare-tcp-echo.mjs', [
      ...(kind === 'tcp' ? ['--tcp', '0'] : ['--unix', sock]),
      '--framing',
      framing!,
    ]);
    let socket: ReturnType<typeof connect>;
    if (kind === 'tcp') {
      const m = p.url.match(/^tcp:\/\/127\.0\.0\.1:(\d+)$/);
      expect(m).not.toBeNull();
      socket = connect(Number(m?.[1]), '127.0.0.1');
    } else {
      expect(p.url).toBe(`unix:${sock}`);
      socket = connect(sock);
    }
    let received = Buffer.alloc(0);
    const answers = new Promise<RpcAnswer[]>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const all = decodeAll(framing!, received);
        if (all.length >= 2) resolve(all);
      });
    });
    const wire = Buffer.concat([
      encode(framing!, INITIALIZE),
      encode(framing!, { jsonrpc: '2.0', method: 'notifications/initialized' }),
      encode(framing!, ECHO),
    ]);
    // Split inside the last frame, so that reassembly across chunks is exercised.
    socket.write(wire.subarray(0, wire.length - 7));
    await new Promise((r) => setTimeout(r, 50));
    socket.write(wire.subarray(wire.length - 7));
    const [init, echo] = await answers;
    socket.destroy();
    expect(init).toMatchObject({ id: 1, result: { protocolVersion: '2025-06-18' } });
    expect(echo).toMatchObject({ id: 2, result: { content: [{ type: 'text', text: 'héllo ✓' }] } });
    expect(await p.stop()).toBe(0);
  });
});
