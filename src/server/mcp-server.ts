/**
 * McpServer: tools, resources and prompts served to any number of connections, each speaking the legacy era
 * (initialize; 2024-11-05 … 2025-11-25) or the modern era (2026-07-28; per-request `_meta`) — see docs/mcp-eras.md and
 * docs/design/api.md. Registries are shared; everything about a client (era, version, capabilities, log level,
 * subscriptions) lives in its ServerSession and never leaks into another.
 */

import { resolveOptions } from '../config/options.js';
import { ErrorCode, NmcpError } from '../errors.js';
import { openTelemetryRegistered } from '../ops/otel-global.js';
import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import { MODERN_VERSIONS } from '../protocol/versions.js';
import { JsonRpcSession, type RequestTracer, type SessionObserver } from '../session/session.js';
import type { Transport } from '../transport/types.js';
import { Completer } from './completion.js';
import { HandlerContext } from './context.js';
import type { ListKind, ServerCore } from './core.js';
import { assertCacheHint, CACHEABLE_METHODS, ModernEncoder } from './encode.js';
import { RequestStateCodec } from './input-required.js';
import { type CallHandler, createGate, initializeHandler, type MethodTables } from './lifecycle.js';
import { broadcastLog, setLevel } from './logging.js';
import {
  type PromptArgs,
  type PromptConfig,
  type PromptHandler,
  PromptRegistry,
  type RegisteredPrompt,
} from './prompts.js';
import {
  type ReadResourceHandler,
  type ReadTemplateHandler,
  type RegisteredResource,
  type RegisteredResourceTemplate,
  type ResourceMetadata,
  ResourceRegistry,
  ResourceTemplate,
} from './resources.js';
import type { SchemaLike } from './schema.js';
import { ServerSession, stateOf } from './server-session.js';
import { Subscriptions } from './subscriptions.js';
import type { TaskStore } from './task-store.js';
import { LEGACY_TASKS_CAPABILITY, TASKS_EXTENSION, TaskManager, type TaskOptions } from './tasks.js';
import { type RegisteredTool, type ToolArgs, type ToolConfig, type ToolHandler, ToolRegistry } from './tools.js';
import type {
  CacheableMethod,
  CacheHint,
  Implementation,
  LoggingLevel,
  ServerCapabilities,
  ServerInfo,
} from './types.js';
import { isObject } from './wire.js';

const SPREAD: WorkerCallOptions = Object.freeze({ spread: true });
const ARGUMENTS_PATH = Object.freeze(['params', 'arguments']);

/**
 * A tool's or prompt's arguments as their request's frame text, for the worker to JSON.parse: bench:pool-args found it
 * as cheap for the event loop as a structured clone at every size, and far cheaper for object-heavy arguments (a
 * string copy against a walk of the object graph; docs/worker-pool.md). Only when the handler gets the very object
 * parsed from that frame: a JSON Schema validates it in place, while a Standard Schema may return a transformed copy, a
 * missing `arguments` became {}, and a request in a batch or a task's run has no frame. Otherwise undefined: a clone.
 */
function fromFrame(args: unknown, ctx: unknown): WorkerCallOptions | undefined {
  const frame = ctx instanceof HandlerContext ? ctx.frame : undefined;
  if (frame === undefined || frame.params.arguments !== args || typeof args !== 'object' || args === null) {
    return undefined;
  }
  return { source: { text: frame.text, path: ARGUMENTS_PATH } };
}

/** Told of every session a server opens and closes (NmcpMetrics implements it: src/metrics). */
export interface ServerObserver {
  /** A session started on `transport`; the SessionObserver returned counts its messages. */
  sessionOpened(session: ServerSession, transport: Transport): SessionObserver | undefined;
  /** It closed. */
  sessionClosed(session: ServerSession, transport: Transport): void;
}

