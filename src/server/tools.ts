/**
 * Tools: registration, tools/list (cached, paginated) and tools/call. The call path is a Map lookup, the compiled input
 * validator, the handler, and — when the tool declares one — the compiled output validator; a synchronous handler is
 * answered synchronously. A thrown error becomes an `isError: true` result (a tool failure is a result, not a
 * protocol error); an unknown tool or invalid arguments are -32602.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import type { HandlerContext, ServerContext } from './context.js';
import { type Call, contextFor, pendingInput, type ServerCore } from './core.js';
import { NamedRegistry } from './named-registry.js';
import { Registration } from './registration.js';
import {
  type CompiledSchema,
  compileSchema,
  listedOnly,
  type SchemaLike,
  type StandardSchemaV1,
  type Validation,
} from './schema.js';
import { declaresTasks, TaskManager, type TaskSupport, TaskWork, tasksRequired } from './tasks.js';
import type { CallToolResult, Icon, ToolAnnotations } from './types.js';
import { errorMessage, invalidParams, isObject, isPromiseLike } from './wire.js';

export interface ToolConfig<Input extends SchemaLike | undefined = SchemaLike | undefined> {
  title?: string;
  description?: string;
  /** JSON Schema (type: object) or a Standard Schema (e.g. a zod object); arguments are validated against it. */
  inputSchema?: Input;
  /** When present, every non-error result must carry `structuredContent` that validates against it. */
  outputSchema?: SchemaLike;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  _meta?: JsonObject;
  /**
   * Task support (docs/mcp-eras.md §7). 'optional' / 'required': the handler may `return asTask(work)` to run
   * `work` as a task when the client can take one; 'required' refuses callers that cannot (-32021 in 2026-07-28,
   * -32601 for a 2025-11-25 call without `task`). Listed in tools/list. Default 'forbidden'.
   */
  execution?: { taskSupport?: TaskSupport };
  /**
   * A proxied tool (McpGateway): `inputSchema` and `outputSchema` must be JSON Schema objects and are listed as given
   * but never compiled nor checked (the server behind the proxy validates), the result is sent as the handler returns
   * it, and an McpError the handler throws is answered as that JSON-RPC error rather than an `isError` result.
   * Default false.
   */
  passthrough?: boolean;
}

/** The arguments a handler receives: a Standard Schema's output type, else a JSON object. */
export type ToolArgs<Input> = Input extends StandardSchemaV1<unknown, infer Output> ? Output : JsonObject;

/** A tool handler: its result, or (tools declaring execution.taskSupport) asTask(work) to run `work` as a task. */
export type ToolHandler<Args = JsonObject> = (
  args: Args,
  ctx: ServerContext,
) => CallToolResult | TaskWork | undefined | Promise<CallToolResult | TaskWork | undefined>;

export interface ToolUpdate {
  name?: string;
  title?: string;
  description?: string;
  inputSchema?: SchemaLike;
  outputSchema?: SchemaLike | null;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  _meta?: JsonObject;
  execution?: { taskSupport?: TaskSupport };
  handler?: ToolHandler<never>;
  enabled?: boolean;
}

const TASK_SUPPORT: readonly string[] = ['forbidden', 'optional', 'required'];

function taskSupportOf(name: string, execution: ToolConfig['execution']): TaskSupport {
  const support = execution?.taskSupport ?? 'forbidden';
  if (!TASK_SUPPORT.includes(support)) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `tool "${name}": execution.taskSupport must be 'forbidden', 'optional' or 'required'`,
      { name },
    );
  }
  return support;
}

const EMPTY_INPUT_SCHEMA: JsonObject = Object.freeze({ type: 'object', properties: {} }) as JsonObject;

/** A registered tool: enable(), disable(), update() and remove() each send notifications/tools/list_changed. */
export class RegisteredTool extends Registration<ToolUpdate, ToolRegistry> {
  /** @internal */ config: ToolConfig;
  /** @internal */ input: CompiledSchema | undefined;
  /** @internal */ output: CompiledSchema | undefined;
  /** @internal */ handler: ToolHandler<never>;
  /** @internal */ taskSupport: TaskSupport;
  /** @internal */ readonly passthrough: boolean;

