/** `nmcp gateway` through the built CLI (dist/cli/main.js): serving over TCP, and bad config files (exit 2). */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { cli, text } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'nmcp-gateway-'));
function configFile(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('nmcp gateway', () => {
  it('serves the upstreams’ tools namespaced over TCP and exits 0 on SIGTERM', async () => {
    const config = configFile('ok.json', {
      upstreams: [
        {
          name: 'ex',
          stdio: { command: process.execPath, args: [cli, 'serve', '--stdio', '--example', 'everything'] },
        },
      ],
      separator: '.',
    });
    const child = spawn(process.execPath, [cli, 'gateway', '--config', config, '--tcp', '0', '--metrics-port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
        const m = /listening on tcp:\/\/[^:]+:(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`nmcp gateway exited (${code}): ${stderr}`)));
    });
    expect(stderr).toMatch(/upstream ex connected \(\d+ tools/);
    const client = new McpClient({ name: 't', version: '0' }, { negotiation: 'legacy' });
    await client.connect(new TcpClientTransport({ port }));
    expect((await client.listTools()).map((t) => t.name)).toContain('ex.echo');
    expect(text(await client.callTool({ name: 'ex.echo', arguments: { text: 'via cli' } }))).toBe('via cli');
    // --metrics-port: the upstream's state, and the gateway's own sessions.
    const ops = /operations on (http:\S+)\/metrics/.exec(stderr)?.[1] as string;
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toContain('nmcp_gateway_upstream_up{upstream="ex"} 1');
    expect(metrics).toContain('nmcp_gateway_upstream_breaker_open{upstream="ex"} 0');
    expect(metrics).toMatch(/nmcp_sessions\{transport="tcp"\} 1/);
    await client.close();
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('serves one client over --stdio (nmcp call through the gateway)', async () => {
    const config = configFile('stdio.json', {
      upstreams: [
        {
          name: 'ex',
          stdio: { command: process.execPath, args: [cli, 'serve', '--stdio', '--example', 'everything'] },
        },
      ],
    });
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = `${quote(process.execPath)} ${quote(cli)} gateway --config ${quote(config)} --stdio`;
    const child = spawn(
      process.execPath,
      [cli, 'call', '--stdio', command, '--negotiation', 'legacy', 'tools/call', 'ex__echo', 'text=over stdio'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ content: [{ type: 'text', text: 'over stdio' }] });
  });

  it.each([
    ['not json', '{', /is not valid JSON/],
    ['no upstreams', {}, /"upstreams" is missing/],
    ['unknown key', { upstreams: [], colour: 1 }, /unknown key "colour"/],
    ['bad name', { upstreams: [{ name: 'A B', tcp: { port: 1 } }] }, /upstreams\[0\]\.name must be/],
    ['two transports', { upstreams: [{ name: 'a', tcp: { port: 1 }, unix: { path: '/x' } }] }, /exactly one of/],
    [
      'duplicate',
      {
        upstreams: [
          { name: 'a', tcp: { port: 1 } },
          { name: 'a', tcp: { port: 2 } },
        ],
      },
      /unique/,
    ],
    [
      'bad breaker',
      { upstreams: [{ name: 'a', tcp: { port: 1 } }], breaker: { failureThreshold: 0 } },
      /breaker\.failureThreshold/,
    ],
  ])('a bad config (%s) exits 2 naming the key', async (_case, value, message) => {
    const { code, stderr } = await run(['gateway', '--config', configFile(`bad-${_case}.json`, value), '--stdio']);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('needs exactly one of --stdio, --tcp, --http', async () => {
    const config = configFile('one.json', { upstreams: [{ name: 'a', tcp: { port: 1 } }] });
    const { code, stderr } = await run(['gateway', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/exactly one of --stdio, --tcp PORT, --http PORT/);
  });
});
