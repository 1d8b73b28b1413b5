/**
 * `nmcp serve --config / --print-config / NMCP_*` end to end through the built CLI (dist/cli/main.js): the printed
 * config and its sources, config errors (exit 2 naming the key and the fix), and the live reload of a running TCP
 * server (file change and SIGHUP) with a client connected across it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McpClient } from '../../src/client/mcp-client.js';
import { TcpClientTransport } from '../../src/transport/tcp/client-transport.js';
import { CLI, runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nmcp-serve-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a config file atomically (a new file renamed over the old one, as editors do). */
function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, typeof content === 'string' ? content : JSON.stringify(content));
  renameSync(tmp, path);
  return path;
}

interface Printed {
  config: Record<string, Record<string, unknown>>;
  sources: Record<string, string>;
  file: string | null;
  environment: string | null;
}

/** The environment without NMCP_* config variables from the caller's shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('NMCP_') || k === 'NMCP_NATIVE' || k === 'NMCP_REQUIRE_NATIVE') env[k] = v;
  }
  return { ...env, ...extra };
}

describe('nmcp serve --print-config', () => {
  it('prints the effective config and where each value came from: default < file < env < flag', async () => {
    const file = writeConfig('print.json', { tcp: { maxConnections: 500, backlog: 64, framing: 'length-prefixed' } });
    const r = await runCli(['serve', '--print-config', '--tcp', '0', '--framing', 'ndjson', '--config', file], {
      env: cleanEnv({ NMCP_TCP_BACKLOG: '128', NMCP_LOGGING_LEVEL: 'debug' }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as Printed;
    expect(printed.config.tcp).toMatchObject({ maxConnections: 500, backlog: 128, framing: 'ndjson' });
    expect(printed.sources['tcp.maxConnections']).toBe(`file:${file}`);
    expect(printed.sources['tcp.backlog']).toBe('env:NMCP_TCP_BACKLOG');
    expect(printed.sources['tcp.framing']).toBe('flag:--framing');
    expect(printed.config.logging).toEqual({ level: 'debug' });
    expect(printed.sources['logging.level']).toBe('env:NMCP_LOGGING_LEVEL');
    expect(printed.sources['metrics.metricsIntervalMs']).toBe('default');
    expect(printed.file).toBe(file);
  });

  it('without a transport; --http flags land in the http section', async () => {
    const bare = await runCli(['serve', '--print-config'], { env: cleanEnv() });
    expect(bare.code).toBe(0);
    expect((JSON.parse(bare.stdout) as Printed).config.metrics).toEqual({
      enableMetrics: true,
      metricsIntervalMs: 5000,
      port: 0,
    });
    const http = await runCli(['serve', '--print-config', '--http', '8080', '--host', '0.0.0.0', '--http2'], {
      env: cleanEnv(),
    });
    const printed = JSON.parse(http.stdout) as Printed;
    expect(printed.config.http).toMatchObject({ port: 8080, host: '0.0.0.0', http2: true });
    expect(printed.sources['http.port']).toBe('flag:--http');
    expect(printed.sources['http.host']).toBe('flag:--host');
  });

  it('NMCP_ENV=production reads config/production.json and logs at warn', async () => {
    const r = await runCli(['serve', '--print-config'], { env: cleanEnv({ NMCP_ENV: 'production' }) });
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as Printed;
    expect(printed.environment).toBe('production');
    expect(printed.file).toMatch(/config\/production\.json$/);
    expect(printed.config.logging).toEqual({ level: 'warn' });
    expect(printed.sources['registry.maxCacheEntries']).toBe('file:config/production.json');
  });

  it('a config error exits 2 with the key, the value, what is allowed, the source and the fix', async () => {
    const bad = writeConfig('bad.json', { metrics: { metricsIntervalMs: 5 } });
    for (const args of [
      ['serve', '--print-config', '--config', bad],
      ['serve', '--tcp', '0', '--example', 'everything', '--config', bad],
    ]) {
      const r = await runCli(args, { env: cleanEnv() });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `nmcp serve: metrics.metricsIntervalMs must be an integer from 100 to 3600000 (milliseconds), got 5 (from the file "${bad}")`,
      );
      expect(r.stderr).toContain(`Fix metrics.metricsIntervalMs in ${bad}, or remove it`);
    }
    const env = await runCli(['serve', '--print-config', '--stdio'], {
      env: cleanEnv({ NMCP_STDIO_BATCH_MESSAGES: 'sometimes' }),
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/NMCP_STDIO_BATCH_MESSAGES must be true or false .*stdio\.batchMessages.*"sometimes"/);
    expect(env.stderr).toMatch(/Set NMCP_STDIO_BATCH_MESSAGES to true or false/);
  });
});

/** Starts `nmcp serve --tcp 0 --config FILE` and waits for its address. */
async function startServer(file: string): Promise<{
  child: ChildProcessWithoutNullStreams;
  port: number;
  stderr: () => string;
  waitFor: (pattern: RegExp, count?: number) => Promise<void>;
}> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--tcp', '0', '--processes', '1', '--example', 'everything', '--config', file],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: cleanEnv(),
    },
  );
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const w of waiters) w();
  });
  const waitFor = (pattern: RegExp, count = 1) =>
    new Promise<void>((resolve, reject) => {
      const global = new RegExp(pattern.source, 'g');
      const timer = setTimeout(() => reject(new Error(`no ${pattern} ×${count} on stderr: ${stderr}`)), 10_000);
      const check = () => {
        if ((stderr.match(global) ?? []).length >= count) {
          clearTimeout(timer);
          resolve();
        }
      };
      waiters.push(check);
      check();
    });
  await waitFor(/nmcp serve: listening on tcp:\/\/127\.0\.0\.1:\d+/);
  const port = Number(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);
  return { child, port, stderr: () => stderr, waitFor };
}

