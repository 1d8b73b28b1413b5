/** src/ops/profiling.ts: CPU profiles, heap snapshots and sampling heap profiles, and the SIGUSR2 trigger. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, NmcpError } from '../../src/errors.js';
import {
  installProcessProfiling,
  installProfilingSignal,
  profileCpuFor,
  profileCpuMsFromEnv,
  profileDir,
  startCpuProfile,
  startHeapProfile,
  writeHeapSnapshot,
} from '../../src/ops/profiling.js';

const root = mkdtempSync(join(tmpdir(), 'nmcp-profiling-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${++n}`);

/** Some work for the profiler to see. */
function burn(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function readCpuProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('CPU profiles', () => {
  it('profileCpuFor writes a .cpuprofile (DevTools format: nodes, samples, timeDeltas) named like Node names its own', async () => {
    const dir = freshDir();
    const pending = profileCpuFor(300, { dir });
    setTimeout(() => burn(150), 20);
    const path = await pending;
    expect(path.startsWith(dir)).toBe(true);
    expect(basename(path)).toMatch(new RegExp(`^CPU\\.\\d{8}\\.\\d{6}\\.${process.pid}\\.0\\.\\d{3}\\.cpuprofile$`));
    const profile = readCpuProfile(path);
    expect(profile.nodes.length).toBeGreaterThan(1);
    expect(profile.nodes[0]?.callFrame.functionName).toBe('(root)');
    expect(profile.samples.length).toBeGreaterThan(10);
    expect(profile.timeDeltas.length).toBe(profile.samples.length);
    expect(profile.endTime).toBeGreaterThan(profile.startTime);
    expect(profile.nodes.some((node) => node.callFrame.functionName === 'burn')).toBe(true);
  });

  it('refuses a second profile while one runs (NMCP_ERR_INVALID_STATE), and allows one after stop', async () => {
    const dir = freshDir();
    const first = await startCpuProfile({ dir });
    const second = startCpuProfile({ dir });
    await expect(second).rejects.toBeInstanceOf(NmcpError);
    await expect(second).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE, message: /already running/ });
    const path = await first.stop();
    expect(await first.stop()).toBe(path);
    const third = await startCpuProfile({ dir });
    expect(readCpuProfile(await third.stop()).samples).toBeInstanceOf(Array);
    expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(2);
  });

  it('rejects bad options', async () => {
    await expect(profileCpuFor(-1)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION });
    await expect(startCpuProfile({ samplingIntervalUs: 0 })).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
    });
  });
});

