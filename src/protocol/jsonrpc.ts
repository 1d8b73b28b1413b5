/**
 * JSON-RPC 2.0 wire types and the error codes nmcp sends to peers (JSON-RPC's and MCP's). These are protocol errors,
 * carried in responses; runtime errors thrown to nmcp's user are NmcpError (src/errors.ts).
 */

export type RequestId = string | number;

export type JsonObject = { [key: string]: unknown };

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: JsonObject;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: JsonObject;
}

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: RequestId;
  result: JsonObject;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcErrorResponse;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** Error codes in JSON-RPC error objects. */
export const RpcCode = {
  // JSON-RPC 2.0
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  // Implementation-defined server errors (-32000 … -32099), as the official SDKs use them
  CONNECTION_CLOSED: -32000,
  REQUEST_TIMEOUT: -32001,
  // MCP
  RESOURCE_NOT_FOUND: -32002,
  URL_ELICITATION_REQUIRED: -32042,
} as const;

export type RpcCodeValue = (typeof RpcCode)[keyof typeof RpcCode];

/**
 * A protocol error: thrown by a handler (or raised by nmcp) and sent to the peer as a JSON-RPC error object; also what a
 * request promise rejects with when the peer answers with an error.
 */
export class McpError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'McpError';
    this.code = code;
    this.data = data;
  }

  toJSON(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** A valid JSON-RPC/MCP request id: a string or a finite number (MCP forbids null). */
export function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Pre-serialized JSON that a handler returns instead of an object, so that a cached result (a list page, say) is
 * spliced into the response without JSON.stringify running again.
 */
export class RawJson {
  constructor(readonly json: string) {}
}
