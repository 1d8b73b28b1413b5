/**
 * One upstream MCP server behind the gateway: an McpClient over its transport, connected at start, reconnected with
 * exponential backoff and full jitter whenever the connection closes (a stdio server is respawned), its tools, prompts
 * and resources listed after each handshake and again on each `notifications/<kind>/list_changed`. Calls go through
 * its circuit breaker; a call that fails because the upstream went away is answered with a JSON-RPC -32603 error
 * naming it.
 */
import { McpClient } from '../client/mcp-client.js';
import type {
  CallOptions,
  PromptDescriptor,
  ResourceDescriptor,
  ResourceTemplateDescriptor,
  ToolDescriptor,
} from '../client/types.js';
import { McpError, RpcCode } from '../protocol/jsonrpc.js';
import { StdioClientTransport } from '../transport/child-process.js';
import { StreamableHttpClientTransport } from '../transport/http/client/transport.js';
import { TcpClientTransport } from '../transport/tcp/client-transport.js';
import type { Transport } from '../transport/types.js';
import { type BreakerState, CircuitBreaker } from './breaker.js';
import type { ForwardOutcome } from './forwarder.js';
import { backoffDelay, type ResolvedGatewayOptions, type UpstreamConfig } from './options.js';

export type UpstreamState = 'connecting' | 'connected' | 'reconnecting' | 'closed';
export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
export const LIST_KINDS: readonly ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];
/** The list_changed notifications, and the lists each one refreshes (templates change with resources). */
const CHANGES: Record<string, readonly ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

export interface UpstreamLists {
  tools: ToolDescriptor[];
  prompts: PromptDescriptor[];
  resources: ResourceDescriptor[];
  resourceTemplates: ResourceTemplateDescriptor[];
}

export interface UpstreamStats {
  state: UpstreamState;
  breaker: BreakerState;
  /** Calls forwarded (sent to the upstream). */
  calls: number;
  /** Forwarded calls that failed: transport errors, timeouts, JSON-RPC errors (not tool isError results). */
  failures: number;
  /** Calls refused without being sent: the upstream was unavailable or its breaker open. */
  refused: number;
  tools: number;
  prompts: number;
  resources: number;
  resourceTemplates: number;
  /** Connections made (the first one plus each reconnect). */
  connects: number;
  /** Why the last connection or attempt ended, if it did. */
  lastError?: string;
}

function transportOf(config: UpstreamConfig): Transport {
  if (config.stdio) {
    const { command, args, env, cwd } = config.stdio;
    return new StdioClientTransport({
      command,
      args,
      env: env === undefined ? undefined : { ...process.env, ...env },
      cwd,
      stderr: 'ignore',
    });
  }
  if (config.tcp) return new TcpClientTransport({ host: config.tcp.host, port: config.tcp.port });
  if (config.unix) return new TcpClientTransport({ path: config.unix.path });
  // resolveGatewayOptions guarantees exactly one transport.
  const http = config.http as NonNullable<UpstreamConfig['http']>;
  return new StreamableHttpClientTransport(http.url, { headers: http.headers });
}

const CAPABILITY: Record<ListKind, string> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resources',
};

