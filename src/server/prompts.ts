/**
 * Prompts: registration, prompts/list (cached, paginated; arguments derived from the args schema) and prompts/get
 * (arguments validated against the schema: -32602 when they do not fit).
 */

import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';
import type { HandlerContext, ServerContext } from './context.js';
import { type Call, contextFor, runHandler, type ServerCore } from './core.js';
import { NamedRegistry } from './named-registry.js';
import { Registration } from './registration.js';
import { type CompiledSchema, compileSchema, type SchemaLike, type StandardSchemaV1 } from './schema.js';
import type { CompleteCallback, GetPromptResult, Icon } from './types.js';
import { invalidParams, isObject, isPromiseLike } from './wire.js';

export interface PromptConfig<Args extends SchemaLike | undefined = SchemaLike | undefined> {
  title?: string;
  description?: string;
  /**
   * The arguments, as a JSON Schema object whose properties are strings, or a Standard Schema (e.g. a zod object).
   * Listed as the prompt's `arguments` (name, description, required); prompts/get validates against it.
   */
  argsSchema?: Args;
  /** Completion of argument values (completion/complete), by argument name. An argument with `enum` completes alone. */
  complete?: { [argument: string]: CompleteCallback };
  icons?: Icon[];
  _meta?: JsonObject;
}

export type PromptArgs<Args> =
  Args extends StandardSchemaV1<unknown, infer Output> ? Output : { [name: string]: string };

export type PromptHandler<Args = { [name: string]: string }> = (
  args: Args,
  ctx: ServerContext,
) => GetPromptResult | Promise<GetPromptResult>;

export interface PromptUpdate {
  name?: string;
  title?: string;
  description?: string;
  argsSchema?: SchemaLike;
  complete?: { [argument: string]: CompleteCallback };
  icons?: Icon[];
  _meta?: JsonObject;
  handler?: PromptHandler<never>;
  enabled?: boolean;
}

/** A registered prompt: enable(), disable(), update() and remove() send notifications/prompts/list_changed. */
export class RegisteredPrompt extends Registration<PromptUpdate, PromptRegistry> {
  /** @internal */ config: PromptConfig;
  /** @internal */ args: CompiledSchema | undefined;
  /** @internal */ handler: PromptHandler<never>;

  constructor(registry: PromptRegistry, name: string, config: PromptConfig, handler: PromptHandler<never>) {
    super(registry, name);
    this.config = config;
    this.handler = handler;
    this.args = config.argsSchema && compileSchema(config.argsSchema, `prompt "${name}" argsSchema`, 'input');
  }

  update(changes: PromptUpdate): void {
    const name = changes.name ?? this.name;
    const args =
      changes.argsSchema !== undefined
        ? compileSchema(changes.argsSchema, `prompt "${name}" argsSchema`, 'input')
        : this.args;
    if (name !== this.name) this.owner.rename(this, this.name, name);
    const config: PromptConfig = { ...this.config };
    for (const key of ['title', 'description', 'argsSchema', 'complete', 'icons', '_meta'] as const) {
      if (changes[key] !== undefined) (config as JsonObject)[key] = changes[key];
    }
    this.setName(name);
    this.config = config;
    this.args = args;
    if (changes.handler) this.handler = changes.handler;
    this.setEnabled(changes.enabled);
    this.owner.changed();
  }

  /** The JSON Schema of one argument (for completion by enum), if the args schema has it. */
  argumentSchema(name: string): JsonObject | undefined {
    const properties = this.args?.json.properties;
    const schema = isObject(properties) ? properties[name] : undefined;
    return isObject(schema) ? schema : undefined;
  }

  /** The prompts/list entry. */
  toJSON(): JsonObject {
    const c = this.config;
    const out: JsonObject = { name: this.name };
    if (c.title !== undefined) out.title = c.title;
    if (c.description !== undefined) out.description = c.description;
    const json = this.args?.json;
    if (json && isObject(json.properties)) {
      const required = Array.isArray(json.required) ? json.required : [];
      out.arguments = Object.entries(json.properties).map(([name, schema]) => {
        const arg: JsonObject = { name };
        if (isObject(schema) && typeof schema.title === 'string') arg.title = schema.title;
        if (isObject(schema) && typeof schema.description === 'string') arg.description = schema.description;
        arg.required = required.includes(name);
        return arg;
      });
    }
    if (c.icons !== undefined) out.icons = c.icons;
    if (c._meta !== undefined) out._meta = c._meta;
    return out;
  }
}

export class PromptRegistry extends NamedRegistry<RegisteredPrompt> {
  constructor(core: ServerCore) {
    super(core, 'prompt');
  }

  register(name: string, config: PromptConfig, handler: PromptHandler<never>): RegisteredPrompt {
    return this.add(name, handler, () => new RegisteredPrompt(this, name, config ?? {}, handler));
  }

  /** The enabled prompt `name`, or -32602. */
  require(name: unknown): RegisteredPrompt {
    if (typeof name !== 'string') throw invalidParams('Invalid params: "name" must be a string');
    const prompt = this.entries.get(name);
    if (prompt === undefined) throw invalidParams(`Prompt ${name} not found`);
    if (!prompt.enabled) throw invalidParams(`Prompt ${name} disabled`);
    return prompt;
  }

  /** prompts/get. */
  getPrompt(call: Call): unknown {
    const prompt = this.require(call.params.name);
    const given = call.params.arguments;
    if (given !== undefined && !isObject(given)) {
      throw invalidParams(`Invalid params: "arguments" of prompt ${prompt.name} must be an object`);
    }
    const args = given ?? {};
    const ctx = contextFor(this.core, call, `prompts/get\u0000${prompt.name}`);
    if (prompt.args === undefined) return this.#run(prompt, args, ctx);
    const checked = prompt.args.validate(args);
    const after = (v: Awaited<typeof checked>) => {
      if (!v.ok) {
        throw new McpError(RpcCode.INVALID_PARAMS, `Invalid arguments for prompt ${prompt.name}: ${v.message}`);
      }
      return this.#run(prompt, v.value, ctx);
    };
    return isPromiseLike(checked) ? Promise.resolve(checked).then(after) : after(checked);
  }

  #run(prompt: RegisteredPrompt, args: unknown, ctx: HandlerContext): unknown {
    const handler = prompt.handler as PromptHandler<unknown>;
    return runHandler(this.core, 'prompts/get', ctx, () => handler(args, ctx), checkMessages);
  }
}

function checkMessages(result: unknown): void {
  if (!isObject(result) || !Array.isArray(result.messages)) {
    throw new McpError(RpcCode.INTERNAL_ERROR, 'Internal error: a prompt handler must return { messages: [...] }');
  }
}