export interface McpServerOptions {
  /** Items per list page (tools/list, resources/list, …); 1 … 100,000. Default 1000. */
  pageSize?: number;
  /** A handler running longer is aborted (ctx.signal) and answered with -32001; 0 = no limit (default). */
  requestTimeoutMs?: number;
  /** Timeout of server→client requests (legacy sampling / elicitation / roots), ms. Default 60,000. */
  outboundTimeoutMs?: number;
  /** Key of the HMAC that signs modern-era requestState (≥ 32 bytes). Default: 32 random bytes per server. */
  requestStateSecret?: Uint8Array | string;
  /** How long a requestState stays valid, ms. Default 600,000 (10 minutes). */
  requestStateTtlMs?: number;
  /** Most subscriptions/listen streams open at once per session. Default 1024. */
  maxSubscriptions?: number;
  /** Declared on top of what the registrations imply (e.g. `tools: {}` before any tool exists; `experimental`). */
  capabilities?: ServerCapabilities;
  /** Modern-era cache hints (ttlMs, cacheScope) per cacheable method. Default { ttlMs: 0, cacheScope: 'private' }. */
  cacheHints?: Partial<Record<CacheableMethod, CacheHint>>;
  /** Errors that cannot be sent to a client (a notification handler that threw, a late response). */
  onError?: (error: Error) => void;
  /**
   * Legacy era: called when a session's client sends notifications/roots/list_changed (its roots changed: call
   * `session.listRoots()` for the new list). Also per session: `session.onrootslistchanged`. Default: none (the
   * notification is accepted and ignored). A throw goes to onError.
   */
  onRootsListChanged?: (session: ServerSession) => void;
  /**
   * Tasks (docs/mcp-eras.md §7): store, TTL, polling interval. Tasks are served once a tool declares
   * `execution.taskSupport`, or when this is given (e.g. before any such tool is registered).
   */
  tasks?: TaskOptions;
  /**
   * Runs the tools, resources and prompts registered with `runIn: 'worker'` (a WorkerPool from 'nmcp/pool':
   * docs/worker-pool.md). Default: none (such a registration throws, saying so).
   */
  workerPool?: WorkerRunner;
}

/** A handler to run in a worker thread: its module (a file URL or an absolute path) and export (default 'default'). */
export interface WorkerSpec {
  module: string | URL;
  export?: string;
  /** At most this many of its calls in the pool at once. */
  concurrency?: number;
  /** A call running longer is answered with -32001 and its worker replaced, ms. */
  timeoutMs?: number;
}

/** How one call's arguments go to the worker (WorkerRunner.run's last parameter). */
export interface WorkerCallOptions {
  /** `args` is an array of the handler's arguments before ctx: a resource's `(uri)` or `(uri, variables)`. */
  spread?: boolean;
  /**
   * JSON text `args` was parsed from and is still equal to (the request's frame), and where in it they are: the worker
   * JSON.parses the text instead of `args` being structured-cloned (cheaper for the event loop: docs/worker-pool.md).
   */
  source?: { text: string; path: readonly string[] };
}

/** What `runIn: 'worker'` needs of the server's workerPool (WorkerPool has it). */
export interface WorkerRunner {
  run(
    spec: WorkerSpec,
    args: unknown,
    ctx: {
      signal?: AbortSignal;
      meta?: Record<string, unknown> | undefined;
      progress?(progress: number, total?: number, message?: string): void;
    },
    options?: WorkerCallOptions,
  ): Promise<unknown>;
}

/** A registration whose handler runs in the server's workerPool: the worker's export returns the result. */
export interface RunInWorker {
  runIn: 'worker';
  worker: WorkerSpec;
}

interface ScalarOptions extends Record<string, number | string | boolean> {
  pageSize: number;
  requestTimeoutMs: number;
  outboundTimeoutMs: number;
  requestStateTtlMs: number;
  maxSubscriptions: number;
}

const DEFAULTS: Readonly<ScalarOptions> = Object.freeze({
  pageSize: 1000,
  requestTimeoutMs: 0, // ms, 0 = none
  outboundTimeoutMs: 60_000, // ms
  requestStateTtlMs: 600_000, // ms
  maxSubscriptions: 1024,
});

const RULES = {
  pageSize: { min: 1, max: 100_000, what: 'items per page' },
  requestTimeoutMs: { min: 0, max: 86_400_000, what: 'milliseconds, 0 = none' },
  outboundTimeoutMs: { min: 0, max: 86_400_000, what: 'milliseconds, 0 = none' },
  requestStateTtlMs: { min: 1000, max: 86_400_000, what: 'milliseconds' },
  maxSubscriptions: { min: 1, max: 1_000_000, what: 'streams per session' },
} as const;

const OBJECT_OPTIONS = [
  'requestStateSecret',
  'capabilities',
  'cacheHints',
  'onError',
  'onRootsListChanged',
  'tasks',
  'workerPool',
] as const;
const UNTIMED = new Set(['subscriptions/listen']);

