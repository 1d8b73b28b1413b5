/**
 * Shared by the interop tests: how to start nmcp's everything server from the built CLI, and a raw NDJSON peer that
 * writes exact bytes to the server's stdin and collects what comes back.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** `node dist/cli/main.js serve --stdio --example everything [extra…]` as command + args. */
export function serverCommand(...extra: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [CLI, 'serve', '--stdio', '--example', 'everything', ...extra] };
}

export type Json = { [key: string]: unknown };

/** A JSON-RPC peer that speaks raw NDJSON to a spawned server. */
export class RawPeer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every message received, in order. */
  readonly received: Json[] = [];
  /** Lines that were not JSON (there must be none: stdout carries protocol messages only). */
  readonly garbage: string[] = [];
  stderr = '';
  #buffer = '';
  #waiters: { test: (m: Json) => boolean; resolve: (m: Json) => void }[] = [];

  constructor(extraArgs: string[] = []) {
    const { command, args } = serverCommand(...extraArgs);
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => {
      this.stderr += s;
    });
    this.child.stdout.on('data', (s: string) => this.#onData(s));
    this.child.stdin.on('error', () => {});
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf('\n');
    while (nl !== -1) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.length > 0) {
        let msg: Json | undefined;
        try {
          msg = JSON.parse(line) as Json;
        } catch {
          this.garbage.push(line);
        }
        if (msg) {
          this.received.push(msg);
          this.#waiters = this.#waiters.filter((w) => {
            if (!w.test(msg)) return true;
            w.resolve(msg);
            return false;
          });
        }
      }
      nl = this.#buffer.indexOf('\n');
    }
  }

  /** Writes raw text (add the newline yourself). */
  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  /** Writes one message as a line. */
  send(message: unknown): void {
    this.write(`${JSON.stringify(message)}\n`);
  }

  /** Resolves with the first message (already received or to come) that passes `test`. */
  waitFor(test: (m: Json) => boolean, timeoutMs = 5000): Promise<Json> {
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(`no matching message within ${timeoutMs} ms; received: ${JSON.stringify(this.received.slice(-5))}`),
        );
      }, timeoutMs);
      const done = (m: Json) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.#waiters.push({ test, resolve: done });
    });
  }

  /** The response to `id`. */
  response(id: unknown, timeoutMs?: number): Promise<Json> {
    return this.waitFor((m) => m.id === id && (m.result !== undefined || m.error !== undefined), timeoutMs);
  }

  /** Sends a request and resolves with its response. */
  async request(id: string | number, method: string, params?: Json): Promise<Json> {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.response(id);
  }

  /** The legacy handshake. */
  async initialize(protocolVersion = '2025-06-18'): Promise<Json> {
    const r = await this.request('init', 'initialize', {
      protocolVersion,
      capabilities: {},
      clientInfo: { name: 'raw-peer', version: '1.0.0' },
    });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return r;
  }

  /** Ends stdin and waits for the process to exit; resolves with its exit code. */
  async close(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    return this.child.exitCode;
  }
}

/**
 * Progress as an official SDK client sees it. Both SDKs (1.x and 2.x) dispatch notifications in a microtask but
 * responses synchronously, so a progress notification that arrives in the same read chunk as its response reaches no
 * handler: the client drops the last progress of a handler that reports and returns in one turn — and, when the client
 * process is slow to read (a loaded machine: seen in a CI-sized run), every progress that piled up in the pipe with the
 * response. So what arrives is a prefix, in order, and at least the first step (the steps are delayMs apart); that all
 * of them are sent before the response is checked on the raw wire (malformed-input.test.ts, "wire order").
 */
export function expectProgress(seen: number[], sent: number[]): void {
  expect(seen.length).toBeGreaterThanOrEqual(1);
  expect(seen).toEqual(sent.slice(0, seen.length));
}
