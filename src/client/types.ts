/**
 * The client's public types: its options, per-call options, the callbacks that answer the server (sampling,
 * elicitation, roots) and the shapes of the results it returns. Result shapes are open (`[key: string]: unknown`):
 * the client passes on whatever the server sent, including fields of revisions newer than these types.
 */

import type { JsonObject } from '../protocol/jsonrpc.js';
import type { ProtocolVersion } from '../protocol/versions.js';

/** `'legacy'` (2025 handshake era) or `'modern'` (2026-07-28 and later: no handshake, `_meta` on every request). */
export type ProtocolEra = 'legacy' | 'modern';

/**
 * How `connect()` picks the protocol:
 * - `'legacy'`: the `initialize` handshake with the latest handshake-era version;
 * - `'auto'` (default): probe with `server/discover`; a modern answer selects the modern era, anything else falls back
 *   to `initialize` (on stdio the probe runs on a disposable copy of the server process, so a server that exits on an
 *   unknown request is not harmed);
 * - `{ pin: version }`: exactly that version — a handshake-era version is sent in `initialize` and must come back
 *   unchanged; a modern version must be offered by the server's `server/discover`. Any other string is
 *   NMCP_ERR_INVALID_OPTION (checked by the constructor).
 */
export type NegotiationMode = 'legacy' | 'auto' | { pin: ProtocolVersion | (string & {}) };

/** Name and version of a peer (clientInfo / serverInfo). */
export interface Implementation {
  name: string;
  version: string;
  title?: string;
  [key: string]: unknown;
}

/** Logging levels of notifications/message (RFC 5424 severities). */
export type LoggingLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

export interface Root {
  uri: string;
  name?: string;
  [key: string]: unknown;
}

/** What a callback answering the server (sampling, elicitation) gets besides its params. */
export interface ServerRequestContext {
  /** Aborted when the server cancels the request, the call it belongs to is aborted, or the connection closes. */
  readonly signal: AbortSignal;
  /** The era of the connection: a server request (legacy) or an `input_required` entry (modern). */
  readonly era: ProtocolEra;
}

export interface CreateMessageParams {
  messages: JsonObject[];
  maxTokens: number;
  systemPrompt?: string;
  [key: string]: unknown;
}

export interface CreateMessageResult {
  role: 'assistant' | 'user';
  content: JsonObject | JsonObject[];
  model: string;
  stopReason?: string;
  [key: string]: unknown;
}

/** An elicitation mode (protocol 2025-11-25): an in-band form, or an out-of-band URL the user opens. */
export type ElicitationMode = 'form' | 'url';

export interface ElicitParams {
  message: string;
  mode?: ElicitationMode;
  requestedSchema?: JsonObject;
  url?: string;
  [key: string]: unknown;
}

export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
  [key: string]: unknown;
}

export type SamplingHandler = (
  params: CreateMessageParams,
  ctx: ServerRequestContext,
) => CreateMessageResult | Promise<CreateMessageResult>;

export type ElicitationHandler = (
  params: ElicitParams,
  ctx: ServerRequestContext,
) => ElicitResult | Promise<ElicitResult>;

export interface McpClientOptions {
  /** How `connect()` negotiates the protocol version (default `'auto'`). */
  negotiation?: NegotiationMode;
  /**
   * Extra client capabilities, merged shallowly over those derived from the callbacks below (sampling, elicitation,
   * roots): a top-level key given here replaces the derived one whole. Server requests beyond the merged capabilities
   * (an undeclared elicitation mode, tool-enabled sampling without `sampling.tools`) are refused with -32602.
   */
  capabilities?: JsonObject;
  /** Default timeout of each request, reset by progress notifications, ms (60,000; 0 = none). */
  timeoutMs?: number;
  /** Default bound on the total time of a request whatever its progress, ms (default: none). */
  maxTotalTimeoutMs?: number;
  /** Timeout of the `server/discover` probe of `'auto'` / modern pin negotiation, ms (default: `timeoutMs`). */
  probeTimeoutMs?: number;
  /** Rounds of `input_required` a modern-era call may go through before it fails (10, as in the official SDK). */
  maxInputRounds?: number;
  /** Answers `sampling/createMessage` (advertises the `sampling` capability). */
  onSampling?: SamplingHandler;
  /**
   * With `onSampling`: whether it handles tool-enabled sampling (`tools` / `toolChoice` in the params) and so
   * advertises `sampling: { tools: {} }` (default false: `sampling: {}`, and such requests are refused with -32602
   * without calling `onSampling`).
   */
  samplingTools?: boolean;
  /** Answers `elicitation/create` (advertises the `elicitation` capability). */
  onElicitation?: ElicitationHandler;
  /**
   * With `onElicitation`: the elicitation modes it handles (default `['form']`, advertised as a bare
   * `elicitation: {}`; e.g. `['form', 'url']` advertises `elicitation: { form: {}, url: {} }`). A request in another
   * mode is refused with -32602 without calling `onElicitation`.
   */
  elicitationModes?: readonly ElicitationMode[];
  /** Answers `roots/list` (advertises the `roots` capability); change them later with `client.setRoots()`. */
  roots?: Root[];
  /** Errors that belong to no call (a notification handler that threw, a stray response). */
  onError?: (error: Error) => void;
  /**
   * Check each tools/call result against the tool's `outputSchema` from the last complete `listTools()` (true, as the
   * official SDK clients do): a result without `structuredContent`, or one that breaks the schema, rejects with
   * NMCP_ERR_INVALID_RESULT. Tools not seen in a listTools() are not checked. false = take results as they come.
   */
  validateToolOutput?: boolean;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborting sends notifications/cancelled to the server and rejects the call with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Overrides the client's `maxTotalTimeoutMs` for this call. */
  maxTotalTimeoutMs?: number;
  /** Reset the timeout on each progress notification (default true). */
  resetTimeoutOnProgress?: boolean;
  /** Progress notifications of this call (a progressToken is sent). */
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

// ---- results

/** An entry of tools/list. */
export interface ToolDescriptor {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonObject;
  outputSchema?: JsonObject;
  annotations?: JsonObject;
  [key: string]: unknown;
}

/** An entry of resources/list. */
export interface ResourceDescriptor {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  [key: string]: unknown;
}

/** An entry of resources/templates/list. */
export interface ResourceTemplateDescriptor {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  [key: string]: unknown;
}

/** An entry of prompts/list. */
export interface PromptDescriptor {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
  [key: string]: unknown;
}

export interface CallToolParams {
  name: string;
  arguments?: Record<string, unknown>;
  _meta?: JsonObject;
}

export interface CallToolResult {
  content: JsonObject[];
  structuredContent?: JsonObject;
  isError?: boolean;
  [key: string]: unknown;
}

export interface ReadResourceResult {
  contents: ({ uri: string; mimeType?: string; text?: string; blob?: string } & JsonObject)[];
  [key: string]: unknown;
}

export interface GetPromptParams {
  name: string;
  arguments?: Record<string, string>;
  _meta?: JsonObject;
}

export interface GetPromptResult {
  description?: string;
  messages: JsonObject[];
  [key: string]: unknown;
}

export interface CompleteParams {
  ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
  argument: { name: string; value: string };
  context?: { arguments?: Record<string, string> };
}

export interface CompleteResult {
  completion: { values: string[]; total?: number; hasMore?: boolean };
  [key: string]: unknown;
}

/** A handler of server notifications: gets the notification's params. */
export type ClientNotificationHandler = (params: JsonObject) => void;
