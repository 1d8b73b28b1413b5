/** Runs the built `nmcp` CLI (dist/cli/main.js) as a child process, as the CLI tests of every subcommand do. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Written to stdin, then stdin ends (default: stdin ends at once, unless stopWhen). */
  input?: string;
  /** stdin ends when this says so about the stderr so far (a stdio server ends when its stdin closes). */
  stopWhen?: (stderr: string) => boolean;
  env?: NodeJS.ProcessEnv;
  /** The run is killed and the promise rejects after this long (default 60,000 ms). */
  timeoutMs?: number;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const { input, stopWhen, env = process.env, timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (stopWhen?.(stderr)) child.stdin.end();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nmcp ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    else if (!stopWhen) child.stdin.end();
  });
}
