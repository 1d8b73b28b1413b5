/**
 * The servers a benchmark loads, and how each is started and reached: nmcp (`nmcp serve`, a fresh process per case),
 * the peers in bench/peers/ (the official SDK 1.x and 2.x, a bare Node floor), or a --target (a command spoken to over
 * stdio, or a URL). A network server prints `listening on <address>` on stderr; the address is read from there.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Driver } from './driver.js';
import { HttpDriver } from './http-driver.js';
import type { BenchServer, BenchTransport, BenchWorkload } from './report.js';
import type { RequestTemplate } from './requests.js';
import { StreamDriver } from './stream-driver.js';

/** The nmcp package root (holds package.json, dist/, and in a clone bench/peers/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nmcp') return dir;
      } catch {
        // not ours: keep going up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('nmcp bench: cannot find the nmcp package root (package.json named "nmcp")');
    dir = up;
  }
}

export function cliPath(): string {
  return join(packageRoot(), 'dist', 'cli', 'main.js');
}

/** How to start one server for one transport. */
export interface ServerPlan {
  readonly server: BenchServer;
  readonly label: string;
  /** stdio: the command each connection spawns. Network: the command that listens (or none for a URL target). */
  readonly command: readonly string[] | undefined;
  /** A URL target's address (no process of ours). */
  readonly address: string | undefined;
}

export const PEER_LABELS: Record<'sdk1' | 'sdk2' | 'bare', string> = {
  sdk1: '@modelcontextprotocol/sdk 1.x',
  sdk2: '@modelcontextprotocol/server 2.x',
  bare: 'bare Node echo',
};

/** The bundled example that serves a workload: the many-tools server for tools/list, the everything server otherwise. */
export function exampleFor(workload: BenchWorkload): string {
  return workload === 'tools-list-1000' ? 'many-tools' : 'everything';
}

/**
 * nmcp's server for a transport. `variant` (an A/B run): 'a' is nmcp under --config (or its defaults), 'b' the
 * --vs-config, served as 'nmcp-b'; without one, a config path still applies (`nmcp bench --config FILE`).
 */
export function nmcpPlan(
  transport: BenchTransport,
  workload: BenchWorkload,
  setup: { config?: string | undefined; variant?: 'a' | 'b' } = {},
): ServerPlan {
  const base = [process.execPath, cliPath(), 'serve'];
  const ex = ['--example', exampleFor(workload), ...(setup.config === undefined ? [] : ['--config', setup.config])];
  // One server process, as every peer is: `nmcp serve` would run one per core (cluster.processes). Several processes
  // on one port are measured by `npm run bench:processes` (bench/processes.bench.mjs).
  const net = [...ex, '--processes', '1'];
  const command: Record<BenchTransport, string[]> = {
    stdio: [...base, '--stdio', ...ex],
    tcp: [...base, '--tcp', '0', ...net],
    'tcp-ndjson': [...base, '--tcp', '0', '--framing', 'ndjson', ...net],
    // The socket path is filled in per launch (a fresh temporary directory).
    unix: [...base, '--unix', '{socket}', ...net],
    http: [...base, '--http', '0', ...net],
    http2: [...base, '--http', '0', '--http2', ...net],
  };
  const file = setup.config ?? 'defaults';
  const label =
    setup.variant === undefined
      ? setup.config === undefined
        ? 'nmcp'
        : `nmcp (${file})`
      : `nmcp ${setup.variant.toUpperCase()} (${file})`;
  return { server: setup.variant === 'b' ? 'nmcp-b' : 'nmcp', label, command: command[transport], address: undefined };
}

/**
 * A peer's plan, or why there is none. The peers serve `echo` only (so no tools/list of 1,000 tools and no
 * subscriptions); stdio peers are bench/peers/<peer>-echo.mjs; network peers are scripts that take --http PORT or
 * --tcp PORT and print `listening on …`, listed in NETWORK_PEERS when they exist.
 */
export function peerPlan(
  peer: 'sdk1' | 'sdk2' | 'bare',
  transport: BenchTransport,
  workload: BenchWorkload,
): ServerPlan | string {
  if (!workload.startsWith('echo-') && workload !== 'churn')
    return `no peer for ${workload} (the peers serve echo only)`;
  const dir = join(packageRoot(), 'bench', 'peers');
  if (transport === 'stdio') {
    const file = join(dir, `${peer}-echo.mjs`);
    if (!existsSync(file))
      return `no peer for stdio: ${file} is missing (peers ship with a clone of nmcp, not the package)`;
    return { server: peer, label: PEER_LABELS[peer], command: [process.execPath, file], address: undefined };
  }
  const found = NETWORK_PEERS[peer]?.[transport];
  if (found === undefined) return `no peer for ${transport}`;
  const file = join(dir, found.file);
  if (!existsSync(file)) return `no peer for ${transport} (${found.file} is missing)`;
  return {
    server: peer,
    label: found.label ?? PEER_LABELS[peer],
    command: [process.execPath, file, ...found.args],
    address: undefined,
  };
}