/** The pino lines on stderr (JSON objects), parsed. */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function connectClient(port: number): Promise<McpClient> {
  const client = new McpClient({ name: 'serve-config-test', version: '0' }, { negotiation: 'legacy' });
  await client.connect(new TcpClientTransport({ port }));
  return client;
}

async function echo(client: McpClient, text: string): Promise<string> {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  return (result.content as { text?: string }[]).map((c) => c.text ?? '').join('');
}

describe('nmcp serve live reload', () => {
  it('a file change and SIGHUP reload the config; a client connected before keeps working', async () => {
    const file = writeConfig('live.json', { tcp: { maxConnections: 100 } });
    const server = await startServer(file);
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
    const client = await connectClient(server.port);
    try {
      expect(await echo(client, 'before')).toBe('before');

      // 1. A valid change: applied live (maxConnections 1: the next connection is refused), logged as applied.
      writeConfig('live.json', { tcp: { maxConnections: 1 }, logging: { level: 'debug' } });
      await server.waitFor(/"msg":"config reloaded"/);
      const reloaded = logLines(server.stderr()).find((l) => l.msg === 'config reloaded');
      expect(reloaded).toMatchObject({
        level: 'info',
        trigger: 'file change',
        applied: ['logging.level', 'tcp.maxConnections'],
        restartNeeded: [],
      });
      expect(await echo(client, 'after')).toBe('after');
      await expect(connectClient(server.port)).rejects.toThrow();

      // 2. An invalid file: logged naming the key, the old config stays, the server keeps serving.
      writeConfig('live.json', { tcp: { maxConnections: 0 } });
      await server.waitFor(/"msg":"config reload failed/);
      const failed = logLines(server.stderr()).find((l) => String(l.msg).startsWith('config reload failed'));
      expect(failed).toMatchObject({ level: 'error', key: 'tcp.maxConnections', source: `file:${file}` });
      expect(String(failed?.msg)).toContain('tcp.maxConnections must be an integer from 1 to 10000000');
      expect(await echo(client, 'still')).toBe('still');

      // 3. A fixed key: needs a restart (not applied), the rest applied; then SIGHUP reloads the same file again.
      writeConfig('live.json', { tcp: { maxConnections: 50, framing: 'ndjson' }, logging: { level: 'debug' } });
      await server.waitFor(/"msg":"config changes need a restart: tcp\.framing"/);
      server.child.kill('SIGHUP');
      await server.waitFor(/"trigger":"SIGHUP"/);
      const hup = logLines(server.stderr()).find((l) => l.trigger === 'SIGHUP');
      expect(hup).toMatchObject({ msg: 'config reloaded', applied: [], restartNeeded: ['tcp.framing'] });
      const second = await connectClient(server.port);
      expect(await echo(second, 'new')).toBe('new');
      await second.close();
      expect(await echo(client, 'end')).toBe('end');
    } finally {
      await client.close().catch(() => {});
      server.child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(server.stderr()).toContain('nmcp serve: closing');
  });
});
