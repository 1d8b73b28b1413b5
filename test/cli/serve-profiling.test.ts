/**
 * `nmcp serve --cpu-prof / --heap-prof / --profile-dir` and the SIGUSR2 trigger, end to end through the built CLI
 * (dist/cli/main.js).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLI } from '../helpers/run-cli.js';

// Real processes on a shared 2-core machine: generous timeouts, no speed asserts.
vi.setConfig({ testTimeout: 120_000 });

const root = mkdtempSync(join(tmpdir(), 'nmcp-serve-profiling-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${++n}`);

interface Served {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr matches (rejects when the process exits first). */
  waitFor: (pattern: RegExp) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function serve(args: string[], env: NodeJS.ProcessEnv = {}): Served {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NMCP_PROFILE_DIR: '', NMCP_PROFILE_CPU_MS: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    for (const w of waiters.slice()) w();
  });
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  void exited.then(() => clearTimeout(timer));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(stderr);
        if (!m) return;
        waiters.splice(waiters.indexOf(check), 1);
        resolve(m);
      };
      waiters.push(check);
      check();
      void exited.then(() => reject(new Error(`nmcp serve exited before ${pattern}; stderr: ${stderr}`)));
    });
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, exited };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

function readCpuProfile(path: string): CpuProfile {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  expect(profile.nodes.length).toBeGreaterThan(1);
  expect(Array.isArray(profile.samples)).toBe(true);
  expect(profile.timeDeltas.length).toBe(profile.samples.length);
  return profile;
}

/**
 * One NDJSON round trip (a ping) with the server: once it answers, serve is past its start-up and waits for SIGTERM.
 * (Its "listening on" line is printed just before it installs its SIGINT/SIGTERM listeners: a SIGTERM sent the instant
 * that line arrives can still find the default action, which kills the process.)
 */
function roundTrip(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })}\n`);
    });
    socket.once('data', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

const filesEnding = (dir: string, extension: string) => readdirSync(dir).filter((f) => f.endsWith(extension));

describe.concurrent('nmcp serve profiling', () => {
  it('--tcp 0 --cpu-prof --heap-prof --profile-dir DIR: SIGTERM writes a .cpuprofile and a .heapprofile, paths on stderr', async () => {
    const dir = freshDir();
    const s = serve([
      ...['--tcp', '0', '--framing', 'ndjson', '--example', 'everything'],
      ...['--cpu-prof', '--heap-prof', '--profile-dir', dir],
    ]);
    const port = Number((await s.waitFor(/nmcp serve: listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
    await roundTrip(port);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const cpu = /nmcp serve: CPU profile written to (\S+\.cpuprofile)\n/.exec(s.stderr())?.[1];
    const heap = /nmcp serve: heap profile written to (\S+\.heapprofile)\n/.exec(s.stderr())?.[1];
    expect(cpu, s.stderr()).toBeDefined();
    expect(dirname(cpu as string)).toBe(dir);
    readCpuProfile(cpu as string);
    const heapProfile = JSON.parse(readFileSync(heap as string, 'utf8')) as { head: unknown; samples: unknown[] };
    expect(heapProfile.head).toBeTypeOf('object');
    expect(filesEnding(dir, '.cpuprofile')).toHaveLength(1);
    expect(filesEnding(dir, '.heapprofile')).toHaveLength(1);
    // serve's own lines are unchanged: listening, closing, then the profile paths
    const lines = s.stderr().split('\n');
    expect(lines[0]).toMatch(/^nmcp serve: listening on tcp:/);
    expect(lines.indexOf('nmcp serve: closing')).toBeLessThan(lines.findIndex((l) => l.includes('profile written')));
  });

  it('a running serve --tcp 0 gets SIGUSR2: a .heapsnapshot, then a .cpuprofile of the next NMCP_PROFILE_CPU_MS; it keeps serving', async () => {
    const dir = freshDir();
    const s = serve(['--tcp', '0', '--example', 'everything'], { NMCP_PROFILE_DIR: dir, NMCP_PROFILE_CPU_MS: '500' });
    await s.waitFor(/nmcp serve: listening on/);
    s.child.kill('SIGUSR2');
    await s.waitFor(/nmcp serve: SIGUSR2: writing a heap snapshot, then a CPU profile of the next 500 ms\n/);
    const snapshot = (await s.waitFor(/nmcp serve: heap snapshot written to (\S+\.heapsnapshot)\n/))[1] as string;
    expect(dirname(snapshot)).toBe(dir);
    expect(readFileSync(snapshot, 'utf8').slice(0, 30)).toMatch(/^\{"snapshot":\{"meta":/);
    const cpu = (await s.waitFor(/nmcp serve: CPU profile written to (\S+\.cpuprofile)\n/))[1] as string;
    readCpuProfile(cpu);
    expect(filesEnding(dir, '.heapsnapshot')).toHaveLength(1);
    expect(filesEnding(dir, '.cpuprofile')).toHaveLength(1);
    // still serving; a second round works too
    expect(s.child.exitCode).toBeNull();
    s.child.kill('SIGUSR2');
    await s.waitFor(/CPU profile written to \S+\n[\s\S]*CPU profile written to \S+\n/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(filesEnding(dir, '.cpuprofile')).toHaveLength(2);
  });

  it('--stdio --cpu-prof: stdout carries only protocol messages (also through SIGUSR2); the profile is written when stdin ends', async () => {
    const dir = freshDir();
    const s = serve(['--stdio', '--example', 'everything', '--cpu-prof', '--profile-dir', dir]);
    const send = (m: unknown) => s.child.stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await vi.waitFor(() => expect(s.stdout()).toContain('"id":1'), { timeout: 60_000 });
    s.child.kill('SIGUSR2');
    await s.waitFor(/nmcp serve: heap snapshot written to \S+\.heapsnapshot\n/);
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } });
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
    const lines = s.stdout().trimEnd().split('\n');
    const messages = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id: number; result: unknown });
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(messages.map((m) => m.id)).toEqual([1, 2]);
    expect(messages[1]?.result).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(s.stdout()).not.toMatch(/profile|snapshot/);
    expect(s.stderr()).toContain(
      'nmcp serve: SIGUSR2: writing a heap snapshot (the whole-run CPU profile is written at exit)',
    );
    const cpu = /nmcp serve: CPU profile written to (\S+\.cpuprofile)\n/.exec(s.stderr())?.[1];
    expect(cpu, s.stderr()).toBeDefined();
    readCpuProfile(cpu as string);
  });

  it('a malformed NMCP_PROFILE_CPU_MS exits 2 naming it', async () => {
    const s = serve(['--tcp', '0', '--example', 'everything'], { NMCP_PROFILE_CPU_MS: 'ten' });
    s.child.stdin.end();
    expect(await s.exited).toBe(2);
    expect(s.stderr()).toMatch(/NMCP_PROFILE_CPU_MS must be a whole number of milliseconds ≥ 1, got "ten"/);
    expect(s.stdout()).toBe('');
  });

  it('--help lists the flags and SIGUSR2', async () => {
    const s = serve(['--help']);
    expect(await s.exited).toBe(0);
    for (const text of [
      '--cpu-prof',
      '--heap-prof',
      '--profile-dir DIR',
      'SIGUSR2',
      'NMCP_PROFILE_DIR',
      'NMCP_PROFILE_CPU_MS',
    ]) {
      expect(s.stdout()).toContain(text);
    }
  });
});
