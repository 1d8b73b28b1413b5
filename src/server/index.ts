/** The MCP server: re-exports only. */

export type { InputOptions, ServerContext } from './context.js';
export { INVALID_REQUEST_STATE, RequestStateCodec } from './input-required.js';
export { NOT_INITIALIZED } from './lifecycle.js';
export type {
  McpServerOptions,
  RunInWorker,
  ServerObserver,
  WorkerCallOptions,
  WorkerRunner,
  WorkerSpec,
} from './mcp-server.js';
export { McpServer } from './mcp-server.js';
export type { PromptArgs, PromptConfig, PromptHandler, PromptUpdate } from './prompts.js';
export { RegisteredPrompt } from './prompts.js';
export type { ListResourcesCallback, ReadResourceHandler, ReadTemplateHandler, ResourceMetadata } from './resources.js';
export { RegisteredResource, RegisteredResourceTemplate, ResourceTemplate } from './resources.js';
export type { CompiledSchema, JsonSchemaObject, SchemaLike, StandardSchemaV1 } from './schema.js';
export type { SessionPhase } from './server-session.js';
export { ServerSession } from './server-session.js';
export type {
  InMemoryTaskStoreOptions,
  TaskError,
  TaskRecord,
  TaskStatus,
  TaskStore,
} from './task-store.js';
export { InMemoryTaskStore } from './task-store.js';
export type { TaskOptions, TaskSupport, TaskWorkFunction, TaskWorkOptions } from './tasks.js';
export { asTask, RELATED_TASK_META, TASKS_EXTENSION, TaskWork } from './tasks.js';
export type { ToolArgs, ToolConfig, ToolHandler, ToolUpdate } from './tools.js';
export { RegisteredTool } from './tools.js';
export * from './types.js';
export type { UriVariables } from './uri-template.js';
export { UriTemplate } from './uri-template.js';
export { McpCode, META } from './wire.js';
