/**
 * Wire constants of both eras used across the server (docs/mcp-eras.md), and small helpers shared by its modules.
 */

import { type JsonObject, McpError, RpcCode } from '../protocol/jsonrpc.js';

/** Reserved `_meta` keys of the modern (2026-07-28) per-request envelope. */
export const META = {
  PROTOCOL_VERSION: 'io.modelcontextprotocol/protocolVersion',
  CLIENT_CAPABILITIES: 'io.modelcontextprotocol/clientCapabilities',
  CLIENT_INFO: 'io.modelcontextprotocol/clientInfo',
  LOG_LEVEL: 'io.modelcontextprotocol/logLevel',
  SERVER_INFO: 'io.modelcontextprotocol/serverInfo',
  SUBSCRIPTION_ID: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** MCP error codes beyond those in RpcCode (src/protocol/jsonrpc.ts). */
export const McpCode = {
  /** Modern era: a header and the body disagree (HTTP only). */
  HEADER_MISMATCH: -32020,
  /** Modern era: the request needs a client capability its `_meta` did not declare. */
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  /** Modern era: the request's protocol version is unknown or unsupported. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;

export const EMPTY_OBJECT: JsonObject = Object.freeze({}) as JsonObject;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export function invalidParams(message: string, data?: unknown): McpError {
  return new McpError(RpcCode.INVALID_PARAMS, message, data);
}

/** A required string param, or -32602 naming it. */
export function requireString(params: JsonObject, key: string, method: string): string {
  const value = params[key];
  if (typeof value !== 'string') {
    throw invalidParams(`Invalid params: ${method} requires "${key}" (a string)`);
  }
  return value;
}

/** Message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
