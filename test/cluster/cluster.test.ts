/**
 * `nmcp serve --processes 2` through the built CLI: two server processes on one port. TCP connections spread over
 * both; legacy HTTP sessions keep working whichever process a request lands on (every request on a new connection, so
 * half of them land on the process that does not own the session and are forwarded); /metrics on the primary's
 * --metrics-port and on the MCP port sums both processes; a killed process is restarted while its clients get errors,
 * not hangs, and the other process's clients go on; SIGTERM closes everything and exits 0.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/transport.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { freePort } from '../helpers/free-port.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { sample } from '../metrics/helpers.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const children: ChildProcessWithoutNullStreams[] = [];
const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
});

interface Cluster {
  child: ChildProcessWithoutNullStreams;
  /** Where it listens (tcp://… or http://…/mcp). */
  listening: string;
  pids: number[];
  /** The primary's operations listener, with --metrics-port. */
  ops: string | undefined;
  stderr: () => string;
  /** Resolves when stderr matches `re` (from the start). */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
}

async function serveCluster(args: string[]): Promise<Cluster> {
  const child = spawn(process.execPath, [CLI, 'serve', '--example', 'everything', '--processes', '2', ...args], {
    env: { ...process.env, NMCP_CLUSTER_PROCESSES: undefined },
  });
  children.push(child);
  let err = '';
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    for (const w of [...waiters]) w();
  });
  const waitFor = (re: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(err);
        if (m === null) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${re} on stderr in ${timeoutMs} ms: ${err}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const m = await waitFor(/listening on (\S+).* — 2 processes \(pids (\d+), (\d+)\)/);
  const ops = args.includes('--metrics-port') ? (await waitFor(/operations on (\S+)\/metrics \(all/))[1] : undefined;
  return {
    child,
    listening: m[1] as string,
    pids: [Number(m[2]), Number(m[3])],
    ops,
    stderr: () => err,
    waitFor,
  };
}

async function tcpClient(port: number): Promise<McpClient> {
  const client = new McpClient({ name: 'cluster-test', version: '1' }, { negotiation: 'legacy' });
  clients.push(client);
  await client.connect(new TcpClientTransport({ port }));
  return client;
}

async function echo(client: McpClient, text: string): Promise<string> {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  return (result.content as { text: string }[])[0]?.text as string;
}

interface Posted {
  status: number;
  sessionId: string | undefined;
  body: string;
}

/** One POST on a connection of its own (agent: false): node:cluster hands each new connection to the next process. */
function post(
  url: string,
  body: unknown,
  sessionId?: string,
  extra: Record<string, string> = {},
  agent: Agent | false = false,
): Promise<Posted> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }),
          ...extra,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, sessionId: res.headers['mcp-session-id'] as string, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Sessions opened on new connections until both processes own one. */
async function sessionsOnBoth(url: string, count: number): Promise<string[]> {
  const sessions: string[] = [];
  for (let i = 0; i < 8 && (sessions.length < count || new Set(sessions.map((s) => s[0])).size < 2); i++) {
    sessions.push(await openSession(url));
    // initialize and initialized took two connections: one more, and the next session lands on the other process.
    await post(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  }
  expect(new Set(sessions.map((s) => s[0])).size).toBe(2);
  return sessions;
}

async function openSession(url: string): Promise<string> {
  const init = await post(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  expect(init.status).toBe(200);
  const id = init.sessionId as string;
  expect(id).toMatch(/^[12]\./);
  expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, id)).status).toBe(202);
  return id;
}