  constructor(registry: ToolRegistry, name: string, config: ToolConfig, handler: ToolHandler<never>) {
    super(registry, name);
    this.taskSupport = taskSupportOf(name, config.execution);
    this.config = config;
    this.handler = handler;
    this.passthrough = config.passthrough === true;
    const compile = this.passthrough ? listedOnly : compileSchema;
    this.input = config.inputSchema && compile(config.inputSchema, `tool "${name}" inputSchema`, 'input');
    this.output = config.outputSchema && compile(config.outputSchema, `tool "${name}" outputSchema`, 'output');
  }

  /** Changes the tool; schemas given are compiled now (throws NmcpError for an invalid one, changing nothing). */
  update(changes: ToolUpdate): void {
    const name = changes.name ?? this.name;
    const config: ToolConfig = { ...this.config };
    for (const key of ['title', 'description', 'inputSchema', 'annotations', 'icons', '_meta', 'execution'] as const) {
      if (changes[key] !== undefined) (config as JsonObject)[key] = changes[key];
    }
    if (changes.outputSchema === null) delete config.outputSchema;
    else if (changes.outputSchema !== undefined) config.outputSchema = changes.outputSchema;
    const compile = this.passthrough ? listedOnly : compileSchema;
    const input =
      changes.inputSchema !== undefined
        ? compile(changes.inputSchema, `tool "${name}" inputSchema`, 'input')
        : this.input;
    const output =
      changes.outputSchema === null
        ? undefined
        : changes.outputSchema !== undefined
          ? compile(changes.outputSchema, `tool "${name}" outputSchema`, 'output')
          : this.output;
    const taskSupport = taskSupportOf(name, config.execution);
    if (name !== this.name) this.owner.rename(this, this.name, name);
    this.setName(name);
    this.config = config;
    this.input = input;
    this.output = output;
    this.taskSupport = taskSupport;
    if (changes.handler) this.handler = changes.handler;
    this.setEnabled(changes.enabled);
    this.owner.changed();
  }

  /** The tools/list entry. */
  toJSON(): JsonObject {
    const c = this.config;
    const out: JsonObject = { name: this.name };
    if (c.title !== undefined) out.title = c.title;
    if (c.description !== undefined) out.description = c.description;
    out.inputSchema = this.input?.json ?? EMPTY_INPUT_SCHEMA;
    if (this.output) out.outputSchema = this.output.json;
    if (c.annotations !== undefined) out.annotations = c.annotations;
    if (c.icons !== undefined) out.icons = c.icons;
    if (c.execution !== undefined) out.execution = c.execution;
    if (c._meta !== undefined) out._meta = c._meta;
    return out;
  }
}

export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

export class ToolRegistry extends NamedRegistry<RegisteredTool> {
  constructor(core: ServerCore) {
    super(core, 'tool');
  }

  #hasTaskSupport: boolean | undefined;

  /** Whether a registered tool declares task support (the server then serves tasks). Cached until a change. */
  get hasTaskSupport(): boolean {
    if (this.#hasTaskSupport === undefined) {
      this.#hasTaskSupport = false;
      for (const tool of this.entries.values()) if (tool.taskSupport !== 'forbidden') this.#hasTaskSupport = true;
    }
    return this.#hasTaskSupport;
  }

  /** @internal */
  override changed(): void {
    this.#hasTaskSupport = undefined;
    super.changed();
  }

  register(name: string, config: ToolConfig, handler: ToolHandler<never>): RegisteredTool {
    return this.add(name, handler, () => new RegisteredTool(this, name, config ?? {}, handler));
  }