function optionError(key: string, message: string): NmcpError {
  return new NmcpError(ErrorCode.INVALID_OPTION, `McpServer.${key} ${message}`, { key: `McpServer.${key}` });
}

export class McpServer {
  /** serverInfo (initialize) and `_meta["io.modelcontextprotocol/serverInfo"]` (modern results). */
  readonly info: Readonly<Implementation>;
  readonly instructions: string | undefined;
  readonly options: Readonly<ScalarOptions>;

  readonly #declared: ServerCapabilities;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #onRootsListChanged: ((session: ServerSession) => void) | undefined;
  readonly #core: ServerCore;
  readonly #tools: ToolRegistry;
  readonly #resources: ResourceRegistry;
  readonly #prompts: PromptRegistry;
  readonly #subscriptions: Subscriptions;
  readonly #tables: MethodTables;
  readonly #initialize: CallHandler;
  readonly #sessions = new Set<ServerSession>();
  readonly #tasksDeclared: boolean;
  #capabilities: ServerCapabilities | undefined;
  readonly #changed = new Set<ListKind>();
  #closed = false;
  #observer: ServerObserver | undefined;
  /** undefined: automatic (OpenTelemetry when an SDK is registered); false: off. */
  #tracer: RequestTracer | false | undefined;
  /** Set while the server sheds load: every request is answered with it (refuseRequests). */
  #refusal: McpError | undefined;
  #workerPool: WorkerRunner | undefined;

