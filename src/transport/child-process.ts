import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { ErrorCode, NmcpError } from '../errors.js';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.js';
import type { FrameInterceptor, FrameTransport, InterceptorRouting, TransportSink } from './types.js';

export interface StdioClientTransportOptions extends Partial<StreamTransportOptions> {
  /** The server's executable. */
  command: string;
  args?: readonly string[];
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * The child's stderr: 'inherit' (default: it shares ours), 'pipe' (each chunk goes to onStderr; the pipe is always
   * drained, so a chatty server can never block on a full stderr pipe) or 'ignore'.
   */
  stderr?: 'inherit' | 'pipe' | 'ignore';
  onStderr?: (chunk: Buffer) => void;
  /** Grace period of each shutdown step (close stdin → SIGTERM → SIGKILL), ms (2,000). */
  shutdownGraceMs?: number;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * The client side of the stdio transport: spawns the server and speaks NDJSON over its stdin/stdout.
 * Shutdown is clean: close stdin, wait; then SIGTERM, wait; then SIGKILL.
 */
export class StdioClientTransport implements FrameTransport {
  readonly kind = 'stdio';
  readonly #options: StdioClientTransportOptions;
  #child: ChildProcessByStdio<Writable, Readable, Readable | null> | undefined;
  #inner: StreamTransport | undefined;
  #interceptor: FrameInterceptor | undefined;
  #routing: InterceptorRouting | undefined;
  #stderrTail = '';
  #exit: Promise<void> | undefined;
  #closing = false;

  constructor(options: StdioClientTransportOptions) {
    this.#options = options;
  }

  /**
   * The options this transport was created with. McpClient reads them to spawn a disposable sibling of the same
   * server for its `server/discover` version probe, so that a legacy server that exits on an unknown request does
   * not cost this transport its child (what the official SDK v2 does; see src/client/negotiation.ts).
   */
  get options(): Readonly<StdioClientTransportOptions> {
    return this.#options;
  }

  /** The child's pid once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The last few KiB of the child's stderr (when stderr is 'pipe'). */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  async start(sink: TransportSink): Promise<void> {
    const {
      command,
      args = [],
      env = process.env,
      cwd,
      stderr = 'inherit',
      onStderr,
      ...streamOptions
    } = this.#options;
    delete (streamOptions as { shutdownGraceMs?: number }).shutdownGraceMs;
    const child = spawn(command, [...args], {
      env,
      cwd,
      stdio: ['pipe', 'pipe', stderr],
      windowsHide: true,
    }) as ChildProcessByStdio<Writable, Readable, Readable | null>;
    this.#child = child;
    if (child.stderr) {
      child.stderr.on('data', (chunk: Buffer) => {
        this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
        onStderr?.(chunk);
      });
    }
    this.#exit = once(child, 'exit').then(
      () => undefined,
      () => undefined,
    );
    try {
      await once(child, 'spawn');
    } catch (cause) {
      throw new NmcpError(
        ErrorCode.PROCESS_EXITED,
        `could not start ${JSON.stringify(command)}: ${(cause as Error).message}`,
        { command },
        { cause },
      );
    }
    const inner = new StreamTransport(child.stdout, child.stdin, streamOptions, 'stdio', {
      // The child closed its stdout: its exit status (usually right behind) makes the better reason.
      onEnd: () => {
        setTimeout(() => {
          void inner.close(
            new NmcpError(ErrorCode.PROCESS_EXITED, 'the server process closed its stdout', { command }),
          );
        }, 1_000).unref();
      },
    });
    this.#inner = inner;
    if (this.#interceptor) inner.setInterceptor(this.#interceptor, this.#routing);
    child.on('exit', (code, signal) => {
      if (this.#closing) return;
      const err = new NmcpError(
        ErrorCode.PROCESS_EXITED,
        `the server process exited (${signal ? `signal ${signal}` : `code ${code}`})${this.#stderrTail ? `; its stderr ended with: ${this.#stderrTail.slice(-500)}` : ''}`,
        { command, code, signal, stderrTail: this.#stderrTail },
      );
      void inner.close(err);
    });
    // stdin errors (EPIPE after the child died) surface through the exit handler above.
    child.stdin.on('error', () => {});
    await inner.start({
      message: (text) => sink.message(text),
      frameError: (error) => sink.frameError(error),
      closed: (reason) => {
        sink.closed(reason);
        void this.#shutdown();
      },
    });
  }

  /** See FrameTransport (applies to the child's stream once it is spawned). */
  setInterceptor(interceptor: FrameInterceptor | undefined, routing?: InterceptorRouting): void {
    this.#interceptor = interceptor;
    this.#routing = routing;
    this.#inner?.setInterceptor(interceptor, routing);
  }

  sendFrame(frame: Uint8Array): boolean {
    return this.#inner?.sendFrame(frame) ?? false;
  }

  send(message: string): boolean {
    return this.#inner?.send(message) ?? false;
  }

  async close(reason?: Error): Promise<void> {
    await this.#inner?.close(reason);
    await this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    const child = this.#child;
    if (!child || this.#closing) return this.#exit;
    this.#closing = true;
    const grace = this.#options.shutdownGraceMs ?? 2_000;
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    const waitExit = (ms: number) =>
      exited()
        ? Promise.resolve(true)
        : Promise.race([
            (this.#exit as Promise<void>).then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
          ]);
    child.stdin.end();
    if (await waitExit(grace)) return;
    child.kill('SIGTERM');
    if (await waitExit(grace)) return;
    child.kill('SIGKILL');
    await this.#exit;
  }
}
