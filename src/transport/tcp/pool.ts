import { McpClient } from '../../client/mcp-client.js';
import type {
  CallOptions,
  CallToolParams,
  CallToolResult,
  CompleteParams,
  CompleteResult,
  GetPromptParams,
  GetPromptResult,
  Implementation,
  McpClientOptions,
  PromptDescriptor,
  ReadResourceResult,
  ResourceDescriptor,
  ResourceTemplateDescriptor,
  ToolDescriptor,
} from '../../client/types.js';
import { resolveOptions } from '../../config/options.js';
import { ErrorCode, NmcpError } from '../../errors.js';
import type { JsonObject } from '../../protocol/jsonrpc.js';
import { TcpClientTransport, type TcpClientTransportOptions } from './client-transport.js';
import { invalidOption } from './options.js';
import { backoffDelay, DEFAULT_RECONNECT_OPTIONS, type ReconnectOptions, resolveReconnect } from './reconnect.js';

/** Tuning of McpClientPool (numbers; checked by resolveOptions). */
export interface McpClientPoolTuning {
  /** Connections kept open to the server (the seed's connection_pool_size). Default 20. */
  connectionPoolSize: number;
  /**
   * A connection unused for this long is pinged (ping; server/discover in the modern era) before it is handed out,
   * and replaced if the ping fails, ms. Default 30,000. 0 = never check (a dead connection is still noticed when its
   * socket closes).
   */
  healthCheckIdleMs: number;
  /** How long that ping may take, ms. Default 2,000. */
  healthCheckTimeoutMs: number;
  /** How long a call waits for a live connection when none is up (all being replaced), ms. Default 5,000. 0 = fail at once. */
  acquireTimeoutMs: number;
}

export interface McpClientPoolOptions extends Partial<McpClientPoolTuning> {
  /** Where and how to connect (host/port or path, tls, the TCP options). `reconnect` is not allowed: see `reconnect`. */
  transport: Omit<TcpClientTransportOptions, 'reconnect'>;
  /** The clients' identity (default { name: 'nmcp-pool', version: '1.0.0' }). */
  clientInfo?: Implementation;
  /** Options of each McpClient (negotiation, timeouts, callbacks). */
  client?: McpClientOptions;
  /**
   * How a dead connection is replaced: backoff with full jitter between attempts (the same policy as
   * TcpClientTransport's reconnect). Default { initialDelayMs: 100, maxDelayMs: 30,000, maxAttempts: 0 }: the pool
   * keeps trying until closed.
   */
  reconnect?: Partial<ReconnectOptions>;
}

export interface McpClientPoolStats {
  /** connectionPoolSize. */
  size: number;
  /** Connections up now. */
  connected: number;
  /** Requests in flight over all connections. */
  inFlight: number;
  /** Connections made in place of a dead one (or of one that failed to open at connect()). */
  replaced: number;
  /** Health-check pings that failed (each one's connection was replaced). */
  failedHealthChecks: number;
}

const DEFAULT_TUNING: Readonly<McpClientPoolTuning> = Object.freeze({
  connectionPoolSize: 20, // connections (the seed's connection_pool_size)
  healthCheckIdleMs: 30_000, // ms
  healthCheckTimeoutMs: 2_000, // ms
  acquireTimeoutMs: 5_000, // ms
});

const TUNING_RULES = {
  connectionPoolSize: { min: 1, max: 10_000, what: 'connections' },
  healthCheckIdleMs: { min: 0, max: 86_400_000, what: 'milliseconds, 0 = never' },
  healthCheckTimeoutMs: { min: 1, max: 3_600_000, what: 'milliseconds' },
  acquireTimeoutMs: { min: 0, max: 3_600_000, what: 'milliseconds' },
} as const;

const SCOPE = 'McpClientPool';

interface Slot {
  client: McpClient | undefined;
  inFlight: number;
  lastUsed: number;
  /** Failed replacement attempts in a row (backoff input). */
  attempts: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * N McpClient connections to one TCP (or Unix, or TLS) server, used as one client: each call goes to the live
 * connection with the fewest requests in flight (ties in turn), a connection idle for healthCheckIdleMs is pinged
 * before reuse, and a dead one is replaced in the background with backoff. The common client calls are methods here;
 * `withClient(fn)` lends one connection's McpClient for anything else (it counts as in flight until fn settles).
 *
 *   const pool = new McpClientPool({ transport: { host, port }, connectionPoolSize: 8 });
 *   await pool.connect();
 *   const result = await pool.callTool({ name: 'echo', arguments: { text: 'hi' } });
 *   await pool.close();
 */
export class McpClientPool {
  readonly options: Readonly<McpClientPoolTuning>;
  readonly #transportOptions: Omit<TcpClientTransportOptions, 'reconnect'>;
  readonly #clientInfo: Implementation;
  readonly #clientOptions: McpClientOptions;
  readonly #policy: Readonly<ReconnectOptions>;
  readonly #slots: Slot[] = [];
  #waiters: (() => void)[] = [];
  #next = 0;
  #closed = false;
  #replaced = 0;
  #failedHealthChecks = 0;