export class Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  readonly breaker: CircuitBreaker;
  readonly #options: ResolvedGatewayOptions;
  /** Called when one of the lists changed (refreshed, or emptied because the upstream went away). */
  onLists: (kind: ListKind) => void = () => {};
  /** Called when a connection is up (past its handshake), with its transport and client: the data plane's hook. */
  onConnected: (transport: Transport, client: McpClient) => void = () => {};
  /** Called when that connection is gone (lost, or the upstream closed). */
  onDisconnected: (reason: Error) => void = () => {};
  lists: UpstreamLists = { tools: [], prompts: [], resources: [], resourceTemplates: [] };
  #state: UpstreamState = 'connecting';
  #client: McpClient | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #calls = 0;
  #failures = 0;
  #refused = 0;
  #connects = 0;

  constructor(config: UpstreamConfig, options: ResolvedGatewayOptions) {
    this.name = config.name;
    this.config = config;
    this.#options = options;
    this.breaker = new CircuitBreaker(options.breaker, options.clock);
  }

  get state(): UpstreamState {
    return this.#state;
  }

  /** Connects once; resolves whether or not it worked (a failure schedules a reconnect and is reported). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.onDisconnected(new Error('the gateway closed'));
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => {});
  }

  stats(): UpstreamStats {
    const stats: UpstreamStats = {
      state: this.#state,
      breaker: this.breaker.state,
      calls: this.#calls,
      failures: this.#failures,
      refused: this.#refused,
      tools: this.lists.tools.length,
      prompts: this.lists.prompts.length,
      resources: this.lists.resources.length,
      resourceTemplates: this.lists.resourceTemplates.length,
      connects: this.#connects,
    };
    if (this.#lastError !== undefined) stats.lastError = this.#lastError;
    return stats;
  }

  /**
   * Runs one call on the upstream's client, through the breaker. Rejects with an McpError: the upstream's own JSON-RPC
   * error, or -32603 when it is unavailable or its breaker is open.
   */
  async call<T>(run: (client: McpClient, options: CallOptions) => Promise<T>, options: CallOptions = {}): Promise<T> {
    const client = this.#client;
    if (client === undefined || this.#state !== 'connected') {
      this.#refused++;
      throw this.#unavailable(this.#lastError ?? 'not connected');
    }
    const admission = this.breaker.acquire();
    if (!admission.ok) {
      this.#refused++;
      const wait = Math.max(0, Math.ceil(admission.retryAt - this.#options.clock()));
      throw new McpError(
        RpcCode.INTERNAL_ERROR,
        wait > 0
          ? `upstream ${this.name}: circuit open, retry after ${wait} ms`
          : `upstream ${this.name}: circuit open, retry after its probe call settles`,
        { upstream: this.name, retryAfterMs: wait },
      );
    }
    this.#calls++;
    try {
      const result = await run(client, { timeoutMs: this.#options.requestTimeoutMs, ...options });
      this.breaker.success();
      return result;
    } catch (err) {
      if (options.signal?.aborted) {
        this.breaker.release(); // cancelled downstream: says nothing about the upstream
        throw err;
      }
      this.#failures++;
      this.breaker.failure();
      if (err instanceof McpError) throw err; // the upstream's answer (or the call's timeout), as it is
      throw this.#unavailable((err as Error).message);
    }
  }

  /**
   * Counts a call the data plane forwarded as bytes and feeds its outcome to the breaker, as call() does for the
   * control plane's: a JSON-RPC error, a timeout or a lost connection is a failure; a downstream cancel says nothing.
   */
  forwarded(outcome: ForwardOutcome): void {
    this.#calls++;
    if (outcome === 'success') this.breaker.success();
    else if (outcome === 'cancelled') this.breaker.release();
    else {
      this.#failures++;
      this.breaker.failure();
    }
  }

  #unavailable(reason: string): McpError {
    return new McpError(RpcCode.INTERNAL_ERROR, `upstream ${this.name} is unavailable: ${reason}`, {
      upstream: this.name,
    });
  }

  async #connect(): Promise<void> {
    if (this.#state === 'closed') return;
    const client = new McpClient(
      { name: this.#options.info.name, version: this.#options.info.version },
      {
        validateToolOutput: false,
        timeoutMs: this.#options.requestTimeoutMs,
        onError: (e) => this.#report(e),
        // The legacy era, which the data plane forwards as bytes (and no version probe spawns a second stdio server);
        // an HTTP upstream may be told to negotiate ('auto': for a server of the 2026-07-28 era only).
        negotiation: this.config.http?.negotiation ?? 'legacy',
      },
    );
    client.onclose = (reason) => this.#lost(client, reason);
    this.#client = client;
    const transport = transportOf(this.config);
    try {
      await client.connect(transport);
      if (this.#client !== client) return; // closed meanwhile
      if (!client.connected) throw new Error('the connection closed during the handshake');
      for (const [method, kinds] of Object.entries(CHANGES)) {
        client.onNotification(method, () => {
          for (const kind of kinds) void this.#refresh(client, kind);
        });
      }
      this.#connects++;
      this.#state = 'connected';
      this.onConnected(transport, client);
      await Promise.all(LIST_KINDS.map((kind) => this.#refresh(client, kind)));
      if (this.#client === client) this.#attempt = 0;
    } catch (err) {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#lastError = (err as Error).message;
      this.#report(new Error(`upstream ${this.name}: connect failed: ${this.#lastError}`, { cause: err }));
      await client.close().catch(() => {});
      this.#retry();
    }
  }

  /** The connection closed: empty the lists (the gateway stops offering them), then reconnect. */
  #lost(client: McpClient, reason: Error | undefined): void {
    if (this.#client !== client || this.#state === 'closed') return;
    this.#client = undefined;
    this.#lastError = reason?.message ?? 'the connection closed';
    this.#report(new Error(`upstream ${this.name} disconnected: ${this.#lastError}`, { cause: reason }));
    this.onDisconnected(new Error(this.#lastError));
    for (const kind of LIST_KINDS) {
      if (this.lists[kind].length === 0) continue;
      this.lists = { ...this.lists, [kind]: [] };
      this.onLists(kind);
    }
    this.#retry();
  }

  #retry(): void {
    if (this.#state === 'closed') return;
    this.#state = 'reconnecting';
    const delay = backoffDelay(this.#options.reconnect, this.#attempt++);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  async #refresh(client: McpClient, kind: ListKind): Promise<void> {
    if (client.serverCapabilities?.[CAPABILITY[kind]] === undefined) return;
    try {
      const list =
        kind === 'tools'
          ? await client.listTools()
          : kind === 'prompts'
            ? await client.listPrompts()
            : kind === 'resources'
              ? await client.listResources()
              : await client.listResourceTemplates();
      if (this.#client !== client) return;
      this.lists = { ...this.lists, [kind]: list };
      this.onLists(kind);
    } catch (err) {
      if (this.#client === client) {
        this.#report(
          new Error(`upstream ${this.name}: ${kind}/list failed: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
  }

  #report(error: Error): void {
    try {
      this.#options.onError(error);
    } catch {
      // the callback's own failure must not break the upstream
    }
  }
}
