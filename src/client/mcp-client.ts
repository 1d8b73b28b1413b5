import { ErrorCode, NmcpError } from '../errors.js';
import type { JsonObject } from '../protocol/jsonrpc.js';
import {
  allowsBatches,
  LATEST_LEGACY_VERSION,
  type LegacyVersion,
  MODERN_VERSIONS,
  type ModernVersion,
  type ProtocolVersion,
} from '../protocol/versions.js';
import { JsonRpcSession } from '../session/session.js';
import type { Transport } from '../transport/types.js';
import { ClientCallbacks, SERVER_REQUEST_METHODS } from './callbacks.js';
import { type ResolvedClientOptions, resolveClientOptions } from './client-options.js';
import { runInputRequired } from './input-required.js';
import { ListenManager } from './listen.js';
import {
  envelope,
  type Identity,
  legacyHandshake,
  type Negotiated,
  type ProbeResult,
  probe,
  probeOnSibling,
  probesOnSibling,
} from './negotiation.js';
import { NotificationRouter } from './notifications.js';
import { OutputValidators } from './output-validation.js';
import { collectPages } from './pagination.js';
import type {
  CallOptions,
  CallToolParams,
  CallToolResult,
  ClientNotificationHandler,
  CompleteParams,
  CompleteResult,
  GetPromptParams,
  GetPromptResult,
  Implementation,
  LoggingLevel,
  McpClientOptions,
  PromptDescriptor,
  ProtocolEra,
  ReadResourceResult,
  ResourceDescriptor,
  ResourceTemplateDescriptor,
  Root,
  ToolDescriptor,
} from './types.js';

/** Whether `err` (or what caused it: the probe wraps it) is a connection lost under a reconnecting transport. */
function lostAgain(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof NmcpError && e.details.reconnecting === true) return true;
  }
  return false;
}

/** A reconnect in progress: settled when the handshake on the new connection is done, or the client closed. */
interface Resuming {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * An MCP client over one Transport, for both protocol eras (docs/design/api.md, docs/mcp-eras.md): negotiates the
 * version at connect(), then offers the server's features as methods. In the modern era it adds the `_meta` envelope
 * to every request and answers `input_required` results itself (with onSampling / onElicitation / roots); in the
 * legacy era it answers the server's sampling / elicitation / roots requests with the same callbacks.
 */
export class McpClient {
  readonly #info: Implementation;
  readonly #options: ResolvedClientOptions;
  readonly #outputValidators = new OutputValidators();
  readonly #callbacks: ClientCallbacks;
  readonly #onError: (error: Error) => void;
  readonly #notifications: NotificationRouter;
  #session: JsonRpcSession | undefined;
  #connecting = false;
  #negotiated: Negotiated | undefined;
  #logLevel: LoggingLevel | undefined;
  #envelopeCache: JsonObject | undefined;
  #closeRequested = false;
  /**
   * Set while a reconnecting transport is between connections or the handshake is being redone on the new one:
   * requests wait for it (within their timeout) instead of reaching a server that was never initialized.
   */
  #resuming: Resuming | undefined;
  /** Called once when the connection closes (`reason` is set when it closed because of a failure). */
  onclose: ((reason?: Error) => void) | undefined;

  constructor(info: Implementation, options: McpClientOptions = {}) {
    if (typeof info?.name !== 'string' || typeof info.version !== 'string') {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'McpClient needs { name: string, version: string }', {
        key: 'McpClient.info',
        value: info,
      });
    }
    this.#info = { ...info };
    this.#options = resolveClientOptions(options);
    this.#callbacks = new ClientCallbacks(options);
    this.#onError = options.onError ?? (() => {});
    this.#notifications = new NotificationRouter((e) => this.#onError(e));
  }

  // ---- connection facts (undefined before connect)

  get protocolVersion(): ProtocolVersion | undefined {
    return this.#negotiated?.protocolVersion;
  }
  get era(): ProtocolEra | undefined {
    return this.#negotiated?.era;
  }
  get serverInfo(): Implementation | undefined {
    return this.#negotiated?.serverInfo;
  }
  get serverCapabilities(): JsonObject | undefined {
    return this.#negotiated?.serverCapabilities;
  }
  get instructions(): string | undefined {
    return this.#negotiated?.instructions;
  }
  /**
   * The capabilities this client declares (from its callbacks, `elicitationModes`, `samplingTools` and
   * `capabilities`); server requests beyond them are refused with -32602.
   */
  get capabilities(): JsonObject {
    return this.#callbacks.capabilities();
  }
  /**
   * Whether connect() succeeded and the connection is open (false while a reconnecting transport is between
   * connections).
   */
  get connected(): boolean {
    return this.#negotiated !== undefined && this.#session?.closed === false && this.#resuming === undefined;
  }

