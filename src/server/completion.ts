/**
 * completion/complete: suggestions for a prompt argument (its `complete` callback, else its schema's `enum` filtered by
 * prefix) or a resource-template variable (the template's `complete` callback). At most 100 values are sent, with
 * `total` and `hasMore` when there were more. Always answered (empty values when nothing completes), as SDK v2 does.
 */

import type { JsonObject } from '../protocol/jsonrpc.js';
import type { Call, ServerCore } from './core.js';
import type { PromptRegistry } from './prompts.js';
import type { ResourceRegistry } from './resources.js';
import type { CompleteCallback, CompletionContext, CompletionValues } from './types.js';
import { invalidParams, isObject, isPromiseLike } from './wire.js';

const MAX_VALUES = 100;

function toResult(suggestions: unknown): JsonObject {
  let values: string[];
  let total: number | undefined;
  let hasMore: boolean | undefined;
  if (Array.isArray(suggestions)) values = suggestions.map(String);
  else if (isObject(suggestions) && Array.isArray(suggestions.values)) {
    const s = suggestions as unknown as CompletionValues;
    values = s.values.map(String);
    total = s.total;
    hasMore = s.hasMore;
  } else values = [];
  if (values.length > MAX_VALUES) {
    total ??= values.length;
    hasMore = true;
    values = values.slice(0, MAX_VALUES);
  }
  const completion: JsonObject = { values };
  if (total !== undefined) completion.total = total;
  if (hasMore !== undefined) completion.hasMore = hasMore;
  return { completion };
}

export class Completer {
  constructor(
    private readonly core: ServerCore,
    private readonly prompts: PromptRegistry,
    private readonly resources: ResourceRegistry,
  ) {}

  complete(call: Call): unknown {
    const { ref, argument, context } = call.params;
    if (!isObject(ref) || typeof ref.type !== 'string') throw invalidParams('Invalid params: "ref" must be an object');
    if (!isObject(argument) || typeof argument.name !== 'string' || typeof argument.value !== 'string') {
      throw invalidParams('Invalid params: "argument" must be { name: string, value: string }');
    }
    const ctx: CompletionContext = {
      arguments:
        isObject(context) && isObject(context.arguments) ? (context.arguments as CompletionContext['arguments']) : {},
    };
    let callback: CompleteCallback | undefined;
    let enumValues: unknown[] | undefined;
    if (ref.type === 'ref/prompt') {
      const prompt = this.prompts.require(ref.name);
      callback = prompt.config.complete?.[argument.name];
      if (!callback) {
        const schema = prompt.argumentSchema(argument.name);
        if (schema && Array.isArray(schema.enum)) enumValues = schema.enum;
      }
    } else if (ref.type === 'ref/resource') {
      if (typeof ref.uri !== 'string') throw invalidParams('Invalid params: "ref.uri" must be a string');
      const template = this.resources.templateByUri(ref.uri);
      if (template === undefined && !this.resources.hasResource(ref.uri)) {
        throw invalidParams(`Resource template ${ref.uri} not found`);
      }
      callback = template?.enabled ? template.template.complete?.[argument.name] : undefined;
    } else {
      throw invalidParams(`Invalid params: unknown completion reference type ${JSON.stringify(ref.type)}`);
    }
    const encode = (result: JsonObject) =>
      call.era === 'legacy' ? result : this.core.encoder.complete('completion/complete', result);
    if (enumValues !== undefined) {
      const prefix = argument.value;
      return encode(toResult(enumValues.map(String).filter((v) => v.startsWith(prefix))));
    }
    if (!callback) return encode(toResult([]));
    const suggestions = callback(argument.value, ctx);
    return isPromiseLike(suggestions)
      ? Promise.resolve(suggestions).then((s) => encode(toResult(s)))
      : encode(toResult(suggestions));
  }
}
