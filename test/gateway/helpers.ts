/** Shared by the gateway tests: upstream servers from the built CLI (dist/cli/main.js), run as real processes. */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface TcpUpstreamProcess {
  child: ChildProcessByStdio<null, null, Readable>;
  port: number;
}

/** `nmcp serve --tcp PORT --example everything` (0 = a free port); resolves once it prints its address. */
export function serveTcp(port = 0): Promise<TcpUpstreamProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', '--tcp', String(port), '--example', 'everything'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      const m = /listening on tcp:\/\/[^:]+:(\d+)/.exec(stderr);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`nmcp serve --tcp exited (${code}): ${stderr}`)));
  });
}

export async function stop(child: {
  kill(signal?: NodeJS.Signals): boolean;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
}) {
  // A child killed by a signal has a signalCode and no exitCode: either means it is gone (and 'exit' has fired).
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => (child as unknown as NodeJS.EventEmitter).once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

export async function until(predicate: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function text(result: { content: unknown[] }): string {
  return (result.content as { text?: string }[]).map((c) => c.text ?? '').join('');
}