/** Network peers: the script in bench/peers/ and its flags, per transport. */
const NETWORK_PEERS: Partial<
  Record<'sdk1' | 'sdk2' | 'bare', Partial<Record<BenchTransport, { file: string; args: string[]; label?: string }>>>
> = {
  // The SDKs have no TCP transport and serve HTTP/1.1 only (node:http): no peer for tcp, unix or http2.
  sdk1: { http: { file: 'sdk1-http-echo.mjs', args: ['--http', '0'] } },
  sdk2: { http: { file: 'sdk2-http-echo.mjs', args: ['--http', '0'] } },
  bare: {
    http: { file: 'bare-http-echo.mjs', args: ['--http', '0'], label: 'bare fastify JSON echo' },
    http2: { file: 'bare-http-echo.mjs', args: ['--http', '0', '--http2'], label: 'bare fastify JSON echo (h2c)' },
    tcp: {
      file: 'bare-tcp-echo.mjs',
      args: ['--tcp', '0', '--framing', 'length-prefixed'],
      label: 'bare node:net echo',
    },
    'tcp-ndjson': {
      file: 'bare-tcp-echo.mjs',
      args: ['--tcp', '0', '--framing', 'ndjson'],
      label: 'bare node:net echo',
    },
    unix: {
      file: 'bare-tcp-echo.mjs',
      args: ['--unix', '{socket}', '--framing', 'length-prefixed'],
      label: 'bare node:net echo (Unix socket)',
    },
  },
};

export function targetPlan(target: string, transport: BenchTransport): ServerPlan {
  if (isUrlTarget(target)) return { server: 'target', label: target, command: undefined, address: target };
  if (transport !== 'stdio') throw new Error(`a command --target is spoken to over stdio, not ${transport}`);
  return { server: 'target', label: target, command: undefined, address: undefined };
}

export function isUrlTarget(target: string): boolean {
  return /^(https?|tcp|unix):/.test(target);
}

/** A started server for one case: connect() opens one session (over stdio: one process per session). */
export interface LaunchedServer {
  /** Server processes to measure (empty for a URL target; stdio: one per connection, grows as connections open). */
  readonly pids: number[];
  connect(template: RequestTemplate | undefined, inFlight: number): Promise<Driver>;
  stop(): Promise<void>;
}

interface Child {
  proc: ChildProcessByStdio<Writable, Readable, Readable>;
  exited: Promise<void>;
  stderrTail: () => string;
}

function spawnChild(
  command: readonly string[],
  env: NodeJS.ProcessEnv | undefined,
  onStderr?: (text: string) => void,
): Child {
  const [file, ...args] = command as [string, ...string[]];
  const proc = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
  let tail = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => {
    onStderr?.(s);
    // The periodic memory lines of a soak (NMCP_REPORT_MEMORY_MS) would push what explains a failure out of the tail.
    tail = (tail + s.replace(MEMORY_LINE, '')).slice(-4000);
  });
  proc.stdin.on('error', () => {});
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('close', () => resolve());
  });
  return { proc, exited, stderrTail: () => (tail ? `\n--- server stderr (tail) ---\n${tail.trimEnd()}` : '') };
}

async function stopChild(child: Child, how: 'stdin' | 'signal'): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  if (how === 'stdin') child.proc.stdin.end();
  else child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 3000);
  await child.exited;
  clearTimeout(timer);
}

/** A whole `nmcp serve: memory {…}` line (see `nmcp serve --help`, NMCP_REPORT_MEMORY_MS). */
const MEMORY_LINE = /^nmcp serve: memory \{.*\}\n/gm;

export interface LaunchOptions {
  transport: BenchTransport;
  /** Everything the server processes write on stderr, as it arrives (chunks, not lines): the soak reads the heap here. */
  onStderr?: (text: string) => void;
  /** A command --target (stdio). */
  targetCommand?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** How long a network server may take to print its address. */
  startTimeoutMs?: number;
}

