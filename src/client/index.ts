/** The MCP client (both protocol eras). */

export { DEFAULT_MAX_INPUT_ROUNDS } from './input-required.js';
export type { SubscriptionFilter } from './listen.js';
export { McpClient } from './mcp-client.js';
export { MAX_PAGES } from './pagination.js';
export type {
  CallOptions,
  CallToolParams,
  CallToolResult,
  ClientNotificationHandler,
  CompleteParams,
  CompleteResult,
  CreateMessageParams,
  CreateMessageResult,
  ElicitationHandler,
  ElicitationMode,
  ElicitParams,
  ElicitResult,
  GetPromptParams,
  GetPromptResult,
  Implementation,
  LoggingLevel,
  McpClientOptions,
  NegotiationMode,
  Progress,
  PromptDescriptor,
  ProtocolEra,
  ReadResourceResult,
  ResourceDescriptor,
  ResourceTemplateDescriptor,
  Root,
  SamplingHandler,
  ServerRequestContext,
  ToolDescriptor,
} from './types.js';
