/**
 * Schemas of tool inputs / outputs and prompt arguments: plain JSON Schema (validated with ajv, dialect 2020-12) or any
 * Standard Schema (zod 4, valibot, arktype, …: validated through `~standard.validate`, listed through its Standard JSON
 * Schema `~standard.jsonSchema` or a `toJSONSchema()` method). Each schema is compiled ONCE, at registration; the
 * request path only calls the compiled validator.
 */

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { ErrorCode, NmcpError } from '../errors.js';
import type { JsonObject } from '../protocol/jsonrpc.js';
import { isObject, isPromiseLike } from './wire.js';

/** A JSON Schema object (the dialect is 2020-12 unless `$schema` says otherwise). */
export type JsonSchemaObject = { [key: string]: unknown };

/** The Standard Schema v1 interface (https://standardschema.dev), declared structurally: no runtime dependency. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    /** Standard JSON Schema (zod ≥ 4.2 and others): the schema as JSON Schema. */
    readonly jsonSchema?: {
      readonly input: (options: { target: string }) => JsonObject;
      readonly output: (options: { target: string }) => JsonObject;
    };
  }
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  }
}

/** What a registration accepts as a schema. */
export type SchemaLike = JsonSchemaObject | StandardSchemaV1;

export type Validation = { ok: true; value: unknown } | { ok: false; message: string };

/** A schema compiled once: its JSON Schema (for listing) and a validator (sync when the schema allows). */
export interface CompiledSchema {
  readonly json: JsonObject;
  validate(value: unknown): Validation | Promise<Validation>;
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (typeof value !== 'object' && typeof value !== 'function') return false;
  const std = (value as { '~standard'?: unknown } | null)?.['~standard'];
  return isObject(std) && typeof std.validate === 'function';
}

let ajv: Ajv2020 | undefined;
function getAjv(): Ajv2020 {
  // strict: false accepts the annotations and vendor keywords real tool schemas carry; formats are annotations here;
  // addUsedSchema: false lets two tools use the same $id.
  ajv ??= new Ajv2020({ strict: false, validateFormats: false, addUsedSchema: false, allErrors: false });
  return ajv;
}

const DIALECT_2020 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Compiles a schema for `what` (e.g. 'tool "echo" inputSchema'). `objectRoot` requires the schema to describe an object
 * (tool inputs and outputs must). Throws NmcpError(INVALID_OPTION) for an unusable schema.
 */
export function compileSchema(
  schema: SchemaLike,
  what: string,
  io: 'input' | 'output',
  objectRoot = true,
): CompiledSchema {
  if (isStandardSchema(schema)) return compileStandard(schema, what, io, objectRoot);
  if (!isObject(schema)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${what} must be a JSON Schema object or a Standard Schema`, {
      what,
    });
  }
  if (objectRoot && schema.type !== undefined && schema.type !== 'object') {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${what} must describe an object (type: "object")`, { what });
  }
  // ajv's 2020 build knows only its own meta-schema; other dialects' keywords used by tools are compatible.
  const toCompile = schema.$schema !== undefined && schema.$schema !== DIALECT_2020 ? withoutDialect(schema) : schema;
  let fn: ValidateFunction;
  try {
    fn = getAjv().compile(toCompile);
  } catch (err) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${what} is not a valid JSON Schema: ${(err as Error).message}`, {
      what,
    });
  }
  const instance = getAjv();
  return {
    json: schema as JsonObject,
    validate(value) {
      if (fn(value)) return { ok: true, value };
      return {
        ok: false,
        message: instance.errorsText(fn.errors, { dataVar: io === 'input' ? 'arguments' : 'output' }),
      };
    },
  };
}

/**
 * A JSON Schema kept for listing only: not compiled, every value passes (a proxied tool's schema, which the server
 * behind the proxy checks). Throws NmcpError(INVALID_OPTION) unless `schema` is a JSON object.
 */
export function listedOnly(schema: SchemaLike, what: string, _io?: 'input' | 'output'): CompiledSchema {
  if (!isObject(schema) || isStandardSchema(schema)) {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${what} of a passthrough tool must be a JSON Schema object`, {
      what,
    });
  }
  return { json: schema as JsonObject, validate: (value) => ({ ok: true, value }) };
}

function compileStandard(schema: StandardSchemaV1, what: string, io: 'input' | 'output', objectRoot: boolean) {
  const json = standardToJsonSchema(schema, io, what);
  if (objectRoot && json.type !== undefined && json.type !== 'object') {
    throw new NmcpError(ErrorCode.INVALID_OPTION, `${what} must describe an object`, { what });
  }
  const std = schema['~standard'];
  const toValidation = (r: StandardSchemaV1.Result<unknown>): Validation =>
    r.issues === undefined ? { ok: true, value: r.value } : { ok: false, message: formatIssues(r.issues) };
  return {
    json,
    validate(value: unknown) {
      const r = std.validate(value);
      return isPromiseLike(r) ? Promise.resolve(r).then(toValidation) : toValidation(r);
    },
  } satisfies CompiledSchema;
}

/** The JSON Schema of a Standard Schema, for listing; `{ type: 'object' }` when the library offers none. */
export function standardToJsonSchema(schema: StandardSchemaV1, io: 'input' | 'output', what: string): JsonObject {
  let json: unknown;
  try {
    const js = schema['~standard'].jsonSchema;
    if (js) json = js[io]({ target: 'draft-2020-12' });
    else {
      const toJSONSchema = (schema as { toJSONSchema?: unknown }).toJSONSchema;
      if (typeof toJSONSchema === 'function') json = toJSONSchema.call(schema);
    }
  } catch (err) {
    throw new NmcpError(
      ErrorCode.INVALID_OPTION,
      `${what} cannot be converted to JSON Schema: ${(err as Error).message}`,
      { what },
    );
  }
  if (!isObject(json)) return { type: 'object' };
  return withoutDialect(json);
}

function withoutDialect(schema: JsonObject): JsonObject {
  if (schema.$schema === undefined) return schema;
  const { $schema: _dropped, ...rest } = schema;
  return rest;
}

function formatIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  return issues
    .map((issue) => {
      const path = issue.path
        ?.map((p) => String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p))
        .join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
