/**
 * Client-side check of tool results against the tools' `outputSchema`, as the official SDK clients do: a server that
 * declares structured output and then returns none, or returns content that breaks its own schema, is a server bug the
 * caller should hear about instead of reading malformed data. Validators are compiled once per tools/list (ajv, the
 * same compiler the server uses), never per call; a tool whose schema does not compile is simply not checked.
 */

import { ErrorCode, NmcpError } from '../errors.js';
import type { JsonObject } from '../protocol/jsonrpc.js';
import { type CompiledSchema, compileSchema } from '../server/schema.js';
import type { CallToolResult, ToolDescriptor } from './types.js';

export class OutputValidators {
  #byTool = new Map<string, CompiledSchema>();

  /** Replaces the validators with those of a complete tools/list. */
  learn(tools: readonly ToolDescriptor[]): void {
    const next = new Map<string, CompiledSchema>();
    for (const tool of tools) {
      if (tool.outputSchema === undefined || typeof tool.name !== 'string') continue;
      try {
        next.set(
          tool.name,
          compileSchema(tool.outputSchema as JsonObject, `tool "${tool.name}" outputSchema`, 'output'),
        );
      } catch {
        // An unusable schema from the server: nothing to check against (the SDKs skip such tools too).
      }
    }
    this.#byTool = next;
  }

  /** Throws NMCP_ERR_INVALID_RESULT when `result` breaks the tool's declared output schema. */
  async check(name: string, result: CallToolResult): Promise<void> {
    const schema = this.#byTool.get(name);
    if (schema === undefined || result.isError === true) return;
    if (result.structuredContent === undefined) {
      throw new NmcpError(
        ErrorCode.INVALID_RESULT,
        `tool ${name} declares an outputSchema but its result has no structuredContent`,
        { tool: name },
      );
    }
    const v = await schema.validate(result.structuredContent);
    if (!v.ok) {
      throw new NmcpError(
        ErrorCode.INVALID_RESULT,
        `tool ${name} returned structuredContent that does not match its outputSchema: ${v.message}`,
        { tool: name },
      );
    }
  }
}
