/**
 * The memory monitor (the seed's monitor_memory loop): samples process.memoryUsage() every memoryCheckIntervalMs,
 * logs a warning when RSS crosses memoryWarningBytes (once per crossing, again after it fell back below), and — when
 * memoryShedBytes is set — sheds load over it: the servers it guards answer every request with a clear JSON-RPC error
 * (McpServer.refuseRequests) until RSS falls back below it.
 */
import { ErrorCode, NmcpError } from '../errors.js';
import { McpError } from '../protocol/jsonrpc.js';
import type { McpServer } from '../server/mcp-server.js';

export interface MemoryOptions {
  /** How often memory is sampled, ms (1,000; the seed's check_memory interval). */
  memoryCheckIntervalMs: number;
  /** RSS over which a warning is logged (and /health fails), bytes; 0 = never (1 GiB; the seed's threshold). */
  memoryWarningBytes: number;
  /** RSS over which requests are refused until it falls back, bytes; 0 = never (0). */
  memoryShedBytes: number;
}

export const DEFAULT_MEMORY_OPTIONS: Readonly<MemoryOptions> = Object.freeze({
  memoryCheckIntervalMs: 1_000,
  memoryWarningBytes: 1024 * 1024 * 1024,
  memoryShedBytes: 0,
});

/** The JSON-RPC code of the refusal while shedding (the implementation-defined server-error range). */
export const OVERLOADED_RPC_CODE = -32000;

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryMonitorInit extends Partial<MemoryOptions> {
  /** Where warnings go (default: process.emitWarning). */
  warn?: (message: string, sample: MemorySample) => void;
  /** The sampler (default: process.memoryUsage; tests inject one). */
  sample?: () => MemorySample;
}

function check(key: keyof MemoryOptions, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `memory.${key} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`,
      { key: `memory.${key}`, value },
    );
  }
}

export class MemoryMonitor {
  #options: Readonly<MemoryOptions>;
  readonly #warn: (message: string, sample: MemorySample) => void;
  readonly #sample: () => MemorySample;
  readonly #guarded = new Set<McpServer>();
  #timer: NodeJS.Timeout | undefined;
  #last: MemorySample | undefined;
  #warning = false;
  #shedding = false;

  constructor(init: MemoryMonitorInit = {}) {
    const { warn, sample, ...rest } = init;
    this.#options = MemoryMonitor.resolve({ ...DEFAULT_MEMORY_OPTIONS, ...rest });
    this.#warn = warn ?? ((message) => process.emitWarning(message, 'NmcpMemoryWarning'));
    this.#sample = sample ?? (() => process.memoryUsage());
  }

  static resolve(o: MemoryOptions): Readonly<MemoryOptions> {
    check('memoryCheckIntervalMs', o.memoryCheckIntervalMs, 10);
    check('memoryWarningBytes', o.memoryWarningBytes, 0);
    check('memoryShedBytes', o.memoryShedBytes, 0);
    return Object.freeze({ ...o });
  }

  get options(): Readonly<MemoryOptions> {
    return this.#options;
  }

  /** Changes the options live (a config reload); a bad value throws naming the key and the old options stay. */
  updateOptions(update: Partial<MemoryOptions>): void {
    const next = MemoryMonitor.resolve({ ...this.#options, ...update });
    const restart = next.memoryCheckIntervalMs !== this.#options.memoryCheckIntervalMs && this.#timer !== undefined;
    this.#options = next;
    if (restart) {
      this.stop();
      this.start();
    }
    this.check();
  }

  /** Requests to these servers are refused while shedding. */
  guard(server: McpServer): () => void {
    this.#guarded.add(server);
    if (this.#shedding) server.refuseRequests(this.#refusal());
    return () => {
      this.#guarded.delete(server);
      server.refuseRequests(undefined);
    };
  }

  /** Starts sampling (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.check();
    this.#timer = setInterval(() => this.check(), this.#options.memoryCheckIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The last sample (taken now if none was). */
  get last(): MemorySample {
    return this.#last ?? this.check();
  }

  /** True while RSS is over memoryWarningBytes. */
  get warning(): boolean {
    return this.#warning;
  }

  /** True while requests are refused (RSS over memoryShedBytes). */
  get shedding(): boolean {
    return this.#shedding;
  }

  /** Samples now and acts on it; returns the sample. */
  check(): MemorySample {
    const m = this.#sample();
    this.#last = m;
    const { memoryWarningBytes, memoryShedBytes } = this.#options;
    const over = memoryWarningBytes > 0 && m.rss > memoryWarningBytes;
    if (over && !this.#warning) {
      this.#warn(
        `high memory use: RSS ${mib(m.rss)} MiB is over memoryWarningBytes (${mib(memoryWarningBytes)} MiB); heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)} MiB`,
        m,
      );
    }
    this.#warning = over;
    const shed = memoryShedBytes > 0 && m.rss > memoryShedBytes;
    if (shed !== this.#shedding) {
      this.#shedding = shed;
      const refusal = shed ? this.#refusal() : undefined;
      for (const server of this.#guarded) server.refuseRequests(refusal);
      if (shed) {
        this.#warn(
          `shedding load: RSS ${mib(m.rss)} MiB is over memoryShedBytes (${mib(memoryShedBytes)} MiB); requests are refused until it falls back`,
          m,
        );
      }
    }
    return m;
  }

  #refusal(): McpError {
    const limit = this.#options.memoryShedBytes;
    return new McpError(
      OVERLOADED_RPC_CODE,
      `server overloaded: memory use is over memoryShedBytes (${mib(limit)} MiB); retry later`,
      { reason: 'memoryShedBytes', memoryShedBytes: limit, rss: this.#last?.rss },
    );
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
