/**
 * `nmcp serve` with its operations side, through the built CLI: /metrics, /health, /ready, /live, /info on
 * --metrics-port (TCP server) and on the MCP port itself (--http), counters that move with real calls, /health 503
 * when memory is over memoryWarningBytes, load shedding over memoryShedBytes switched on and off by a live config
 * reload (SIGHUP) while a client stays connected.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { McpError } from '../../src/protocol/jsonrpc.js';
import { StreamableHttpClientTransport } from '../../src/transport/http/client/transport.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { freePort } from '../helpers/free-port.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { sample } from '../metrics/helpers.js';

vi.setConfig({ testTimeout: 30_000 });

const dir = mkdtempSync(join(tmpdir(), 'nmcp-serve-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const children: ChildProcessWithoutNullStreams[] = [];
const clients: McpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('NMCP_') || k === 'NMCP_NATIVE' || k === 'NMCP_REQUIRE_NATIVE') out[k] = v;
  }
  return { ...out, ...extra };
}

/** Starts `nmcp serve …` and resolves with its stderr lines once the operations line (or the listening line) is out. */
async function serve(args: string[], extraEnv: Record<string, string> = {}, until = /operations on (\S+)\/metrics/) {
  // One server process (test/cluster covers --processes N): these tests read one process's /info, /health, reload.
  const child = spawn(process.execPath, [CLI, 'serve', '--example', 'everything', '--processes', '1', ...args], {
    env: env(extraEnv),
  });
  children.push(child);
  let err = '';
  const lines: string[] = [];
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      lines.push(...s.split('\n').filter(Boolean));
      const m = until.exec(err);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const listening = /listening on (\S+)/.exec(err)?.[1] as string;
  return { child, match, listening, lines };
}

describe('nmcp serve: operations', () => {
  it('--metrics-port serves the endpoints; the counters move with the calls a TCP client makes', async () => {
    const metricsPort = await freePort();
    const { match, listening } = await serve(['--tcp', '0', '--metrics-port', String(metricsPort)]);
    const base = match[1] as string;
    expect(base).toBe(`http://127.0.0.1:${metricsPort}`);
    const client = new McpClient({ name: 'ops-test', version: '1' }, { negotiation: 'legacy' });
    clients.push(client);
    await client.connect(new TcpClientTransport({ port: Number(new URL(listening).port) }));
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `${i}` } })),
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(
      sample(text, 'nmcp_messages_total', { transport: 'tcp', direction: 'in', kind: 'request', method: 'tools/call' }),
    ).toBe(30);
    expect(sample(text, 'nmcp_connections', { transport: 'tcp' })).toBe(1);
    expect(text).toContain('# TYPE nmcp_process_resident_memory_bytes gauge');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { checks: { transports: { detail: string } } }).checks.transports.detail).toBe(
      `listening on ${listening} (length-prefixed)`,
    );
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/live`)).status).toBe(200);
    const info = (await (await fetch(`${base}/info`)).json()) as {
      sessions: Record<string, number>;
      top: { byMessageRate: { client?: string }[] };
    };
    expect(info.sessions).toEqual({ tcp: 1 });
    expect(info.top.byMessageRate[0]?.client).toBe('ops-test 1');
    // nmcp info reads the same endpoint (given the /metrics URL, as an operator would copy it).
    const printed = await runCli(['info', '--url', `${base}/metrics`]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^pid \d+, up \d+ s, node v/);
    expect(printed.stdout).toContain('sessions tcp 1');
    expect(printed.stdout).toMatch(/\| tcp \| ops-test 1 \| [\d.]+ \| \d+ \| \d+ \|/);
    const json = await runCli(['info', '--url', base, '--json']);
    expect((JSON.parse(json.stdout) as { sessions: unknown }).sessions).toEqual({ tcp: 1 });
  });

  it('nmcp info: a server that is not there exits 1 naming it; no --url exits 2 with the fix', async () => {
    const port = await freePort();
    const gone = await runCli(['info', '--url', `http://127.0.0.1:${port}`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`nmcp info: cannot reach http://127.0.0.1:${port}/info`);
    const usage = await runCli(['info']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Add --url http://HOST:PORT');
  });

  it('--http: the endpoints are on the MCP port too; /health is 503 over memoryWarningBytes (NMCP_MEMORY_*)', async () => {
    const { match, listening } = await serve(['--http', '0'], { NMCP_MEMORY_MEMORY_WARNING_BYTES: '1048576' });
    const base = match[1] as string;
    expect(listening.startsWith(base)).toBe(true);
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    clients.push(client);
    await client.connect(new StreamableHttpClientTransport(listening));
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(
      sample(text, 'nmcp_messages_total', {
        transport: 'http',
        direction: 'in',
        kind: 'request',
        method: 'tools/call',
      }),
    ).toBe(1);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { checks: { memory: { status: string } } }).checks.memory.status).toBe('fail');
  });

  it('memoryShedBytes refuses requests (initialize too) with a clear error; a live reload (SIGHUP) turns it off and sessions are served again', async () => {
    const file = join(dir, 'shed.json');
    writeFileSync(file, JSON.stringify({ memory: { memoryShedBytes: 1048576, memoryCheckIntervalMs: 50 } }));
    const metricsPort = await freePort();
    const { child, match, listening } = await serve([
      '--tcp',
      '0',
      '--metrics-port',
      String(metricsPort),
      '--config',
      file,
    ]);
    const base = match[1] as string;
    const client = new McpClient({ name: 'c', version: '1' }, { negotiation: 'legacy' });
    clients.push(client);
    // initialize itself is refused while shedding: connect fails with the overload error.
    const refused = await client
      .connect(new TcpClientTransport({ port: Number(new URL(listening).port) }))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(-32000);
    expect((refused as McpError).message).toMatch(/^server overloaded: memory use is over memoryShedBytes/);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    writeFileSync(file, JSON.stringify({ memory: { memoryShedBytes: 0, memoryCheckIntervalMs: 50 } }));
    child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${base}/ready`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('still shedding after the reload');
      await new Promise((r) => setTimeout(r, 50));
    }
    const again = new McpClient({ name: 'c2', version: '1' }, { negotiation: 'legacy' });
    clients.push(again);
    await again.connect(new TcpClientTransport({ port: Number(new URL(listening).port) }));
    expect((await again.callTool({ name: 'echo', arguments: { text: 'served' } })).content).toEqual([
      { type: 'text', text: 'served' },
    ]);
  });
});
