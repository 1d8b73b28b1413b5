/** `nmcp host --config FILE`, end to end through the built CLI (dist/cli/main.js). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHostConfig } from '../../src/cli/host-config.js';
import { httpClient, tcpClient, text } from './helpers.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nmcp-host-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

describe('nmcp host --config', () => {
  it('serves two examples at /mcp/a and /mcp/b, and a TCP port for a; SIGTERM closes and exits 0', async () => {
    const path = configFile('host.json', {
      servers: { a: { example: 'everything' }, b: { example: 'many-tools' } },
      http: { port: 0 },
      tcp: [{ port: 0, server: 'a', framing: 'ndjson' }],
    });
    const child = spawn(process.execPath, [cli, 'host', '--config', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
        if (stderr.includes('nmcp host: ready')) resolve();
      });
      child.on('exit', () => reject(new Error(`nmcp host exited: ${stderr}`)));
    });
    try {
      const urlA = /a at (http:\S+)/.exec(stderr)?.[1] as string;
      const urlB = /b at (http:\S+)/.exec(stderr)?.[1] as string;
      const tcpPort = Number(/a at tcp:\/\/127\.0\.0\.1:(\d+) \(ndjson\)/.exec(stderr)?.[1]);
      expect(urlA).toMatch(/\/mcp\/a$/);
      expect(urlB).toMatch(/\/mcp\/b$/);
      const a = await httpClient(urlA, 'auto');
      const b = await httpClient(urlB, 'legacy');
      const t = await tcpClient({ port: tcpPort, framing: 'ndjson' });
      try {
        expect(text(await a.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
        expect((await b.listTools()).length).toBe(1000);
        expect(text(await t.callTool({ name: 'echo', arguments: { text: 'tcp' } }))).toBe('tcp');
      } finally {
        await Promise.all([a.close(), b.close(), t.close()]);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('a bad file exits 2, naming the key and the fix', async () => {
    const path = configFile('bad.json', { servers: { a: { example: 'everything' } }, tcp: [{ port: 0, server: 'z' }] });
    const child = spawn(process.execPath, [cli, 'host', '--config', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('tcp[0].server "z" names no server in "servers"');
    expect(stderr).toContain('Set it to one of: a.');
  });

  it('checks the shape: each problem names its key', () => {
    const problem = (value: unknown) => {
      const r = checkHostConfig(value);
      return 'problem' in r ? r.problem : 'ok';
    };
    expect(problem([])).toMatch(/JSON object/);
    expect(problem({ servers: {}, http: {} })).toMatch(/"servers" must be an object with at least one server/);
    expect(problem({ servers: { A: { example: 'everything' } }, http: {} })).toMatch(/server name "A"/);
    expect(problem({ servers: { a: { example: 'nope' } }, http: {} })).toMatch(/servers\.a\.example "nope"/);
    expect(problem({ servers: { a: { example: 'everything', x: 1 } }, http: {} })).toMatch(/servers\.a\.x/);
    expect(problem({ servers: { a: { example: 'everything' } } })).toMatch(/nothing to serve/);
    expect(problem({ servers: { a: { example: 'everything' } }, tcp: [{ server: 'a' }] })).toMatch(/tcp\[0\] has no/);
    expect(problem({ servers: { a: { example: 'everything' } }, htp: {} })).toMatch(/unknown key "htp"/);
    expect(problem({ servers: { a: { example: 'everything' } }, http: { port: 0 } })).toBe('ok');
  });
});