  constructor(options: McpClientPoolOptions) {
    if (typeof options !== 'object' || options === null) {
      throw invalidOption(SCOPE, 'options', options, 'must be an object with at least { transport }');
    }
    const { transport, clientInfo, client, reconnect, ...tuning } = options;
    this.options = resolveOptions(SCOPE, DEFAULT_TUNING, TUNING_RULES, tuning);
    if (typeof transport !== 'object' || transport === null) {
      throw invalidOption(
        SCOPE,
        'transport',
        transport,
        'must be TcpClientTransport options ({ host, port } or { path })',
      );
    }
    if ('reconnect' in transport) {
      throw invalidOption(
        SCOPE,
        'transport.reconnect',
        transport.reconnect,
        'is not allowed: the pool replaces dead connections itself (set McpClientPool.reconnect)',
      );
    }
    // Fail now, not at the first connection, on bad transport or client options.
    new TcpClientTransport(transport);
    new McpClient(clientInfo ?? { name: 'nmcp-pool', version: '1.0.0' }, client ?? {});
    this.#transportOptions = transport;
    this.#clientInfo = clientInfo ?? { name: 'nmcp-pool', version: '1.0.0' };
    this.#clientOptions = client ?? {};
    this.#policy = resolveReconnect(SCOPE, {
      ...DEFAULT_RECONNECT_OPTIONS,
      maxAttempts: 0,
      ...reconnect,
    }) as ReconnectOptions;
  }

  /**
   * Opens connectionPoolSize connections in parallel. Resolves once every attempt settled with at least one up (the
   * failed ones are retried in the background); rejects with the first error when none could be made.
   */
  async connect(): Promise<void> {
    if (this.#slots.length > 0)
      throw new NmcpError(ErrorCode.INVALID_STATE, 'McpClientPool.connect() was already called');
    for (let i = 0; i < this.options.connectionPoolSize; i++) {
      this.#slots.push({ client: undefined, inFlight: 0, lastUsed: Date.now(), attempts: 0, timer: undefined });
    }
    const results = await Promise.allSettled(this.#slots.map((slot) => this.#open(slot)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (results.every((r) => r.status === 'rejected')) {
      await this.close();
      throw failure?.reason;
    }
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.#scheduleReplace(this.#slots[i] as Slot);
    });
  }

  get stats(): Readonly<McpClientPoolStats> {
    let connected = 0;
    let inFlight = 0;
    for (const s of this.#slots) {
      if (s.client?.connected) connected++;
      inFlight += s.inFlight;
    }
    return {
      size: this.options.connectionPoolSize,
      connected,
      inFlight,
      replaced: this.#replaced,
      failedHealthChecks: this.#failedHealthChecks,
    };
  }

  /** The clients of the connections up now (for inspection; calls should go through the pool). */
  get clients(): readonly McpClient[] {
    return this.#slots.flatMap((s) => (s.client?.connected ? [s.client] : []));
  }

  /** Lends the least busy live connection's client to `fn`; it counts as in flight until fn settles. */
  async withClient<T>(fn: (client: McpClient) => Promise<T>): Promise<T> {
    const slot = await this.#acquire();
    const client = slot.client as McpClient;
    slot.inFlight++;
    try {
      return await fn(client);
    } finally {
      slot.inFlight--;
      slot.lastUsed = Date.now();
    }
  }

  callTool(params: CallToolParams, options?: CallOptions): Promise<CallToolResult> {
    return this.withClient((c) => c.callTool(params, options));
  }
  listTools(options?: CallOptions): Promise<ToolDescriptor[]> {
    return this.withClient((c) => c.listTools(options));
  }
  listResources(options?: CallOptions): Promise<ResourceDescriptor[]> {
    return this.withClient((c) => c.listResources(options));
  }
  listResourceTemplates(options?: CallOptions): Promise<ResourceTemplateDescriptor[]> {
    return this.withClient((c) => c.listResourceTemplates(options));
  }
  readResource(params: { uri: string }, options?: CallOptions): Promise<ReadResourceResult> {
    return this.withClient((c) => c.readResource(params, options));
  }
  listPrompts(options?: CallOptions): Promise<PromptDescriptor[]> {
    return this.withClient((c) => c.listPrompts(options));
  }
  getPrompt(params: GetPromptParams, options?: CallOptions): Promise<GetPromptResult> {
    return this.withClient((c) => c.getPrompt(params, options));
  }
  complete(params: CompleteParams, options?: CallOptions): Promise<CompleteResult> {
    return this.withClient((c) => c.complete(params, options));
  }
  ping(options?: CallOptions): Promise<void> {
    return this.withClient((c) => c.ping(options));
  }
  request(method: string, params?: JsonObject, options?: CallOptions): Promise<JsonObject> {
    return this.withClient((c) => c.request(method, params, options));
  }

  /** Closes every connection and stops replacing them; pending calls fail with NMCP_ERR_CONNECTION_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        const client = slot.client;
        slot.client = undefined;
        await client?.close().catch(() => {});
      }),
    );
  }

  async #open(slot: Slot): Promise<void> {
    const client = new McpClient(this.#clientInfo, this.#clientOptions);
    await client.connect(new TcpClientTransport(this.#transportOptions));
    if (this.#closed) {
      await client.close();
      return;
    }
    slot.client = client;
    slot.attempts = 0;
    slot.lastUsed = Date.now();
    client.onclose = () => this.#onDead(slot, client);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #onDead(slot: Slot, client: McpClient): void {
    if (slot.client !== client) return;
    slot.client = undefined;
    void client.close().catch(() => {});
    if (!this.#closed) this.#scheduleReplace(slot);
  }

  #scheduleReplace(slot: Slot): void {
    if (this.#closed || slot.timer) return;
    const policy = this.#policy;
    if (policy.maxAttempts > 0 && slot.attempts >= policy.maxAttempts) return; // this slot stays empty
    slot.attempts++;
    slot.timer = setTimeout(
      () => {
        slot.timer = undefined;
        this.#open(slot).then(
          () => {
            if (slot.client) this.#replaced++;
          },
          () => this.#scheduleReplace(slot),
        );
      },
      backoffDelay(policy, slot.attempts),
    );
    slot.timer.unref();
  }

  /** The live slot with the fewest in flight (ties: the next in turn), health-checked when it was idle. */
  async #acquire(): Promise<Slot> {
    const deadline = Date.now() + this.options.acquireTimeoutMs;
    for (;;) {
      if (this.#closed) throw new NmcpError(ErrorCode.CONNECTION_CLOSED, 'the pool is closed', {});
      const slot = this.#pick();
      if (slot) {
        if (await this.#healthy(slot)) return slot;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new NmcpError(
          ErrorCode.CONNECTION_CLOSED,
          `no pool connection is up (all ${this.options.connectionPoolSize} are being replaced) after ${this.options.acquireTimeoutMs} ms (acquireTimeoutMs)`,
          { size: this.options.connectionPoolSize },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #pick(): Slot | undefined {
    const slots = this.#slots;
    const n = slots.length;
    let best: Slot | undefined;
    for (let k = 0; k < n; k++) {
      const slot = slots[(this.#next + k) % n] as Slot;
      if (!slot.client?.connected) continue;
      if (!best || slot.inFlight < best.inFlight) best = slot;
      if (best.inFlight === 0) break;
    }
    if (best) this.#next = (slots.indexOf(best) + 1) % n;
    return best;
  }

  /** A connection idle for healthCheckIdleMs is pinged first; a failed ping replaces it. */
  async #healthy(slot: Slot): Promise<boolean> {
    const idleMs = this.options.healthCheckIdleMs;
    if (idleMs === 0 || slot.inFlight > 0 || Date.now() - slot.lastUsed < idleMs) return true;
    const client = slot.client as McpClient;
    slot.lastUsed = Date.now(); // one check at a time: concurrent callers see it as fresh
    slot.inFlight++;
    try {
      await client.ping({ timeoutMs: this.options.healthCheckTimeoutMs });
      return true;
    } catch {
      this.#failedHealthChecks++;
      this.#onDead(slot, client);
      return false;
    } finally {
      slot.inFlight--;
    }
  }
}
