import { encodeHeaderValue } from './outbound.js';

/**
 * `Mcp-Param-{Name}` headers of the modern era (SEP-2243; docs/mcp-eras.md §3.11): a tool whose `inputSchema` marks a
 * property with `"x-mcp-header": "Name"` must be called with that argument mirrored in a header, or a server answers
 * 400 / -32020. The transport learns the declarations from the tools/list results it carries.
 */
export interface ParamDeclaration {
  /** Property names from the arguments object down to the value. */
  readonly path: readonly string[];
  readonly header: string;
}

/** RFC 9110 token: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean', 'number']);

/**
 * The declarations of one tool's inputSchema: properties reachable through a chain of `properties` keys, primitive
 * typed, with a token name. Anything the spec calls invalid (a declaration under items, anyOf, …, a non-token name)
 * is left out: the server judges such a tool, not the client.
 */
export function scanParamDeclarations(inputSchema: unknown): ParamDeclaration[] {
  const out: ParamDeclaration[] = [];
  const visit = (node: unknown, path: string[]): void => {
    if (typeof node !== 'object' || node === null) return;
    const schema = node as Record<string, unknown>;
    const name = schema['x-mcp-header'];
    if (
      path.length > 0 &&
      typeof name === 'string' &&
      TOKEN.test(name) &&
      typeof schema.type === 'string' &&
      PRIMITIVE.has(schema.type)
    ) {
      out.push({ path, header: name });
    }
    const properties = schema.properties;
    if (typeof properties !== 'object' || properties === null) return;
    for (const [key, child] of Object.entries(properties)) visit(child, [...path, key]);
  };
  visit(inputSchema, []);
  return out;
}

/** The headers for one tools/call: a null or absent value, or one that is not a primitive, gets no header. */
export function paramHeaders(declarations: readonly ParamDeclaration[], args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { path, header } of declarations) {
    let value: unknown = args;
    for (const key of path) {
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    }
    let text: string | undefined;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean') text = value ? 'true' : 'false';
    else if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!Number.isInteger(value) || Number.isSafeInteger(value))
    ) {
      text = String(value);
    }
    if (text !== undefined) out[`mcp-param-${header.toLowerCase()}`] = encodeHeaderValue(text);
  }
  return out;
}