  constructor(info: ServerInfo, options: McpServerOptions = {}) {
    if (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string') {
      throw new NmcpError(ErrorCode.INVALID_OPTION, 'McpServer: info must be { name: string, version: string, … }', {});
    }
    const { instructions, ...implementation } = info;
    this.info = Object.freeze(implementation);
    this.instructions = instructions;
    if (typeof options !== 'object' || options === null) throw optionError('options', 'must be an object');
    const scalars: JsonObject = { ...options };
    for (const key of OBJECT_OPTIONS) delete scalars[key];
    this.options = resolveOptions('McpServer', DEFAULTS, RULES, scalars as Partial<ScalarOptions>);
    const { requestStateSecret, capabilities, cacheHints, onError, onRootsListChanged, tasks, workerPool } = options;
    if (workerPool !== undefined && typeof (workerPool as Partial<WorkerRunner>).run !== 'function') {
      throw optionError('workerPool', 'must be a WorkerPool (an object with run(spec, args, ctx))');
    }
    this.#workerPool = workerPool;
    if (tasks !== undefined && !isObject(tasks as unknown)) throw optionError('tasks', 'must be an object');
    if (capabilities !== undefined && !isObject(capabilities as unknown)) {
      throw optionError('capabilities', 'must be an object');
    }
    if (onError !== undefined && typeof onError !== 'function') throw optionError('onError', 'must be a function');
    if (onRootsListChanged !== undefined && typeof onRootsListChanged !== 'function') {
      throw optionError('onRootsListChanged', 'must be a function');
    }
    if (cacheHints !== undefined) {
      if (!isObject(cacheHints as unknown)) throw optionError('cacheHints', 'must be an object');
      for (const [method, hint] of Object.entries(cacheHints)) {
        if (!(CACHEABLE_METHODS as readonly string[]).includes(method)) {
          throw optionError(`cacheHints.${method}`, `is not a cacheable method (${CACHEABLE_METHODS.join(', ')})`);
        }
        try {
          if (hint !== undefined) assertCacheHint(hint, `McpServer.cacheHints.${method}`);
        } catch (err) {
          throw optionError(`cacheHints.${method}`, (err as Error).message);
        }
      }
    }
    if (
      requestStateSecret !== undefined &&
      typeof requestStateSecret !== 'string' &&
      !(requestStateSecret instanceof Uint8Array)
    ) {
      throw optionError('requestStateSecret', 'must be a string or a Uint8Array');
    }
    this.#declared = capabilities ?? {};
    this.#onError = onError;
    this.#onRootsListChanged = onRootsListChanged;
    this.#tasksDeclared = tasks !== undefined;
    const pageSize = this.options.pageSize;
    const encoder = new ModernEncoder(this.info, cacheHints);
    let taskManager: TaskManager;
    try {
      taskManager = new TaskManager(tasks ?? {}, encoder, (err) => this.#onError?.(err));
    } catch (err) {
      throw optionError('tasks', (err as Error).message.replace(/^McpServer\.tasks\.\S+ /, ''));
    }
    this.#core = {
      pageSize,
      encoder,
      stateCodec: new RequestStateCodec(requestStateSecret, this.options.requestStateTtlMs),
      tasks: taskManager,
      listChanged: (kind) => this.#listChanged(kind),
    };
    this.#tools = new ToolRegistry(this.#core);
    this.#resources = new ResourceRegistry(this.#core);
    this.#prompts = new PromptRegistry(this.#core);
    this.#subscriptions = new Subscriptions(() => this.getCapabilities(), this.info, this.options.maxSubscriptions);
    this.#initialize = initializeHandler((protocolVersion) => {
      const result: JsonObject = {
        protocolVersion,
        capabilities: this.#legacyCapabilities(protocolVersion),
        serverInfo: this.info,
      };
      if (this.instructions !== undefined) result.instructions = this.instructions;
      return result;
    });
    this.#tables = this.#methodTables();
  }

  #methodTables(): MethodTables {
    const completer = new Completer(this.#core, this.#prompts, this.#resources);
    const shared: [string, CallHandler][] = [
      ['tools/list', (c) => this.#tools.list.page(c.params.cursor, c.era)],
      ['tools/call', (c) => this.#tools.call(c)],
      ['resources/list', (c) => this.#resources.listResources(c)],
      ['resources/templates/list', (c) => this.#resources.templateList.page(c.params.cursor, c.era)],
      ['resources/read', (c) => this.#resources.read(c)],
      ['prompts/list', (c) => this.#prompts.list.page(c.params.cursor, c.era)],
      ['prompts/get', (c) => this.#prompts.getPrompt(c)],
      ['completion/complete', (c) => completer.complete(c)],
    ];
    const tasks = this.#core.tasks;
    // Served only once tasks are on (a task-supporting tool, or the `tasks` option); -32601 before, as unknown.
    const ifTasks =
      (handler: CallHandler): CallHandler =>
      (c) => {
        if (!this.tasksEnabled) throw new McpError(RpcCode.METHOD_NOT_FOUND, 'Method not found');
        return handler(c);
      };
    const legacy = new Map<string, CallHandler>([
      ...shared,
      ['resources/subscribe', (c) => this.#subscriptions.subscribe(c)],
      ['resources/unsubscribe', (c) => this.#subscriptions.unsubscribe(c)],
      ['logging/setLevel', setLevel],
      ['ping', () => undefined],
      ['tasks/get', ifTasks((c) => tasks.legacyGet(c))],
      ['tasks/result', ifTasks((c) => tasks.legacyResult(c))],
      ['tasks/list', ifTasks((c) => tasks.legacyList(c))],
      ['tasks/cancel', ifTasks((c) => tasks.legacyCancel(c))],
    ]);
    // SEP-2663 removed tasks/result and tasks/list: in 2026-07-28 they are unknown methods (-32601).
    const modern = new Map<string, CallHandler>([
      ...shared,
      ['server/discover', () => this.#discover()],
      ['subscriptions/listen', (c) => this.#subscriptions.listen(c)],
      ['tasks/get', ifTasks((c) => tasks.get(c))],
      ['tasks/update', ifTasks((c) => tasks.update(c))],
      ['tasks/cancel', ifTasks((c) => tasks.cancel(c))],
    ]);
    return { legacy, modern };
  }

  #discover(): unknown {
    const result: JsonObject = { supportedVersions: [...MODERN_VERSIONS], capabilities: this.getCapabilities() };
    if (this.instructions !== undefined) result.instructions = this.instructions;
    return this.#core.encoder.complete('server/discover', result);
  }

  /** The capabilities sent at initialize and server/discover: what is registered, plus what was declared. */
  getCapabilities(): ServerCapabilities {
    if (this.#capabilities) return this.#capabilities;
    const d = this.#declared;
    const caps: ServerCapabilities = {};
    if (d.experimental) caps.experimental = d.experimental;
    caps.logging = d.logging ?? {};
    const hasTemplates = this.#resources.templateCount > 0;
    if (this.#prompts.size > 0 || hasTemplates || d.completions) caps.completions = d.completions ?? {};
    if (this.#prompts.size > 0 || d.prompts) caps.prompts = { listChanged: true, ...d.prompts };
    if (this.#resources.resourceCount > 0 || hasTemplates || d.resources) {
      caps.resources = { subscribe: true, listChanged: true, ...d.resources };
    }
    if (this.#tools.size > 0 || d.tools) caps.tools = { listChanged: true, ...d.tools };
    if (d.extensions) caps.extensions = d.extensions;
    if (this.tasksEnabled) caps.extensions = { ...caps.extensions, [TASKS_EXTENSION]: {} };
    this.#capabilities = caps;
    return caps;
  }

  /** Whether tasks are served: a tool declares execution.taskSupport, or the `tasks` option was given. */
  get tasksEnabled(): boolean {
    return this.#tasksDeclared || this.#tools.hasTaskSupport;
  }

  /** Where this server's tasks live (the `tasks.store` option, or the default InMemoryTaskStore). */
  get taskStore(): TaskStore {
    return this.#core.tasks.store;
  }

  /**
   * initialize's capabilities: the tasks extension is a 2026-07-28 thing; a 2025-11-25 session gets the
   * experimental core `tasks` capability instead, and older revisions have no tasks.
   */
  #legacyCapabilities(version: string): ServerCapabilities {
    const caps = this.getCapabilities();
    if (!this.tasksEnabled) return caps;
    const out: ServerCapabilities & { tasks?: JsonObject } = { ...caps };
    const { [TASKS_EXTENSION]: _, ...extensions } = caps.extensions ?? {};
    if (Object.keys(extensions).length > 0) out.extensions = extensions;
    else delete out.extensions;
    if (version === '2025-11-25') out.tasks = LEGACY_TASKS_CAPABILITY;
    return out;
  }

  /** Registers a tool. Its schemas are compiled now (NmcpError INVALID_OPTION for an invalid one). */
  registerTool<Input extends SchemaLike | undefined = undefined>(
    name: string,
    config: ToolConfig<Input>,
    handler: ToolHandler<ToolArgs<Input>>,
  ): RegisteredTool;
  /** A tool whose handler runs in the workerPool: `{ …, runIn: 'worker', worker: { module, export } }`. */
  registerTool<Input extends SchemaLike | undefined = undefined>(
    name: string,
    config: ToolConfig<Input> & RunInWorker,
  ): RegisteredTool;
  registerTool<Input extends SchemaLike | undefined = undefined>(
    name: string,
    config: ToolConfig<Input> | (ToolConfig<Input> & RunInWorker),
    handler?: ToolHandler<ToolArgs<Input>>,
  ): RegisteredTool {
    const r = this.#inWorker('registerTool', name, config, handler);
    return this.#tools.register(name, r.config as ToolConfig, r.handler as ToolHandler<never>);
  }

  /**
   * A registration's config without `runIn` / `worker`, and its handler: the one given, or for `runIn: 'worker'` one
   * that runs the worker spec in the workerPool. A wrong combination is a coded error naming the registration.
   */
  #inWorker(
    method: string,
    name: string,
    config: object,
    handler: unknown,
    calledWith: 'args' | 'uri' | 'uri, variables' = 'args',
  ): { config: object; handler: unknown } {
    const { runIn, worker, ...plain } = config as { runIn?: unknown; worker?: WorkerSpec };
    if (runIn === undefined && worker === undefined) return { config, handler };
    if (runIn === undefined || runIn === 'main') return { config: plain, handler };
    const bad = (message: string) =>
      new NmcpError(ErrorCode.INVALID_OPTION, `${method}("${name}"): ${message}`, { key: `${method}.runIn`, name });
    if (runIn !== 'worker') throw bad(`runIn must be 'worker' or 'main', got ${JSON.stringify(runIn)}`);
    if (handler !== undefined) throw bad("give either a handler or runIn: 'worker' with worker: { module, export }");
    if (typeof worker !== 'object' || worker === null) throw bad("runIn: 'worker' needs worker: { module, export? }");
    const pool = this.#workerPool;
    if (pool === undefined) {
      throw bad("runIn: 'worker' needs a pool: new McpServer(info, { workerPool: new WorkerPool() }) ('nmcp/pool')");
    }
    type Ctx = Parameters<WorkerRunner['run']>[2];
    switch (calledWith) {
      case 'args':
        return {
          config: plain,
          handler: (args: unknown, ctx: Ctx) => pool.run(worker, args, ctx, fromFrame(args, ctx)),
        };
      case 'uri':
        return { config: plain, handler: (uri: string, ctx: Ctx) => pool.run(worker, [uri], ctx, SPREAD) };
      case 'uri, variables':
        return {
          config: plain,
          handler: (uri: string, variables: unknown, ctx: Ctx) => pool.run(worker, [uri, variables], ctx, SPREAD),
        };
    }
  }

  /** Registers a static resource (a URI) or a template (a ResourceTemplate). */
  registerResource(
    name: string,
    uri: string,
    metadata: ResourceMetadata,
    handler: ReadResourceHandler,
  ): RegisteredResource;
  registerResource(
    name: string,
    template: ResourceTemplate,
    metadata: ResourceMetadata,
    handler: ReadTemplateHandler,
  ): RegisteredResourceTemplate;
  /**
   * A resource whose read runs in the workerPool: `{ …, runIn: 'worker', worker: { module, export } }`; the export is
   * called as `(uri, ctx)` (worker ctx: signal, progress, meta).
   */
  registerResource(name: string, uri: string, metadata: ResourceMetadata & RunInWorker): RegisteredResource;
  /** A template whose reads run in the workerPool; the export is called as `(uri, variables, ctx)`. */
  registerResource(
    name: string,
    template: ResourceTemplate,
    metadata: ResourceMetadata & RunInWorker,
  ): RegisteredResourceTemplate;
  registerResource(
    name: string,
    uriOrTemplate: string | ResourceTemplate,
    metadata: ResourceMetadata | (ResourceMetadata & RunInWorker),
    handler?: ReadResourceHandler | ReadTemplateHandler,
  ): RegisteredResource | RegisteredResourceTemplate {
    const isTemplate = uriOrTemplate instanceof ResourceTemplate;
    const r = this.#inWorker('registerResource', name, metadata ?? {}, handler, isTemplate ? 'uri, variables' : 'uri');
    if (isTemplate) {
      return this.#resources.registerTemplate(name, uriOrTemplate, r.config, r.handler as ReadTemplateHandler);
    }
    if (typeof uriOrTemplate !== 'string' || uriOrTemplate.length === 0) {
      throw new NmcpError(ErrorCode.INVALID_OPTION, `registerResource: "${name}" needs a URI or a ResourceTemplate`, {
        name,
      });
    }
    return this.#resources.registerResource(name, uriOrTemplate, r.config, r.handler as ReadResourceHandler);
  }

  /** Registers a prompt. */
  registerPrompt<Args extends SchemaLike | undefined = undefined>(
    name: string,
    config: PromptConfig<Args>,
    handler: PromptHandler<PromptArgs<Args>>,
  ): RegisteredPrompt;
  /** A prompt whose handler runs in the workerPool: `{ …, runIn: 'worker', worker: { module, export } }`. */
  registerPrompt<Args extends SchemaLike | undefined = undefined>(
    name: string,
    config: PromptConfig<Args> & RunInWorker,
  ): RegisteredPrompt;
  registerPrompt<Args extends SchemaLike | undefined = undefined>(
    name: string,
    config: PromptConfig<Args> | (PromptConfig<Args> & RunInWorker),
    handler?: PromptHandler<PromptArgs<Args>>,
  ): RegisteredPrompt {
    const r = this.#inWorker('registerPrompt', name, config, handler);
    return this.#prompts.register(name, r.config as PromptConfig, r.handler as PromptHandler<never>);
  }

  /** Serves one connection. Each call makes a new session: one McpServer serves many clients. */
  async connect(transport: Transport): Promise<ServerSession> {
    if (this.#closed) throw new NmcpError(ErrorCode.INVALID_STATE, 'McpServer.connect(): the server is closed', {});
    const rpc = new JsonRpcSession(transport, {
      requestTimeoutMs: this.options.requestTimeoutMs,
      outboundTimeoutMs: this.options.outboundTimeoutMs,
      untimedMethods: UNTIMED,
      ...(this.#onError ? { onError: this.#onError } : {}),
    });
    // A workerPool call hands the request's frame text to the worker rather than cloning the parsed arguments.
    rpc.keepFrames = this.#workerPool !== undefined;
    const session = new ServerSession(rpc);
    const state = stateOf(session);
    const gate = createGate(session, state, this.#tables, this.#initialize, () => undefined);
    rpc.gate = (method, params, id) => {
      if (this.#refusal !== undefined) throw this.#refusal;
      return gate(method, params, id);
    };
    rpc.notificationHandlers.set('notifications/initialized', () => {
      if (state.phase !== 'legacy' || state.initialized) return;
      state.initialized = true;
      session.oninitialized?.();
    });
    // The modern era removed this notification (its clients send roots with each request): dropped there.
    rpc.notificationHandlers.set('notifications/roots/list_changed', () => {
      if (state.phase !== 'legacy') return;
      session.onrootslistchanged?.();
      this.#onRootsListChanged?.(session);
    });
    rpc.observer = this.#observer?.sessionOpened(session, transport);
    if (this.#tracer === undefined && openTelemetryRegistered()) {
      const { OpenTelemetryTracer } = await import('../ops/tracing.js');
      this.#tracer ??= new OpenTelemetryTracer();
    }
    rpc.tracer = this.#tracer || undefined;
    rpc.onclose = (reason) => {
      this.#sessions.delete(session);
      state.subscriptions.clear();
      state.listens.clear();
      this.#observer?.sessionClosed(session, transport);
      session.onclose?.(reason);
    };
    this.#sessions.add(session);
    try {
      await rpc.start();
    } catch (err) {
      this.#sessions.delete(session);
      this.#observer?.sessionClosed(session, transport);
      throw err;
    }
    return session;
  }

  /**
   * Counts every session's messages with `observer` (NmcpMetrics.observe does this), the open sessions included;
   * undefined stops. One observer per server: a second replaces the first.
   */
  setObserver(observer: ServerObserver | undefined): void {
    const previous = this.#observer;
    this.#observer = observer;
    for (const session of this.#sessions) {
      if (previous !== undefined) previous.sessionClosed(session, session.rpc.transport);
      session.rpc.observer = observer?.sessionOpened(session, session.rpc.transport);
    }
  }

  /**
   * Tracing of requests (src/ops/tracing.ts): by default (undefined) a span per request through OpenTelemetry once an
   * SDK is registered in the process; a RequestTracer of yours instead; false for none. Applies to sessions opened
   * from now on.
   */
  setTracer(tracer: RequestTracer | false | undefined): void {
    this.#tracer = tracer;
  }

  /**
   * Load shedding: while set, every request of every session — new sessions' initialize included — is answered with
   * `error` at once (the handlers do not run); undefined accepts requests again. What the memory monitor does over
   * memoryShedBytes (src/metrics/memory-monitor.ts).
   */
  refuseRequests(error: McpError | undefined): void {
    this.#refusal = error;
  }

  /** The error requests are refused with while the server sheds load (refuseRequests), else undefined. */
  get refusal(): McpError | undefined {
    return this.#refusal;
  }

  /**
   * The request methods this server answers in either era (initialize, ping, tools/call, …), sorted: what a route table
   * lists for it (McpHost registers them in its RouteRegistry). Dispatch itself stays in the session.
   */
  get methods(): readonly string[] {
    const all = new Set(['initialize', ...this.#tables.legacy.keys(), ...this.#tables.modern.keys()]);
    return [...all].sort();
  }

  /** The open sessions. */
  get sessions(): ReadonlySet<ServerSession> {
    return this.#sessions;
  }

  /** notifications/resources/updated to every session subscribed to `uri` (legacy subscribe, or a modern listen). */
  sendResourceUpdated(uri: string): void {
    this.#subscriptions.resourceUpdated(this.#sessions, uri);
  }

  /** Announces a list change by hand (registrations announce their own). */
  sendToolListChanged(): void {
    this.#listChanged('tools');
  }

  sendResourceListChanged(): void {
    this.#listChanged('resources');
  }

  sendPromptListChanged(): void {
    this.#listChanged('prompts');
  }

  /** notifications/message to every legacy session whose log level allows `level`. Returns how many were sent. */
  log(level: LoggingLevel, data: unknown, logger?: string): number {
    return broadcastLog(this.#sessions, level, data, logger);
  }

  /** Ends every listen stream with its result, closes every session, and refuses new connections. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#core.tasks.close();
    await Promise.all([...this.#sessions].map((session) => session.close()));
  }

  /** Coalesces list_changed notifications: one per kind per event-loop turn, however many registrations. */
  #listChanged(kind: ListKind): void {
    this.#capabilities = undefined;
    if (this.#sessions.size === 0) return;
    const first = this.#changed.size === 0;
    this.#changed.add(kind);
    if (!first) return;
    queueMicrotask(() => {
      for (const changed of this.#changed) this.#subscriptions.listChanged(this.#sessions, changed);
      this.#changed.clear();
    });
  }
}
