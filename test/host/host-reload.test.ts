/**
 * `nmcp host` operations, through the built CLI: the shared registry's options from the file, changed live by SIGHUP
 * (registry.updateConfig; a bad value refused naming the key, the running options kept), other changes reported as
 * needing a restart; --metrics-port serves /metrics with every hosted server's messages and the registry's counters.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { sample } from '../metrics/helpers.js';
import { httpClient, text } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nmcp-host-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nmcp host: live reload and metrics', () => {
  it('SIGHUP applies the registry section live, refuses a bad one naming the key, and calls go on', async () => {
    const path = join(dir, 'host.json');
    const base = { servers: { a: { example: 'everything' }, b: { example: 'everything' } }, http: { port: 0 } };
    writeFileSync(path, JSON.stringify({ ...base, registry: { cacheTtlMs: 5000 } }));
    const metricsPort = await freePort();
    const child = spawn(process.execPath, [cli, 'host', '--config', path, '--metrics-port', String(metricsPort)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const waitFor = (needle: string | RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (typeof needle === 'string' ? stderr.includes(needle) : needle.test(stderr));
        if (check()) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${needle} in: ${stderr}`)), 10_000);
        child.stderr.on('data', () => {
          if (check()) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    await waitFor('nmcp host: ready');
    try {
      expect(stderr).toContain(`nmcp host: operations on http://127.0.0.1:${metricsPort}/metrics`);
      const urlA = /a at (http:\S+)/.exec(stderr)?.[1] as string;
      const a = await httpClient(urlA, 'legacy');
      try {
        expect(text(await a.callTool({ name: 'echo', arguments: { text: 'before' } }))).toBe('before');

        writeFileSync(path, JSON.stringify({ ...base, registry: { cacheTtlMs: 1000, maxCacheEntries: 7 } }));
        child.kill('SIGHUP');
        await waitFor(/config reloaded: registry \{[^\n]*"cacheTtlMs":1000[^\n]*"maxCacheEntries":7/);
        expect(text(await a.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');

        writeFileSync(path, JSON.stringify({ ...base, registry: { maxCacheEntries: -1 } }));
        child.kill('SIGHUP');
        await waitFor(/config reload failed, the running config stays: registry: [^\n]*maxCacheEntries/);
        expect(text(await a.callTool({ name: 'echo', arguments: { text: 'still' } }))).toBe('still');

        writeFileSync(path, JSON.stringify({ ...base, http: { port: 0, host: '127.0.0.1' } }));
        child.kill('SIGHUP');
        await waitFor('config changes need a restart: http');

        const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        expect(
          sample(metrics, 'nmcp_messages_total', {
            transport: 'http',
            direction: 'in',
            kind: 'request',
            method: 'tools/call',
          }),
        ).toBe(3);
        expect(metrics).toContain('# TYPE nmcp_registry_lookups_total counter');
        const health = (await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json()) as {
          checks: { registry: { status: string } };
        };
        expect(health.checks.registry.status).toBe('ok');
      } finally {
        await a.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
