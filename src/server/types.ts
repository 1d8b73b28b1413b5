/**
 * Wire shapes the server reads and writes (both eras). Kept loose where the spec is open (extra keys pass through),
 * strict where nmcp relies on a field.
 */

import type { JsonObject } from '../protocol/jsonrpc.js';

/** Severity order is the array order (RFC 5424, as MCP uses it). */
export const LOGGING_LEVELS = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
] as const;
export type LoggingLevel = (typeof LOGGING_LEVELS)[number];

export type Era = 'legacy' | 'modern';

export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
}

/** Name and version of an MCP implementation (serverInfo / clientInfo). */
export interface Implementation {
  name: string;
  version: string;
  title?: string;
  description?: string;
  websiteUrl?: string;
  icons?: Icon[];
}

/** What `new McpServer(info)` takes: the implementation plus the instructions sent at initialize / discover. */
export interface ServerInfo extends Implementation {
  instructions?: string;
}

export interface ServerCapabilities {
  experimental?: { [key: string]: JsonObject };
  logging?: JsonObject;
  completions?: JsonObject;
  prompts?: { listChanged?: boolean };
  resources?: { subscribe?: boolean; listChanged?: boolean };
  tools?: { listChanged?: boolean };
  extensions?: { [key: string]: JsonObject };
}

export interface ClientCapabilities {
  roots?: { listChanged?: boolean };
  sampling?: JsonObject;
  elicitation?: JsonObject;
  experimental?: { [key: string]: JsonObject };
  [key: string]: unknown;
}

export interface ContentAnnotations {
  audience?: ('user' | 'assistant')[];
  priority?: number;
  lastModified?: string;
}

export interface TextContent {
  type: 'text';
  text: string;
  annotations?: ContentAnnotations;
  _meta?: JsonObject;
}

export interface ImageContent {
  type: 'image';
  /** base64 */
  data: string;
  mimeType: string;
  annotations?: ContentAnnotations;
  _meta?: JsonObject;
}

export interface AudioContent {
  type: 'audio';
  /** base64 */
  data: string;
  mimeType: string;
  annotations?: ContentAnnotations;
  _meta?: JsonObject;
}

export interface ResourceLink {
  type: 'resource_link';
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: ContentAnnotations;
  _meta?: JsonObject;
}

export interface TextResourceContents {
  uri: string;
  mimeType?: string;
  text: string;
  _meta?: JsonObject;
}

export interface BlobResourceContents {
  uri: string;
  mimeType?: string;
  /** base64 */
  blob: string;
  _meta?: JsonObject;
}

export type ResourceContents = TextResourceContents | BlobResourceContents;

export interface EmbeddedResource {
  type: 'resource';
  resource: ResourceContents;
  annotations?: ContentAnnotations;
  _meta?: JsonObject;
}

export type ContentBlock = TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource;

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface CallToolResult {
  content?: ContentBlock[];
  structuredContent?: JsonObject;
  isError?: boolean;
  _meta?: JsonObject;
}

export interface ReadResourceResult {
  contents: ResourceContents[];
  _meta?: JsonObject;
}

/** One entry of resources/list. */
export interface Resource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: ContentAnnotations;
  icons?: Icon[];
  _meta?: JsonObject;
}

export interface PromptMessage {
  role: 'user' | 'assistant';
  content: ContentBlock;
}

export interface GetPromptResult {
  description?: string;
  messages: PromptMessage[];
  _meta?: JsonObject;
}

export interface Root {
  uri: string;
  name?: string;
  _meta?: JsonObject;
}

export interface ListRootsResult {
  roots: Root[];
}

/** sampling/createMessage params (open: the spec adds fields per revision). */
export interface CreateMessageParams {
  messages: { role: 'user' | 'assistant'; content: unknown }[];
  maxTokens: number;
  systemPrompt?: string;
  modelPreferences?: JsonObject;
  includeContext?: 'none' | 'thisServer' | 'allServers';
  temperature?: number;
  stopSequences?: string[];
  metadata?: JsonObject;
  [key: string]: unknown;
}

export interface CreateMessageResult {
  role: 'user' | 'assistant';
  content: unknown;
  model: string;
  stopReason?: string;
  [key: string]: unknown;
}

/** elicitation/create params: form mode (requestedSchema) or URL mode (mode: 'url', url). */
export interface ElicitParams {
  message: string;
  mode?: 'form' | 'url';
  requestedSchema?: JsonObject;
  url?: string;
  /** URL mode, legacy era (2025-11-25): names the interaction (generated when absent; see completeElicitation). */
  elicitationId?: string;
  [key: string]: unknown;
}

export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: JsonObject;
  [key: string]: unknown;
}

/** Modern-era cache hint of a cacheable result (ttlMs / cacheScope). */
export interface CacheHint {
  /** How long the client may reuse the result, ms (non-negative integer). */
  ttlMs?: number;
  /** 'private' (this client only) or 'public' (shareable). */
  cacheScope?: 'public' | 'private';
}

/** The methods whose modern-era results carry ttlMs / cacheScope. */
export type CacheableMethod =
  | 'tools/list'
  | 'prompts/list'
  | 'resources/list'
  | 'resources/templates/list'
  | 'resources/read'
  | 'server/discover';

/** completion/complete result body. */
export interface CompletionValues {
  values: string[];
  total?: number;
  hasMore?: boolean;
}

/** Context of a completion request (the other arguments already filled in). */
export interface CompletionContext {
  arguments?: { [name: string]: string };
}

/** Suggests values for one prompt argument or template variable. At most 100 are sent. */
export type CompleteCallback = (
  value: string,
  context: CompletionContext,
) => string[] | CompletionValues | Promise<string[] | CompletionValues>;

/** The notification types a modern-era client opts in to with subscriptions/listen. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}