  /** tools/call. Returns the result (sync handlers), or a promise of it. */
  call(call: Call): unknown {
    const params = call.params;
    const name = params.name;
    if (typeof name !== 'string') throw invalidParams('Invalid params: tools/call requires "name" (a string)');
    const tool = this.entries.get(name);
    if (tool === undefined) throw invalidParams(`Tool ${name} not found`);
    if (!tool.enabled) throw invalidParams(`Tool ${name} disabled`);
    let args = params.arguments;
    if (args === undefined) args = {};
    else if (!isObject(args)) throw invalidParams(`Invalid params: "arguments" of tool ${name} must be an object`);
    const ctx = contextFor(this.core, call, call.era === 'modern' ? `tools/call\u0000${name}` : undefined);
    // A 2025-11-25 call with `task` runs the whole handler as a task; the legacy `task` param means nothing in
    // 2026-07-28 (the server decides there) and nothing for a tool without task support (processed normally).
    let legacyTask: JsonObject | undefined;
    if (tool.taskSupport !== 'forbidden') {
      if (call.era === 'modern') {
        if (tool.taskSupport === 'required' && !declaresTasks(ctx.clientCapabilities)) {
          throw tasksRequired(`tool ${name}`);
        }
      } else if (TaskManager.legacyAugmented(call)) legacyTask = params.task as JsonObject;
      else if (tool.taskSupport === 'required') {
        throw new McpError(
          RpcCode.METHOD_NOT_FOUND,
          `Tool ${name} runs only as a task: call it with "task" (task-augmented tools/call)`,
        );
      }
    }
    if (tool.input === undefined || tool.passthrough) return this.#dispatch(tool, args, ctx, legacyTask);
    const checked = tool.input.validate(args);
    if (isPromiseLike(checked)) {
      return Promise.resolve(checked).then((v) => this.#validated(tool, v, ctx, legacyTask));
    }
    return this.#validated(tool, checked, ctx, legacyTask);
  }

  #validated(tool: RegisteredTool, v: Validation, ctx: HandlerContext, legacyTask: JsonObject | undefined): unknown {
    if (!v.ok) {
      // A tool execution error, not a protocol error (spec 2025-11-25, SEP-1303; both official SDKs): the model sees the
      // message and can correct its arguments. Arguments that are not an object at all stay -32602 (call()).
      return this.#encode(
        toolError(`Input validation error: Invalid arguments for tool ${tool.name}: ${v.message}`),
        ctx,
      );
    }
    return this.#dispatch(tool, v.value, ctx, legacyTask);
  }

  #dispatch(tool: RegisteredTool, args: unknown, ctx: HandlerContext, legacyTask: JsonObject | undefined): unknown {
    if (legacyTask === undefined) return this.#invoke(tool, args, ctx);
    const tasks = this.core.tasks;
    const run = async (taskCtx: ServerContext) => {
      const result = await (tool.handler as ToolHandler<unknown>)(args, taskCtx);
      return result instanceof TaskWork ? result.work(taskCtx) : result;
    };
    const ttl = legacyTask.ttl;
    return tasks
      .start(
        ctx,
        (taskCtx) => this.#inTask(tool, () => run(taskCtx)),
        typeof ttl === 'number' ? { requestedTtlMs: ttl } : {},
      )
      .then((record) => tasks.legacyCreated(record));
  }

  #invoke(tool: RegisteredTool, args: unknown, ctx: HandlerContext): unknown {
    let result: unknown;
    try {
      result = (tool.handler as ToolHandler<unknown>)(args, ctx);
    } catch (err) {
      if (tool.passthrough && err instanceof McpError) throw err;
      return this.#failed(err, ctx);
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (r) => this.#finish(tool, r, ctx),
        (err: unknown) => (tool.passthrough && err instanceof McpError ? Promise.reject(err) : this.#failed(err, ctx)),
      );
    }
    return this.#finish(tool, result, ctx);
  }

  #finish(tool: RegisteredTool, result: unknown, ctx: HandlerContext): unknown {
    if (ctx.era === 'modern') {
      const input = pendingInput(this.core, ctx);
      if (input) return input;
    }
    if (result instanceof TaskWork) return this.#handOver(tool, result, ctx);
    const r = this.#normalized(tool, result);
    return isPromiseLike(r) ? Promise.resolve(r).then((v) => this.#encode(v, ctx)) : this.#encode(r, ctx);
  }

  /** A handler returned asTask(work): a task when the request can take one, else `work` runs inline. */
  #handOver(tool: RegisteredTool, task: TaskWork, ctx: HandlerContext): unknown {
    if (tool.taskSupport === 'forbidden') {
      return this.#encode(
        toolError(`Tool ${tool.name} returned asTask() but does not declare execution.taskSupport`),
        ctx,
      );
    }
    const tasks = this.core.tasks;
    if (ctx.era === 'modern' && declaresTasks(ctx.clientCapabilities)) {
      return tasks
        .start(ctx, (taskCtx) => this.#inTask(tool, () => task.work(taskCtx)), task.options)
        .then((record) => tasks.created(record));
    }
    // No task possible (an 'optional' tool): the work is the rest of this request.
    let result: unknown;
    try {
      result = task.work(ctx);
    } catch (err) {
      return this.#failed(err, ctx);
    }
    const done = (r: unknown) =>
      r instanceof TaskWork
        ? this.#encode(toolError(`Tool ${tool.name}: asTask() work returned asTask()`), ctx)
        : this.#finish(tool, r, ctx);
    return isPromiseLike(result)
      ? Promise.resolve(result).then(done, (err: unknown) => this.#failed(err, ctx))
      : done(result);
  }

  /**
   * The result a task stores. A thrown McpError is a protocol error — the task is `failed` with it (SEP-2663); any
   * other error is a tool error — `completed` with an isError result, as a synchronous call would answer.
   */
  async #inTask(tool: RegisteredTool, produce: () => unknown): Promise<JsonObject> {
    let result: unknown;
    try {
      result = await produce();
    } catch (err) {
      if (err instanceof McpError) throw err;
      return toolError(errorMessage(err)) as JsonObject;
    }
    if (result instanceof TaskWork) return toolError(`Tool ${tool.name}: asTask() inside a task`) as JsonObject;
    return this.#normalized(tool, result);
  }

  /** The result as sent: `content` defaulted, structured content checked against the output schema. */
  #normalized(tool: RegisteredTool, result: unknown): JsonObject | Promise<JsonObject> {
    if (result === undefined) result = { content: [] };
    if (!isObject(result)) return toolError(`Tool ${tool.name} returned a non-object result`) as JsonObject;
    let r = result as JsonObject;
    if (r.content === undefined) {
      // Every revision requires `content`; structured output also travels as its JSON text (the spec's SHOULD).
      const text =
        r.structuredContent === undefined ? [] : [{ type: 'text', text: JSON.stringify(r.structuredContent) }];
      r = { ...r, content: text };
    }
    if (!tool.output || r.isError === true || tool.passthrough) return r;
    if (r.structuredContent === undefined) {
      return toolError(
        `Output validation error: Tool ${tool.name} has an output schema but no structured content was provided`,
      ) as JsonObject;
    }
    const checked = tool.output.validate(r.structuredContent);
    const after = (v: Validation): JsonObject =>
      v.ok
        ? r
        : (toolError(
            `Output validation error: Invalid structured content for tool ${tool.name}: ${v.message}`,
          ) as JsonObject);
    return isPromiseLike(checked) ? Promise.resolve(checked).then(after) : after(checked);
  }

  #failed(err: unknown, ctx: HandlerContext): unknown {
    if (ctx.era === 'modern') {
      const input = pendingInput(this.core, ctx, err);
      if (input) return input;
    } else if (err instanceof McpError && err.code === RpcCode.URL_ELICITATION_REQUIRED) {
      throw err; // the legacy era's -32042 is a protocol error, as in both SDKs
    }
    return this.#encode(toolError(errorMessage(err)), ctx);
  }

  #encode(result: CallToolResult | JsonObject, ctx: HandlerContext): unknown {
    return ctx.era === 'legacy' ? result : this.core.encoder.complete('tools/call', result);
  }
}
