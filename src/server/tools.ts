/**
 * Tools: registration, tools/list (cached, paginated) and tools/call. The call path is a Map lookup, the compiled input
 * validator, the handler, and — when the tool declares one — the compiled output validator; a synchronous handler is
 * answered synchronously. A thrown error becomes an `isError: true` result (a tool failure is a result, not a
 * protocol error); an unknown tool or invalid arguments are -32602.
 */

import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import type { HandlerContext, ServerContext } from './context.js';
import { type Call, contextFor, pendingInput, type ServerCore } from './core.js';
import { NamedRegistry } from './named-registry.js';
import { Registration } from './registration.js';
import {
  type CompiledSchema,
  compileSchema,
  type SchemaLike,
  type StandardSchemaV1,
  type Validation,
} from './schema.js';
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
}

/** The arguments a handler receives: a Standard Schema's output type, else a JSON object. */
export type ToolArgs<Input> = Input extends StandardSchemaV1<unknown, infer Output> ? Output : JsonObject;

export type ToolHandler<Args = JsonObject> = (
  args: Args,
  ctx: ServerContext,
) => CallToolResult | undefined | Promise<CallToolResult | undefined>;

export interface ToolUpdate {
  name?: string;
  title?: string;
  description?: string;
  inputSchema?: SchemaLike;
  outputSchema?: SchemaLike | null;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  _meta?: JsonObject;
  handler?: ToolHandler<never>;
  enabled?: boolean;
}

const EMPTY_INPUT_SCHEMA: JsonObject = Object.freeze({ type: 'object', properties: {} }) as JsonObject;

/** A registered tool: enable(), disable(), update() and remove() each send notifications/tools/list_changed. */
export class RegisteredTool extends Registration<ToolUpdate, ToolRegistry> {
  /** @internal */ config: ToolConfig;
  /** @internal */ input: CompiledSchema | undefined;
  /** @internal */ output: CompiledSchema | undefined;
  /** @internal */ handler: ToolHandler<never>;

  constructor(registry: ToolRegistry, name: string, config: ToolConfig, handler: ToolHandler<never>) {
    super(registry, name);
    this.config = config;
    this.handler = handler;
    this.input = config.inputSchema && compileSchema(config.inputSchema, `tool "${name}" inputSchema`, 'input');
    this.output = config.outputSchema && compileSchema(config.outputSchema, `tool "${name}" outputSchema`, 'output');
  }

  /** Changes the tool; schemas given are compiled now (throws NmcpError for an invalid one, changing nothing). */
  update(changes: ToolUpdate): void {
    const name = changes.name ?? this.name;
    const config: ToolConfig = { ...this.config };
    for (const key of ['title', 'description', 'inputSchema', 'annotations', 'icons', '_meta'] as const) {
      if (changes[key] !== undefined) (config as JsonObject)[key] = changes[key];
    }
    if (changes.outputSchema === null) delete config.outputSchema;
    else if (changes.outputSchema !== undefined) config.outputSchema = changes.outputSchema;
    const input =
      changes.inputSchema !== undefined
        ? compileSchema(changes.inputSchema, `tool "${name}" inputSchema`, 'input')
        : this.input;
    const output =
      changes.outputSchema === null
        ? undefined
        : changes.outputSchema !== undefined
          ? compileSchema(changes.outputSchema, `tool "${name}" outputSchema`, 'output')
          : this.output;
    if (name !== this.name) this.owner.rename(this, this.name, name);
    this.setName(name);
    this.config = config;
    this.input = input;
    this.output = output;
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
    if (tool.input === undefined) return this.#invoke(tool, args, ctx);
    const checked = tool.input.validate(args);
    if (isPromiseLike(checked)) return Promise.resolve(checked).then((v) => this.#validated(tool, v, ctx));
    return this.#validated(tool, checked, ctx);
  }

  #validated(tool: RegisteredTool, v: Validation, ctx: HandlerContext): unknown {
    if (!v.ok) {
      throw new McpError(
        RpcCode.INVALID_PARAMS,
        `Input validation error: Invalid arguments for tool ${tool.name}: ${v.message}`,
      );
    }
    return this.#invoke(tool, v.value, ctx);
  }

  #invoke(tool: RegisteredTool, args: unknown, ctx: HandlerContext): unknown {
    let result: unknown;
    try {
      result = (tool.handler as ToolHandler<unknown>)(args, ctx);
    } catch (err) {
      return this.#failed(err, ctx);
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (r) => this.#finish(tool, r, ctx),
        (err: unknown) => this.#failed(err, ctx),
      );
    }
    return this.#finish(tool, result, ctx);
  }

  #finish(tool: RegisteredTool, result: unknown, ctx: HandlerContext): unknown {
    if (ctx.era === 'modern') {
      const input = pendingInput(this.core, ctx);
      if (input) return input;
    }
    if (result === undefined) result = { content: [] };
    if (!isObject(result)) return this.#encode(toolError(`Tool ${tool.name} returned a non-object result`), ctx);
    let r = result as JsonObject;
    if (r.content === undefined) {
      // Every revision requires `content`; structured output also travels as its JSON text (the spec's SHOULD).
      const text =
        r.structuredContent === undefined ? [] : [{ type: 'text', text: JSON.stringify(r.structuredContent) }];
      r = { ...r, content: text };
    }
    if (tool.output && r.isError !== true) {
      if (r.structuredContent === undefined) {
        return this.#encode(
          toolError(
            `Output validation error: Tool ${tool.name} has an output schema but no structured content was provided`,
          ),
          ctx,
        );
      }
      const checked = tool.output.validate(r.structuredContent);
      const after = (v: Validation) =>
        v.ok
          ? this.#encode(r, ctx)
          : this.#encode(
              toolError(`Output validation error: Invalid structured content for tool ${tool.name}: ${v.message}`),
              ctx,
            );
      return isPromiseLike(checked) ? Promise.resolve(checked).then(after) : after(checked);
    }
    return this.#encode(r, ctx);
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