describe('heap', () => {
  it('writeHeapSnapshot writes a .heapsnapshot into the directory, creating it', () => {
    const dir = join(freshDir(), 'nested');
    const path = writeHeapSnapshot({ dir });
    expect(path.startsWith(dir)).toBe(true);
    expect(basename(path)).toMatch(/^Heap\.\d{8}\.\d{6}\.\d+\.0\.\d{3}\.heapsnapshot$/);
    expect(statSync(path).size).toBeGreaterThan(100_000);
    const head = readFileSync(path, 'utf8').slice(0, 200);
    expect(head).toMatch(/^\{"snapshot":\{"meta":/);
  });

  it('startHeapProfile writes a .heapprofile (a sampling profile with head and samples), one at a time', async () => {
    const dir = freshDir();
    const handle = await startHeapProfile({ dir, samplingIntervalBytes: 1024 });
    await expect(startHeapProfile({ dir })).rejects.toMatchObject({ code: ErrorCode.INVALID_STATE });
    const keep: string[] = [];
    for (let i = 0; i < 20_000; i += 1) keep.push(`item ${i}`.repeat(4));
    const path = await handle.stop();
    expect(keep.length).toBe(20_000);
    expect(path).toMatch(/\.heapprofile$/);
    const profile = JSON.parse(readFileSync(path, 'utf8')) as { head: { children: unknown[] }; samples: unknown[] };
    expect(profile.head.children.length).toBeGreaterThan(0);
    expect(profile.samples.length).toBeGreaterThan(0);
  });
});

describe('profileDir', () => {
  it('is the option, else NMCP_PROFILE_DIR (not empty), else the working directory', () => {
    const saved = process.env.NMCP_PROFILE_DIR;
    try {
      process.env.NMCP_PROFILE_DIR = root;
      expect(profileDir()).toBe(root);
      expect(profileDir('/x/y')).toBe('/x/y');
      process.env.NMCP_PROFILE_DIR = '';
      expect(profileDir()).toBe(process.cwd());
      delete process.env.NMCP_PROFILE_DIR;
      expect(profileDir()).toBe(process.cwd());
    } finally {
      if (saved === undefined) delete process.env.NMCP_PROFILE_DIR;
      else process.env.NMCP_PROFILE_DIR = saved;
    }
  });

  it('NMCP_PROFILE_CPU_MS is parsed strictly', () => {
    expect(profileCpuMsFromEnv(undefined)).toBeUndefined();
    expect(profileCpuMsFromEnv('')).toBeUndefined();
    expect(profileCpuMsFromEnv('500')).toBe(500);
    expect(profileCpuMsFromEnv('0')).toMatch(/NMCP_PROFILE_CPU_MS must be/);
    expect(profileCpuMsFromEnv('1.5s')).toMatch(/got "1.5s"/);
  });
});

describe('installProfilingSignal', () => {
  it('SIGUSR2 writes a heap snapshot and a CPU profile of the next cpuMs; a second signal meanwhile is ignored', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    const uninstall = installProfilingSignal({ cpuMs: 400, dir, log: (line) => lines.push(line) });
    try {
      process.kill(process.pid, 'SIGUSR2');
      await until(() => lines.some((l) => l.startsWith('heap snapshot written to ')));
      process.kill(process.pid, 'SIGUSR2');
      await until(() => lines.some((l) => l.startsWith('CPU profile written to ')));
    } finally {
      await uninstall();
    }
    expect(lines[0]).toBe('SIGUSR2: writing a heap snapshot, then a CPU profile of the next 400 ms');
    expect(lines).toContain('SIGUSR2 ignored: a profile is already being taken');
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.heapsnapshot'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
    const cpu = lines.find((l) => l.startsWith('CPU profile written to '))?.slice('CPU profile written to '.length);
    expect(readCpuProfile(cpu as string).samples.length).toBeGreaterThan(0);
  });

  it('uninstall removes the listener; called during a profile, it ends the profile early and writes it', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    const before = process.listenerCount('SIGUSR2');
    const uninstall = installProfilingSignal({ cpuMs: 60_000, dir, log: (line) => lines.push(line) });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.kill(process.pid, 'SIGUSR2');
    await until(() => lines.some((l) => l.startsWith('heap snapshot written to ')));
    const started = Date.now();
    await uninstall();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    expect(lines.some((l) => l.startsWith('CPU profile written to '))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
    await uninstall();
  });

  it('a signal the platform cannot listen for is logged, not thrown', async () => {
    const lines: string[] = [];
    const uninstall = installProfilingSignal({ signal: 'SIGKILL', log: (line) => lines.push(line) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SIGKILL cannot trigger profiling here: /);
    expect(process.listenerCount('SIGKILL')).toBe(0);
    await uninstall();
  });

  it('failures are logged, not thrown (the CPU profile is refused while another runs)', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    const busy = await startCpuProfile({ dir });
    const uninstall = installProfilingSignal({ cpuMs: 100, dir, log: (line) => lines.push(line) });
    try {
      process.kill(process.pid, 'SIGUSR2');
      await until(() => lines.some((l) => l.startsWith('CPU profile not taken: ')));
      expect(lines.some((l) => l.startsWith('heap snapshot written to '))).toBe(true);
    } finally {
      await uninstall();
      await busy.stop();
    }
  });
});

describe('installProcessProfiling (nmcp serve)', () => {
  it('--cpu-prof and --heap-prof run until stop(), which writes both and logs their paths', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    const profiling = await installProcessProfiling({ cpuProf: true, heapProf: true, dir, log: (l) => lines.push(l) });
    burn(50);
    await profiling.stop();
    await profiling.stop();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^CPU profile written to .*\.cpuprofile$/);
    expect(lines[1]).toMatch(/^heap profile written to .*\.heapprofile$/);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.heapprofile'))).toHaveLength(1);
  });

  it('with --cpu-prof running, SIGUSR2 writes the heap snapshot only; stop() removes the listener', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    const before = process.listenerCount('SIGUSR2');
    const profiling = await installProcessProfiling({ cpuProf: true, dir, log: (l) => lines.push(l) });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.kill(process.pid, 'SIGUSR2');
    await until(() => lines.some((l) => l.startsWith('heap snapshot written to ')));
    await profiling.stop();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    expect(lines[0]).toBe('SIGUSR2: writing a heap snapshot (the whole-run CPU profile is written at exit)');
    expect(lines.filter((l) => l.includes('not taken'))).toEqual([]);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.heapsnapshot'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
  });

  it('a malformed NMCP_PROFILE_CPU_MS is refused before anything starts', async () => {
    const saved = process.env.NMCP_PROFILE_CPU_MS;
    process.env.NMCP_PROFILE_CPU_MS = 'soon';
    try {
      await expect(installProcessProfiling({ cpuProf: true })).rejects.toMatchObject({
        code: ErrorCode.INVALID_OPTION,
        message: /NMCP_PROFILE_CPU_MS/,
      });
    } finally {
      if (saved === undefined) delete process.env.NMCP_PROFILE_CPU_MS;
      else process.env.NMCP_PROFILE_CPU_MS = saved;
    }
    const handle = await startCpuProfile({ dir: freshDir() });
    await handle.stop();
  });
});