  /** Connects over `transport` (started here) and negotiates the protocol version; see McpClientOptions.negotiation. */
  async connect(transport: Transport): Promise<void> {
    if (this.#session || this.#connecting) {
      throw new NmcpError(
        ErrorCode.INVALID_STATE,
        'McpClient.connect() was already called: use one client per connection',
      );
    }
    this.#connecting = true;
    this.#closeRequested = false;
    try {
      const mode = this.#options.negotiation;
      const identity: Identity = { clientInfo: this.#info, capabilities: this.capabilities };
      const probeOptions = {
        identity,
        offered: mode.kind === 'modern' ? [mode.version] : [...MODERN_VERSIONS],
        fallback: mode.kind === 'auto',
        timeoutMs: this.#options.probeTimeoutMs,
      };
      // stdio + auto: the probe runs on a disposable sibling; the caller's transport starts once the era is known.
      let probed: ProbeResult | undefined;
      if (mode.kind === 'auto' && probesOnSibling(transport)) probed = await probeOnSibling(transport, probeOptions);
      if (this.#closeRequested) {
        throw new NmcpError(ErrorCode.CONNECTION_CLOSED, 'McpClient.close() was called during connect()');
      }
      const session = new JsonRpcSession(transport, {
        outboundTimeoutMs: this.#options.timeoutMs,
        onError: (e) => this.#onError(e),
      });
      this.#install(session);
      session.onclose = (reason) => this.#onClosed(reason);
      session.oninterrupted = () => this.#onInterrupted();
      session.onresumed = () => void this.#onResumed(session, identity);
      this.#session = session; // so that close() during the handshake closes it; calls wait for #negotiated
      try {
        await session.start();
        const timeout = this.#options.timeoutMs;
        let negotiated: Negotiated;
        if (mode.kind === 'legacy') {
          negotiated = await legacyHandshake(session, mode.version, mode.pinned, identity, timeout);
        } else {
          probed ??= await probe(session, probeOptions, false);
          negotiated =
            probed.era === 'modern'
              ? probed.negotiated
              : await legacyHandshake(session, LATEST_LEGACY_VERSION, false, identity, timeout);
        }
        this.#negotiated = negotiated;
        if (negotiated.era === 'legacy') {
          session.batchesAllowed = allowsBatches(negotiated.protocolVersion);
        } else {
          // The modern era has no server → client requests: the server asks through input_required instead.
          for (const method of [...SERVER_REQUEST_METHODS, 'ping']) session.requestHandlers.delete(method);
          const listen = new ListenManager(
            session,
            () => this.#envelope(),
            timeout,
            (e) => this.#onError(e),
          );
          await this.#notifications
            .useListen(listen, negotiated.serverCapabilities)
            .catch((e: Error) => this.#onError(e));
        }
      } catch (err) {
        await session.close().catch(() => {});
        this.#session = undefined;
        this.#negotiated = undefined;
        throw err;
      }
    } finally {
      this.#connecting = false;
    }
  }

  /** Closes the connection (a stdio server is shut down); pending calls fail with NMCP_ERR_CONNECTION_CLOSED. */
  async close(): Promise<void> {
    this.#closeRequested = true;
    this.#notifications.close();
    await this.#session?.close();
  }

  // ---- lists (every page, following nextCursor)

  async listTools(options?: CallOptions): Promise<ToolDescriptor[]> {
    const tools = await this.#list<ToolDescriptor>('tools/list', 'tools', options);
    if (this.#options.validateToolOutput) this.#outputValidators.learn(tools);
    return tools;
  }
  listResources(options?: CallOptions): Promise<ResourceDescriptor[]> {
    return this.#list<ResourceDescriptor>('resources/list', 'resources', options);
  }
  listResourceTemplates(options?: CallOptions): Promise<ResourceTemplateDescriptor[]> {
    return this.#list<ResourceTemplateDescriptor>('resources/templates/list', 'resourceTemplates', options);
  }
  listPrompts(options?: CallOptions): Promise<PromptDescriptor[]> {
    return this.#list<PromptDescriptor>('prompts/list', 'prompts', options);
  }

  // ---- calls

  /** Calls a tool; the result is checked against the tool's outputSchema (see McpClientOptions.validateToolOutput). */
  async callTool(params: CallToolParams, options?: CallOptions): Promise<CallToolResult> {
    const result = (await this.request('tools/call', params as unknown as JsonObject, options)) as CallToolResult;
    if (this.#options.validateToolOutput) await this.#outputValidators.check(params.name, result);
    return result;
  }
  async readResource(params: { uri: string }, options?: CallOptions): Promise<ReadResourceResult> {
    return (await this.request('resources/read', params, options)) as ReadResourceResult;
  }
  async getPrompt(params: GetPromptParams, options?: CallOptions): Promise<GetPromptResult> {
    return (await this.request('prompts/get', params as unknown as JsonObject, options)) as GetPromptResult;
  }
  async complete(params: CompleteParams, options?: CallOptions): Promise<CompleteResult> {
    return (await this.request('completion/complete', params as unknown as JsonObject, options)) as CompleteResult;
  }

  /**
   * Asks for notifications/resources/updated of `uri`: resources/subscribe in the legacy era; in the modern era the
   * URI joins the client's subscriptions/listen filter (resolves once the server acknowledged it).
   */
  async subscribeResource(uri: string, options?: CallOptions): Promise<void> {
    if (this.#requireSession() && this.era === 'modern') {
      await this.#notifications.subscribe(uri);
      return;
    }
    await this.request('resources/subscribe', { uri }, options);
  }

  async unsubscribeResource(uri: string, options?: CallOptions): Promise<void> {
    if (this.#requireSession() && this.era === 'modern') {
      await this.#notifications.unsubscribe(uri);
      return;
    }
    await this.request('resources/unsubscribe', { uri }, options);
  }

  /**
   * The lowest level of the server's notifications/message: logging/setLevel in the legacy era; in the modern era
   * (which has no logging/setLevel) the level is sent in every request's `_meta` from now on, without which a modern
   * server sends no log messages at all.
   */
  async setLoggingLevel(level: LoggingLevel, options?: CallOptions): Promise<void> {
    if (this.#requireSession() && this.era === 'modern') {
      this.#logLevel = level;
      this.#envelopeCache = undefined;
      return;
    }
    await this.request('logging/setLevel', { level }, options);
  }

  /** A round trip to the server: ping in the legacy era; server/discover in the modern era, which has no ping. */
  async ping(options?: CallOptions): Promise<void> {
    await this.request(
      this.#requireSession() && this.era === 'modern' ? 'server/discover' : 'ping',
      undefined,
      options,
    );
  }

  /** Replaces the roots answered to roots/list; in the legacy era the server is sent notifications/roots/list_changed. */
  setRoots(roots: Root[]): void {
    this.#callbacks.roots = roots;
    this.#envelopeCache = undefined;
    if (this.#session && this.era === 'legacy') {
      this.#callbacks.install(this.#session);
      this.#session.notify('notifications/roots/list_changed');
    }
  }

  /**
   * Calls `handler` with the params of each `method` notification from the server (list_changed, resources/updated,
   * message, progress, …); returns a function that removes it. In the modern era a list_changed handler makes the
   * client open (or widen) its subscriptions/listen stream, since modern servers send changes only there.
   */
  onNotification(method: string, handler: ClientNotificationHandler): () => void {
    return this.#notifications.on(method, handler);
  }

  /**
   * Sends any request (custom methods included) and resolves with its result. In the modern era the `_meta`
   * envelope is added, `resultType` is removed from the result, and `input_required` results are answered and retried.
   */
  async request(method: string, params?: JsonObject, options: CallOptions = {}): Promise<JsonObject> {
    if (this.#resuming) await this.#waitResumed(method, options);
    const session = this.#requireSession();
    const maxTotal = options.maxTotalTimeoutMs ?? this.#options.maxTotalTimeoutMs;
    const send = (p: JsonObject | undefined, maxTotalTimeoutMs: number | undefined) =>
      session.request(method, this.era === 'modern' ? this.#withEnvelope(p) : p, {
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? this.#options.timeoutMs,
        resetTimeoutOnProgress: options.resetTimeoutOnProgress,
        maxTotalTimeoutMs,
        onProgress: options.onProgress,
      });
    if (this.era !== 'modern') return send(params, maxTotal);
    const startedAt = Date.now();
    const first = await send(params, maxTotal);
    return runInputRequired({
      method,
      params: params ?? {},
      first,
      callbacks: this.#callbacks,
      maxRounds: this.#options.maxInputRounds,
      signal: options.signal,
      maxTotalTimeoutMs: maxTotal,
      startedAt,
      send,
    });
  }

  // ---- internals

  #requireSession(): JsonRpcSession {
    if (!this.#session || !this.#negotiated) {
      throw new NmcpError(
        ErrorCode.INVALID_STATE,
        this.#connecting ? 'McpClient is still connecting' : 'McpClient is not connected: call connect() first',
      );
    }
    return this.#session;
  }

  #list<T>(method: string, key: string, options: CallOptions | undefined): Promise<T[]> {
    return collectPages<T>(method, key, (cursor) =>
      this.request(method, cursor === undefined ? undefined : { cursor }, options),
    );
  }

  /** The modern envelope (cached: rebuilt when the log level or the roots change). */
  #envelope(): JsonObject {
    this.#envelopeCache ??= envelope(
      (this.#negotiated?.protocolVersion ?? MODERN_VERSIONS[0]) as (typeof MODERN_VERSIONS)[number],
      { clientInfo: this.#info, capabilities: this.capabilities },
      this.#logLevel,
    );
    return this.#envelopeCache;
  }

  /** Adds the envelope to params._meta; keys the caller set in _meta win. */
  #withEnvelope(params: JsonObject | undefined): JsonObject {
    const meta = params?._meta as JsonObject | undefined;
    return { ...params, _meta: { ...this.#envelope(), ...meta } };
  }

  #install(session: JsonRpcSession): void {
    this.#callbacks.install(session);
    session.requestHandlers.set('ping', () => ({}));
    this.#notifications.attach(session);
  }

  /** The transport lost its connection and is dialling again (in-flight requests have failed already). */
  #onInterrupted(): void {
    if (this.#resuming) return;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // nobody may be waiting
    this.#resuming = { promise, resolve, reject };
  }

  /**
   * A new connection is up: the server behind it is a new session, so the handshake is redone (legacy: initialize
   * with the version negotiated first, which must be granted again; modern: server/discover) before any request
   * that waited goes out. A failed handshake closes the client.
   */
  async #onResumed(session: JsonRpcSession, identity: Identity): Promise<void> {
    const negotiated = this.#negotiated;
    if (!negotiated || session !== this.#session) return;
    const timeout = this.#options.timeoutMs;
    try {
      if (negotiated.era === 'legacy') {
        const version = negotiated.protocolVersion as LegacyVersion;
        this.#negotiated = await legacyHandshake(session, version, true, identity, timeout);
      } else {
        const version = negotiated.protocolVersion as ModernVersion;
        const probed = await probe(
          session,
          { identity, offered: [version], fallback: false, timeoutMs: timeout },
          false,
        );
        if (probed.era === 'modern') this.#negotiated = probed.negotiated;
        // The listen stream died with the old connection: open it again on the new one.
        this.#notifications.close();
        const listen = new ListenManager(
          session,
          () => this.#envelope(),
          timeout,
          (e) => this.#onError(e),
        );
        void this.#notifications
          .useListen(listen, this.#negotiated?.serverCapabilities ?? {})
          .catch((e: Error) => this.#onError(e));
      }
    } catch (err) {
      if (lostAgain(err)) return; // the new connection was lost too: the next resume redoes the handshake
      await session.close(err as Error).catch(() => {});
      return;
    }
    const resuming = this.#resuming;
    this.#resuming = undefined;
    resuming?.resolve();
  }

  /** Waits for a reconnect and its handshake, within the request's timeout and signal. */
  async #waitResumed(method: string, options: CallOptions): Promise<void> {
    const resuming = this.#resuming as Resuming;
    const ms = options.timeoutMs ?? this.#options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        resuming.promise,
        new Promise<never>((_, reject) => {
          if (ms > 0) {
            timer = setTimeout(
              () =>
                reject(
                  new NmcpError(
                    ErrorCode.CONNECTION_CLOSED,
                    `${method}: the connection was lost and is still reconnecting after ${ms} ms`,
                    { reconnecting: true },
                  ),
                ),
              ms,
            );
          }
          const signal = options.signal;
          if (signal) {
            onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
            if (signal.aborted) onAbort();
            else signal.addEventListener('abort', onAbort, { once: true });
          }
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #onClosed(reason: Error | undefined): void {
    const resuming = this.#resuming;
    this.#resuming = undefined;
    resuming?.reject(
      new NmcpError(
        ErrorCode.CONNECTION_CLOSED,
        `the connection is closed${reason ? `: ${reason.message}` : ''}`,
        {},
        reason ? { cause: reason } : undefined,
      ),
    );
    this.#notifications.close();
    try {
      this.onclose?.(reason);
    } catch (err) {
      this.#onError(err as Error);
    }
  }
}