/** tools/call requests received over `transport`, from a Prometheus text. */
function toolCallsIn(text: string, transport: 'tcp' | 'http'): number | undefined {
  return sample(text, 'nmcp_messages_total', { transport, direction: 'in', kind: 'request', method: 'tools/call' });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('nmcp serve --processes 2', () => {
  it('TCP: connections spread over both processes; /metrics on the primary sums them; /health lists both', async () => {
    const c = await serveCluster(['--tcp', '0', '--metrics-port', String(await freePort())]);
    const port = Number(new URL(c.listening).port);
    const all: McpClient[] = [];
    for (let i = 0; i < 4; i++) all.push(await tcpClient(port));
    for (const [i, client] of all.entries()) {
      for (let k = 0; k < 5; k++) expect(await echo(client, `c${i}-${k}`)).toBe(`c${i}-${k}`);
    }
    const info = (await (await fetch(`${c.ops}/info`)).json()) as {
      processes: number;
      cluster: { pid: number; info: { sessions: Record<string, number> } | null }[];
    };
    expect(info.processes).toBe(2);
    expect(info.cluster.map((p) => p.pid).sort()).toEqual([...c.pids].sort());
    // node:cluster's round robin hands each connection to the next free process: both have some.
    const perProcess = info.cluster.map((p) => p.info?.sessions.tcp ?? 0);
    expect(perProcess.every((n) => n > 0)).toBe(true);
    expect(perProcess[0]! + perProcess[1]!).toBe(4);
    const text = await (await fetch(`${c.ops}/metrics`)).text();
    expect(toolCallsIn(text, 'tcp')).toBe(20);
    expect(sample(text, 'nmcp_connections', { transport: 'tcp' })).toBe(4);
    expect(text).toMatch(/^nmcp_core_info\{core="(native|twin)",version="[^"]+"\} 1$/m);
    const health = await fetch(`${c.ops}/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { status: string; processes: { status: string }[] };
    expect(report.processes).toHaveLength(2);
    expect((await fetch(`${c.ops}/ready`)).status).toBe(200);
  });

  it('a killed process is restarted: its clients get errors, not hangs; the others go on; new clients work', async () => {
    const c = await serveCluster(['--tcp', '0', '--metrics-port', String(await freePort())]);
    const port = Number(new URL(c.listening).port);
    const all: McpClient[] = [];
    for (let i = 0; i < 4; i++) all.push(await tcpClient(port));
    for (const client of all) expect(await echo(client, 'before')).toBe('before');
    const before = (await (await fetch(`${c.ops}/info`)).json()) as {
      cluster: { info: { sessions: Record<string, number> } }[];
    };
    const onVictim = before.cluster[0]?.info.sessions.tcp as number;
    expect(onVictim).toBeGreaterThan(0);
    const victim = c.pids[0] as number;
    process.kill(victim, 'SIGKILL');
    await c.waitFor(new RegExp(`process 1 \\(pid ${victim}\\) exited \\(signal SIGKILL\\).*restarting it`));
    const outcomes = await Promise.all(
      all.map((client) =>
        echo(client, 'after').then(
          (text) => ({ ok: true as const, text }),
          (err: Error & { code?: unknown }) => ({ ok: false as const, err }),
        ),
      ),
    );
    // The connections on the killed process fail their calls at once with an error; the others are answered.
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(onVictim);
    for (const o of outcomes) if (o.ok) expect(o.text).toBe('after');
    for (const o of outcomes) if (!o.ok) expect(o.err.message).toMatch(/clos|reset|EPIPE|ended/i);
    const restarted = await c.waitFor(/process 1 restarted \(pid (\d+)\), listening again/);
    const newPid = Number(restarted[1]);
    expect(newPid).not.toBe(victim);
    expect(alive(newPid)).toBe(true);
    // New connections reach both processes again.
    const fresh = await Promise.all(Array.from({ length: 2 }, () => tcpClient(port)));
    for (const client of fresh) expect(await echo(client, 'again')).toBe('again');
    const info = (await (await fetch(`${c.ops}/info`)).json()) as { cluster: { pid: number; restarts: number }[] };
    expect(info.cluster.map((p) => p.pid).sort()).toEqual([newPid, c.pids[1]].sort());
    expect(info.cluster.map((p) => p.restarts)).toEqual([1, 0]);
  });

  it('every process killed at once: the primary restarts them all and serves again on its port', async () => {
    const port = await freePort();
    const c = await serveCluster(['--tcp', String(port)]);
    for (const pid of c.pids) process.kill(pid, 'SIGKILL');
    await c.waitFor(/process 1 restarted \(pid \d+\)/);
    await c.waitFor(/process 2 restarted \(pid \d+\)/);
    expect(c.child.exitCode).toBeNull();
    expect(await echo(await tcpClient(port), 'back')).toBe('back');
  });

  it('HTTP: legacy sessions work whichever process a request lands on; /metrics on the MCP port sums both', async () => {
    const c = await serveCluster(['--http', '0']);
    const url = c.listening;
    const sessions = await sessionsOnBoth(url, 3);
    for (let i = 0; i < 30; i++) {
      const session = sessions[i % 3] as string;
      const r = await post(
        url,
        { jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'echo', arguments: { text: `m${i}` } } },
        session,
      );
      expect(r.status).toBe(200);
      expect(r.body).toContain(`"text":"m${i}"`);
    }
    // A streamed (SSE) answer with progress notifications, forwarded event by event.
    for (const session of sessions) {
      const r = await post(
        url,
        {
          jsonrpc: '2.0',
          id: 100,
          method: 'tools/call',
          params: {
            name: 'long_running_operation',
            arguments: { steps: 3, delayMs: 20 },
            _meta: { progressToken: 'p' },
          },
        },
        session,
      );
      expect(r.status).toBe(200);
      expect(r.body.match(/notifications\/progress/g)?.length).toBe(3);
      expect(r.body).toContain('"id":100');
    }
    // A session id no process made, and one of a process that never existed.
    expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, 'nosuch')).status).toBe(404);
    expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, '7.nosuch')).status).toBe(404);
    // Our own client, keep-alive pool and all.
    const client = new McpClient({ name: 'cluster-http', version: '1' }, { negotiation: 'legacy' });
    clients.push(client);
    await client.connect(new StreamableHttpClientTransport(url));
    for (let i = 0; i < 10; i++) expect(await echo(client, `k${i}`)).toBe(`k${i}`);
    // One keep-alive connection for requests of sessions on both processes: it stays where its first request's
    // session is, and the requests of the other process's sessions are forwarded one by one.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 12; i++) {
        const session = sessions[i % sessions.length] as string;
        const r = await post(
          url,
          {
            jsonrpc: '2.0',
            id: 200 + i,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: `ka${i}` } },
          },
          session,
          {},
          agent,
        );
        expect(r.status).toBe(200);
        expect(r.body).toContain(`"text":"ka${i}"`);
      }
    } finally {
      agent.destroy();
    }
    const text = await (await fetch(new URL('/metrics', url))).text();
    expect(toolCallsIn(text, 'http')).toBe(30 + sessions.length + 10 + 12);
    const forwarded = sample(text, 'nmcp_http_forwarded_requests_total', { direction: 'sent' }) as number;
    expect(forwarded).toBeGreaterThanOrEqual(4);
    // '7.nosuch' was sent toward a process that does not exist (404): one fewer received.
    expect(sample(text, 'nmcp_http_forwarded_requests_total', { direction: 'received' })).toBe(forwarded - 1);
    // Requests did land on the process not owning their session: each on a new connection, whose first request
    // named the session, so the connection moved whole to the owner.
    const moved = sample(text, 'nmcp_http_moved_connections_total', { direction: 'sent' }) as number;
    expect(moved).toBeGreaterThan(5);
    expect(sample(text, 'nmcp_http_moved_connections_total', { direction: 'received' })).toBe(moved);
  });

  it('HTTP/2: requests of a session on another process are forwarded (an h2 connection cannot move)', async () => {
    const c = await serveCluster(['--http', '0', '--http2']);
    const url = c.listening;
    /** One POST on an HTTP/2 connection of its own (the next process gets each new connection). */
    const post2 = (body: unknown, sessionId?: string) =>
      new Promise<Posted>((resolve, reject) => {
        const session = connectHttp2(new URL(url).origin);
        session.on('error', reject);
        const stream = session.request({
          ':method': 'POST',
          ':path': new URL(url).pathname,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }),
        });
        let status = 0;
        let id: string | undefined;
        let text = '';
        stream.on('response', (headers) => {
          status = Number(headers[':status']);
          id = headers['mcp-session-id'] as string | undefined;
        });
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          text += chunk;
        });
        stream.on('end', () => {
          session.close();
          resolve({ status, sessionId: id, body: text });
        });
        stream.on('error', reject);
        stream.end(JSON.stringify(body));
      });
    const sessions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const init = await post2({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'h2', version: '1' } },
      });
      expect(init.status).toBe(200);
      sessions.push(init.sessionId as string);
    }
    expect(new Set(sessions.map((s) => s[0])).size).toBe(2);
    for (let i = 0; i < 12; i++) {
      const r = await post2(
        { jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'echo', arguments: { text: `h${i}` } } },
        // Each session twice in a row: two new connections, which round robin gives to different processes.
        sessions[Math.floor(i / 2) % sessions.length],
      );
      expect(r.status).toBe(200);
      expect(r.body).toContain(`"text":"h${i}"`);
    }
    const metrics = await new Promise<string>((resolve, reject) => {
      const session = connectHttp2(new URL(url).origin);
      const stream = session.request({ ':path': '/metrics' });
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
      stream.on('end', () => {
        session.close();
        resolve(text);
      });
      stream.on('error', reject);
    });
    const forwarded = sample(metrics, 'nmcp_http_forwarded_requests_total', { direction: 'sent' }) as number;
    expect(forwarded).toBeGreaterThan(0);
    expect(sample(metrics, 'nmcp_http_forwarded_requests_total', { direction: 'received' })).toBe(forwarded);
    expect(sample(metrics, 'nmcp_http_moved_connections_total', { direction: 'sent' })).toBe(0);
    expect(toolCallsIn(metrics, 'http')).toBe(12);
  });

  it('HTTP: stateless (2026-07-28) requests are served where they land, by both processes, with no hop', async () => {
    const c = await serveCluster(['--http', '0']);
    const url = c.listening;
    for (let i = 0; i < 20; i++) {
      const r = await post(
        url,
        {
          jsonrpc: '2.0',
          id: i,
          method: 'tools/call',
          params: {
            name: 'echo',
            arguments: { text: `s${i}` },
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        },
        undefined,
        { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
      );
      expect(r.status).toBe(200);
      expect(r.body).toContain(`"text":"s${i}"`);
    }
    // New connections reach both processes (each /info is the answering process's own).
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const info = await new Promise<{ pid: number }>((resolve, reject) => {
        const u = new URL('/info', url);
        request({ agent: false, host: u.hostname, port: u.port, path: u.pathname }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (s: string) => {
            text += s;
          });
          res.on('end', () => resolve(JSON.parse(text) as { pid: number }));
        })
          .on('error', reject)
          .end();
      });
      pids.add(info.pid);
    }
    expect([...pids].sort()).toEqual([...c.pids].sort());
    const text = await (await fetch(new URL('/metrics', url))).text();
    expect(toolCallsIn(text, 'http')).toBe(20);
    expect(sample(text, 'nmcp_http_forwarded_requests_total', { direction: 'sent' })).toBe(0);
  });

  it('HTTP: a session whose process died answers 404 (the client initializes again), not a hang', async () => {
    const c = await serveCluster(['--http', '0']);
    const url = c.listening;
    const sessions = await sessionsOnBoth(url, 2);
    const lost = sessions.find((s) => s.startsWith('1.')) as string;
    expect(lost).toBeDefined();
    process.kill(c.pids[0] as number, 'SIGKILL');
    await c.waitFor(/process 1 \(pid \d+\) exited/);
    // Before and after the restart, on either process: 404 Session not found.
    for (let i = 0; i < 4; i++) {
      const r = await post(url, { jsonrpc: '2.0', id: i, method: 'ping' }, lost);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: -32001, message: 'Session not found' } });
    }
    await c.waitFor(/process 1 restarted/);
    const r = await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, lost);
    expect(r.status).toBe(404);
    expect(await openSession(url)).toMatch(/^[12]\./);
  });

  it('SIGTERM closes every process and exits 0', async () => {
    const c = await serveCluster(['--tcp', '0']);
    c.child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => c.child.once('exit', r));
    expect(code).toBe(0);
    expect(c.stderr()).toContain('nmcp serve: closing');
    for (const pid of c.pids) expect(alive(pid)).toBe(false);
  });

  it('SIGHUP to the primary reaches every process: each reloads the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmcp-cluster-'));
    try {
      const file = join(dir, 'nmcp.json');
      writeFileSync(file, JSON.stringify({ tcp: { maxConnections: 100 } }));
      const c = await serveCluster(['--tcp', '0', '--config', file]);
      const port = Number(new URL(c.listening).port);
      writeFileSync(file, JSON.stringify({ tcp: { maxConnections: 50 } }));
      c.child.kill('SIGHUP');
      // One "config reloaded" per process (from the file change, from SIGHUP, or both): both processes reload.
      const pids = new Set<number>();
      const deadline = Date.now() + 10_000;
      while (pids.size < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        for (const line of c.stderr().split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as { msg?: string; pid?: number; applied?: string[] };
          if (entry.msg === 'config reloaded' && entry.applied?.includes('tcp.maxConnections')) {
            pids.add(entry.pid as number);
          }
        }
      }
      expect([...pids].sort()).toEqual([...c.pids].sort());
      // The primary is alive (SIGHUP did not end it) and the processes serve.
      expect(c.child.exitCode).toBeNull();
      expect(await echo(await tcpClient(port), 'hup')).toBe('hup');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process that cannot start (the port is taken) stops the cluster: exit 1, with its reason', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', '--tcp', String(port), '--example', 'everything', '--processes', '2'], {
        env: { ...process.env, NMCP_CLUSTER_PROCESSES: undefined },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('EADDRINUSE');
      expect(r.stderr).toMatch(/process \d \(pid \d+\) exited \(code 1\) before listening; stopping/);
    } finally {
      taken.close();
    }
  });

  it('--processes is checked: a bad count, or with --stdio, is a usage error', async () => {
    const bad = await runCli(['serve', '--tcp', '0', '--example', 'everything', '--processes', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--processes needs a whole number from 1 to 1024');
    const stdio = await runCli(['serve', '--stdio', '--example', 'everything', '--processes', '2']);
    expect(stdio.code).toBe(2);
    expect(stdio.stderr).toContain('--processes applies to --tcp, --unix and --http');
  });
});
