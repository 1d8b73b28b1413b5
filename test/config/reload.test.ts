/** ConfigReloader: a valid reload applies what changed, an invalid one keeps the old config, fixed keys need a restart. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { serveApply } from '../../src/cli/config-file.js';
import { createLogger } from '../../src/config/logger.js';
import { type ApplyConfig, ConfigReloader, watchConfigFile } from '../../src/config/reload.js';
import { type LoadConfigOptions, loadConfig, type NmcpConfig } from '../../src/config/runtime-config.js';
import { NmcpError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nmcp-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config file whose content the test rewrites, and a reloader reading it. */
async function setup(initial: unknown, apply: ApplyConfig, name = 'c.json') {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(initial));
  const options: LoadConfigOptions = { file: path, env: {} };
  const reloader = new ConfigReloader(await loadConfig(options), { load: () => loadConfig(options), apply });
  return { path, reloader, write: (value: unknown) => writeFileSync(path, JSON.stringify(value)) };
}

describe('ConfigReloader', () => {
  it('a valid reload calls apply with next, prev and the changed keys, and makes next current', async () => {
    const apply = vi.fn<ApplyConfig>(() => undefined);
    const { reloader, write, path } = await setup({ tcp: { maxConnections: 10 } }, apply);
    write({ tcp: { maxConnections: 20 }, logging: { level: 'debug' } });
    const result = await reloader.reload();
    expect(result).toMatchObject({ ok: true, applied: ['logging.level', 'tcp.maxConnections'], restartNeeded: [] });
    expect(apply).toHaveBeenCalledTimes(1);
    const [next, prev, changed] = apply.mock.calls[0] as [NmcpConfig, NmcpConfig, string[]];
    expect(prev.tcp.maxConnections).toBe(10);
    expect(next.tcp.maxConnections).toBe(20);
    expect(changed).toEqual(['logging.level', 'tcp.maxConnections']);
    expect(reloader.config.tcp.maxConnections).toBe(20);
    expect(reloader.loaded.sources['tcp.maxConnections']).toBe(`file:${path}`);
    // Nothing changed: apply is not called.
    expect(await reloader.reload()).toMatchObject({ ok: true, applied: [], restartNeeded: [] });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it('an invalid file keeps the old config and reports the error naming the key', async () => {
    const apply = vi.fn<ApplyConfig>(() => undefined);
    const { reloader, write } = await setup({ tcp: { maxConnections: 10 } }, apply, 'bad.json');
    write({ tcp: { maxConnections: -1 } });
    const result = await reloader.reload();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(NmcpError);
    expect(result.error.message).toMatch(
      /^tcp\.maxConnections must be an integer from 1 to 10000000 .*got -1 \(from the file/,
    );
    expect((result.error as NmcpError).details.key).toBe('tcp.maxConnections');
    expect(apply).not.toHaveBeenCalled();
    expect(reloader.config.tcp.maxConnections).toBe(10);
    write('{ not json');
    expect((await reloader.reload()).ok).toBe(false);
    expect(reloader.config.tcp.maxConnections).toBe(10);
  });

  it('an apply that throws fails the reload, the old config stays current', async () => {
    const { reloader, write } = await setup(
      {},
      () => {
        throw new Error('refused');
      },
      'throws.json',
    );
    write({ tcp: { maxConnections: 5 } });
    const result = await reloader.reload();
    expect(result).toMatchObject({ ok: false, error: { message: 'refused' } });
    expect(reloader.config.tcp.maxConnections).toBe(10_000);
  });

  it('keys the apply cannot change live are reported as restartNeeded and stay at their old values', async () => {
    const apply: ApplyConfig = (_next, _prev, changed) => ({
      restartNeeded: changed.filter((k) => k === 'tcp.framing'),
      unused: changed.filter((k) => k.startsWith('http.')),
    });
    const { reloader, write } = await setup({ tcp: { framing: 'length-prefixed' } }, apply, 'fixed.json');
    write({ tcp: { framing: 'ndjson', maxConnections: 7 }, http: { maxSessions: 3 } });
    const result = await reloader.reload();
    expect(result).toMatchObject({
      ok: true,
      applied: ['tcp.maxConnections'],
      restartNeeded: ['tcp.framing'],
      unused: ['http.maxSessions'],
    });
    // What is in force: the old framing, the new maxConnections.
    expect(reloader.config.tcp.framing).toBe('length-prefixed');
    expect(reloader.config.tcp.maxConnections).toBe(7);
    expect(reloader.config.http.maxSessions).toBe(3);
    // Reported again on the next reload, until a restart.
    write({ tcp: { framing: 'ndjson', maxConnections: 8 }, http: { maxSessions: 3 } });
    expect(await reloader.reload()).toMatchObject({ applied: ['tcp.maxConnections'], restartNeeded: ['tcp.framing'] });
  });

  it('reloads never overlap; requests made meanwhile are merged into one', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const apply: ApplyConfig = async () => {
      calls += 1;
      if (calls === 1) await gate;
      return undefined;
    };
    const { reloader, write } = await setup({}, apply, 'overlap.json');
    write({ tcp: { maxConnections: 1 } });
    const first = reloader.reload();
    await new Promise((r) => setTimeout(r, 20));
    write({ tcp: { maxConnections: 2 } });
    const second = reloader.reload();
    const third = reloader.reload();
    expect(second).toBe(third);
    release();
    expect(await first).toMatchObject({ applied: ['tcp.maxConnections'] });
    expect(await second).toMatchObject({ applied: ['tcp.maxConnections'] });
    expect(calls).toBe(2);
    expect(reloader.config.tcp.maxConnections).toBe(2);
  });
});

describe("nmcp serve's apply (serveApply)", () => {
  function sink() {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, logger: createLogger({ level: 'info' }, { destination }) };
  }

  it('tcp: live keys through updateOptions, fixed keys and metrics need a restart, other sections unused; the log level and memory live', async () => {
    const updates: Record<string, unknown>[] = [];
    const memory: number[] = [];
    const { logger } = sink();
    const operations = {
      update: (next: { memory: { memoryWarningBytes: number } }) => {
        memory.push(next.memory.memoryWarningBytes);
        return ['memory.memoryWarningBytes'];
      },
    };
    const apply = serveApply('tcp', { tcp: { updateOptions: (u) => updates.push(u) }, operations }, logger);
    const { reloader, write } = await setup({}, apply, 'serve-tcp.json');
    write({
      logging: { level: 'debug' },
      tcp: { maxConnections: 3, sendTimeoutMs: 1000, backlog: 16, framing: 'ndjson' },
      stdio: { batchSize: 5 },
      metrics: { metricsIntervalMs: 1000 },
      memory: { memoryWarningBytes: 2048 },
    });
    const result = await reloader.reload();
    expect(result).toMatchObject({
      ok: true,
      applied: ['logging.level', 'memory.memoryWarningBytes', 'tcp.sendTimeoutMs', 'tcp.maxConnections'],
      restartNeeded: ['metrics.metricsIntervalMs', 'tcp.framing', 'tcp.backlog'],
      unused: ['stdio.batchSize'],
    });
    expect(updates).toEqual([{ sendTimeoutMs: 1000, maxConnections: 3 }]);
    expect(memory).toEqual([2048]);
    expect(logger.level).toBe('debug');
  });

  it('stdio: live keys through the transport, framing and maxMessageSize need a restart; a refusal fails the reload', async () => {
    const updates: Record<string, unknown>[] = [];
    const { logger } = sink();
    let refuse = false;
    const stdio = {
      updateOptions: (u: Record<string, unknown>) => {
        if (refuse) throw new NmcpError('NMCP_ERR_INVALID_OPTION', 'stdio.batchSize refused');
        updates.push(u);
      },
    };
    const { reloader, write } = await setup({}, serveApply('stdio', { stdio }, logger), 'serve-stdio.json');
    write({ stdio: { batchSize: 10, readTimeoutMs: 0, maxMessageSize: 1024 }, tcp: { backlog: 5 } });
    expect(await reloader.reload()).toMatchObject({
      applied: ['stdio.readTimeoutMs', 'stdio.batchSize'],
      restartNeeded: ['stdio.maxMessageSize'],
      unused: ['tcp.backlog'],
    });
    expect(updates).toEqual([{ readTimeoutMs: 0, batchSize: 10 }]);
    refuse = true;
    write({ stdio: { batchSize: 20 } });
    const failed = await reloader.reload();
    expect(failed).toMatchObject({ ok: false, error: { message: 'stdio.batchSize refused' } });
    expect(reloader.config.stdio.batchSize).toBe(10);
  });

  it('http: every http key needs a restart (McpHttpServer has no live update)', async () => {
    const { logger } = sink();
    const { reloader, write } = await setup({}, serveApply('http', {}, logger), 'serve-http.json');
    write({ http: { maxSessions: 5 }, logging: { level: 'error' } });
    expect(await reloader.reload()).toMatchObject({ applied: ['logging.level'], restartNeeded: ['http.maxSessions'] });
    expect(logger.level).toBe('error');
  });
});

describe('watchConfigFile', () => {
  it('calls back once per burst of changes (debounced)', async () => {
    const path = join(dir, 'watched.json');
    writeFileSync(path, '{}');
    let calls = 0;
    const stop = watchConfigFile(
      path,
      () => {
        calls += 1;
      },
      50,
    );
    try {
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(path, '{"tcp":{}}');
      writeFileSync(path, '{"tcp":{"backlog":1}}');
      writeFileSync(join(dir, 'other.json'), '{}');
      await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2000 });
      await new Promise((r) => setTimeout(r, 150));
      expect(calls).toBe(1);
    } finally {
      stop();
    }
  });
});

describe('createLogger', () => {
  it('writes JSON lines with the level as a word; a stdio server may not log to stdout', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'warn' }, { destination });
    logger.info('hidden');
    logger.warn({ key: 'tcp.backlog' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      msg: 'shown',
      key: 'tcp.backlog',
      name: 'nmcp',
    });
    expect(() => createLogger({ level: 'info' }, { stdio: true, destination: process.stdout })).toThrow(/stdout/);
  });
});