export async function launch(plan: ServerPlan, options: LaunchOptions): Promise<LaunchedServer> {
  const { transport } = options;
  if (transport === 'stdio') {
    const command = plan.command ?? options.targetCommand;
    if (command === undefined) throw new Error(`${plan.label}: no command to spawn over stdio`);
    return stdioServer(command, options.env, options.onStderr);
  }
  if (plan.address !== undefined) return networkServer(transport, plan.address, undefined, undefined);
  if (plan.command === undefined) throw new Error(`${plan.label}: nothing to start for ${transport}`);
  let socketDir: string | undefined;
  let command = plan.command;
  if (command.includes('{socket}')) {
    socketDir = mkdtempSync(join(tmpdir(), 'nmcp-bench-'));
    const path = join(socketDir, 's.sock');
    command = command.map((a) => (a === '{socket}' ? path : a));
  }
  const child = spawnChild(command, options.env, options.onStderr);
  try {
    const address = await waitForAddress(child, options.startTimeoutMs ?? 15_000);
    return networkServer(transport, address, child, socketDir);
  } catch (err) {
    await stopChild(child, 'signal');
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    throw err;
  }
}

function waitForAddress(child: Child, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (s: string) => {
      text += s;
      const m = /listening on (\S+)/.exec(text);
      if (m) {
        done();
        resolve(m[1] as string);
      }
    };
    const onExit = () => {
      done();
      reject(new Error(`the server exited before listening${child.stderrTail()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the server printed no "listening on …" within ${timeoutMs} ms${child.stderrTail()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.proc.stderr.off('data', onData);
      child.proc.off('exit', onExit);
    };
    child.proc.stderr.on('data', onData);
    child.proc.once('exit', onExit);
  });
}

function stdioServer(
  command: readonly string[],
  env: NodeJS.ProcessEnv | undefined,
  onStderr: ((text: string) => void) | undefined,
): LaunchedServer {
  const children: Child[] = [];
  const pids: number[] = [];
  return {
    pids,
    async connect(template) {
      const child = spawnChild(command, env, onStderr);
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.proc.once('spawn', () => resolve());
        child.proc.once('error', (err) => reject(new Error(`cannot start ${command.join(' ')}: ${err.message}`)));
      });
      if (child.proc.pid !== undefined) pids.push(child.proc.pid);
      return new StreamDriver({
        readable: child.proc.stdout,
        writable: child.proc.stdin,
        framing: 'ndjson',
        template,
        end: () => stopChild(child, 'stdin'),
        describe: child.stderrTail,
      });
    },
    async stop() {
      await Promise.all(children.map((c) => stopChild(c, 'stdin')));
    },
  };
}

/** Parses `tcp://host:port`, `host:port`, `unix:/path`, `http(s)://…` (a trailing " (…)" note is not part of it). */
export function parseAddress(
  address: string,
): { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string } | { kind: 'http'; url: URL } {
  if (/^https?:\/\//.test(address)) return { kind: 'http', url: new URL(address) };
  if (address.startsWith('unix:')) return { kind: 'unix', path: address.slice(5).replace(/^\/\/(?=\/)/, '') };
  const m = /^(?:tcp:\/\/)?(?:\[([^\]]+)\]|([^:/]+)):(\d+)\/?$/.exec(address);
  if (m) return { kind: 'tcp', host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
  throw new Error(`cannot read the server address ${JSON.stringify(address)}`);
}

function networkServer(
  transport: BenchTransport,
  address: string,
  child: Child | undefined,
  socketDir: string | undefined,
): LaunchedServer {
  const where = parseAddress(address);
  const describe = () => child?.stderrTail() ?? '';
  const pids = child?.proc.pid === undefined ? [] : [child.proc.pid];
  return {
    pids,
    async connect(template, inFlight) {
      if (transport === 'http' || transport === 'http2') {
        if (where.kind !== 'http') throw new Error(`${transport} needs an http:// address, the server gave ${address}`);
        return HttpDriver.open({ url: where.url, http2: transport === 'http2', inFlight, template });
      }
      if (where.kind === 'http') throw new Error(`${transport} needs a socket address, the server gave ${address}`);
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = where.kind === 'unix' ? netConnect(where.path) : netConnect(where.port, where.host);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', (err) => reject(new Error(`cannot connect to ${address}: ${err.message}${describe()}`)));
      });
      socket.setNoDelay(true);
      return new StreamDriver({
        readable: socket,
        writable: socket,
        framing: transport === 'tcp-ndjson' ? 'ndjson' : 'length-prefixed',
        template,
        end: () =>
          new Promise<void>((resolve) => {
            if (socket.destroyed) return resolve();
            socket.once('close', () => resolve());
            socket.end();
            setTimeout(() => socket.destroy(), 1000).unref();
          }),
        describe,
      });
    },
    async stop() {
      if (child) await stopChild(child, 'signal');
      if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
