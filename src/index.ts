/**
 * nmcp: a Model Context Protocol runtime for Node.js whose hot path is native.
 * This module only re-exports; each concept lives in its own file.
 */

// nmcp bench as a library: runBench(options) → BenchReport (the report contract: src/bench/report.ts); runSoak the
// same with `soak` filled (nmcp bench soak).
// runLoad: many concurrent clients against one server (nmcp load), the same report with one case.
export { runBench, runLoad, runSoak } from './bench/api.js';
// Reading a report: renderers, baselines and the regression gate, the report card (no engine dependencies).
export type {
  BaselineVerdict,
  ComparedMetric,
  CompareOptions,
} from './bench/baseline.js';
export { compareToBaseline, loadBaseline, parseThreshold, saveBaseline } from './bench/baseline.js';
export type { FullReportFiles } from './bench/full-report.js';
export { writeFullReport } from './bench/full-report.js';
export type { LoadOptions, LoadTransport, LoadWorkload } from './bench/load.js';
export { renderHtml } from './bench/render-html.js';
export { renderMarkdown } from './bench/render-markdown.js';
export { renderTable } from './bench/render-table.js';
export type {
  BenchAb,
  BenchAbRatio,
  BenchAbSide,
  BenchCase,
  BenchFailure,
  BenchRatio,
  BenchReport,
  BenchServer,
  BenchSkip,
  BenchSpread,
  BenchTransport,
  BenchWorkload,
  LatencySummary,
  MachineInfo,
  ServerUsage,
  SoakSummary,
} from './bench/report.js';
export type { ReportActions, ReportActionsResult } from './bench/report-actions.js';
export { runReportActions } from './bench/report-actions.js';
export type { BenchOptions, BenchProgress } from './bench/run-bench.js';
export type { SoakOptions, SoakProgress } from './bench/soak.js';
export type { MeasuredTargetRow, TargetRow, UnmeasuredTargetRow } from './bench/targets.js';
export { evaluateTargets } from './bench/targets.js';
// MCP client (src/client). Wire types that src/server also defines (Implementation, Root, CallToolResult, …) are
// exported from src/client/index.ts only, so that the two sets do not collide here.
export type {
  CallOptions,
  CallToolParams,
  ClientNotificationHandler,
  CompleteParams,
  CompleteResult,
  ElicitationHandler,
  ElicitationMode,
  GetPromptParams,
  McpClientOptions,
  NegotiationMode,
  PromptDescriptor,
  ProtocolEra,
  ResourceDescriptor,
  ResourceTemplateDescriptor,
  SamplingHandler,
  ServerRequestContext,
  ToolDescriptor,
} from './client/index.js';
export { McpClient } from './client/index.js';
export type { BatchWriterOptions, FramingOptions, RouteRegistryOptions } from './config/defaults.js';
export {
  DEFAULT_BATCH_WRITER_OPTIONS,
  DEFAULT_FRAMING_OPTIONS,
  DEFAULT_ROUTE_REGISTRY_OPTIONS,
  MiB,
} from './config/defaults.js';
// The runtime config (docs/configuration.md): NmcpConfig, loadConfig (defaults < file < NMCP_* < flags, with sources),
// live reload. createLogger (pino) is not re-exported here, so that importing nmcp does not load pino: import it from
// the module if wanted.
export type { ApplyConfig, ApplyOutcome, ConfigReloaderOptions, ReloadResult } from './config/reload.js';
export { ConfigReloader, watchConfigFile } from './config/reload.js';
export type {
  ConfigOverride,
  ConfigSectionName,
  ConfigSource,
  ConfigSources,
  HttpConfig,
  HttpListenerConfig,
  LoadConfigOptions,
  LoadedConfig,
  LoggingConfig,
  LogLevel,
  MemoryConfig,
  MetricsConfig,
  NmcpConfig,
} from './config/runtime-config.js';
export {
  CONFIG_SECTION_NAMES,
  configEnvVar,
  DEFAULT_HTTP_CONFIG,
  DEFAULT_LOGGING_CONFIG,
  DEFAULT_MEMORY_CONFIG,
  DEFAULT_METRICS_CONFIG,
  DEFAULT_NMCP_CONFIG,
  diffConfig,
  LOG_LEVELS,
  loadConfig,
} from './config/runtime-config.js';
export type { NmcpErrorCode } from './errors.js';
export { ErrorCode, NmcpError } from './errors.js';
export type { BatchWriterInit, BatchWriterStats, WriteSink } from './framing/batch-writer.js';
export { BatchWriter } from './framing/batch-writer.js';
export type { DecodedRecord, EnvelopeId, FrameDecoderOptions } from './framing/frame-decoder.js';
export { decodeRecords, FrameDecoder } from './framing/frame-decoder.js';
// The gateway: one endpoint in front of N upstream MCP servers (docs/gateway.md).
export type {
  Admission,
  BreakerOptions,
  BreakerState,
  Clock,
  GatewayStats,
  HttpUpstream,
  McpGatewayOptions,
  ReconnectPolicy,
  StdioUpstream,
  TcpUpstream,
  UnixUpstream,
  UpstreamConfig,
  UpstreamState,
  UpstreamStats,
} from './gateway/index.js';
export { CircuitBreaker, DEFAULT_GATEWAY_OPTIONS, McpGateway } from './gateway/index.js';
// The multi-server host (docs/host.md).
export type {
  HostedConnections,
  HostedServerStats,
  HostHttpListener,
  HostHttpOptions,
  HostStdioSession,
  HostTcpListener,
  HostTcpOptions,
  McpHostOptions,
  McpHostStats,
  McpServerFactory,
} from './host/index.js';
export { McpHost, SERVER_NAME_PATTERN } from './host/index.js';
export type {
  BindingRouter,
  CoreBinding,
  KindCode,
  RouteKindCode,
  SocketOptionValues,
  StatusCode,
} from './native/binding-types.js';
export { Framing, Kind, RouteKind, SocketOptionBit, Status, ValueType } from './native/binding-types.js';
export type { CoreInfo, CoreKind } from './native/index.js';
export { activeCore } from './native/index.js';
export { BUFFER_SIZE_MAX, BUFFER_SIZE_MIN, recommendedBufferSize } from './ops/buffer-size.js';
export type {
  CpuProfileOptions,
  HeapProfileOptions,
  ProcessProfiling,
  ProcessProfilingOptions,
  ProfileFileOptions,
  ProfileHandle,
  ProfilingSignalOptions,
} from './ops/profiling.js';
export {
  DEFAULT_PROFILE_CPU_MS,
  installProcessProfiling,
  installProfilingSignal,
  profileCpuFor,
  profileDir,
  startCpuProfile,
  startHeapProfile,
  writeHeapSnapshot,
} from './ops/profiling.js';
// Protocol primitives, the session layer and the transports.
export type {
  JsonObject,
  JsonRpcErrorObject,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  RequestId,
} from './protocol/jsonrpc.js';
export { isRequestId, McpError, RawJson, RpcCode } from './protocol/jsonrpc.js';
export type { LegacyVersion, ModernVersion, ProtocolVersion } from './protocol/versions.js';
export {
  LATEST_LEGACY_VERSION,
  LATEST_VERSION,
  LEGACY_VERSIONS,
  MODERN_VERSIONS,
  SUPPORTED_VERSIONS,
} from './protocol/versions.js';
export type {
  RouteRegistryInit,
  RouteRegistryStats,
  RouteSnapshot,
  RouteTarget,
  SharedRouteTableHandle,
  SharedRouteTableInit,
} from './registry/route-registry.js';
export { decodeTarget, RouteLookups, RouteRegistry, SharedRouteTable } from './registry/route-registry.js';
// MCP server (src/server). Wire types shared with the client (Implementation, CallToolResult, …) come from
// src/server/index.ts and src/client/index.ts; only server-specific names are exported here.
export type {
  CacheableMethod,
  CacheHint,
  CompleteCallback,
  CompletionContext,
  InMemoryTaskStoreOptions,
  InputOptions,
  JsonSchemaObject,
  ListResourcesCallback,
  McpServerOptions,
  PromptArgs,
  PromptConfig,
  PromptHandler,
  PromptUpdate,
  ReadResourceHandler,
  ReadTemplateHandler,
  ResourceMetadata,
  RunInWorker,
  SchemaLike,
  ServerCapabilities,
  ServerContext,
  ServerInfo,
  ServerObserver,
  SessionPhase,
  StandardSchemaV1,
  TaskError,
  TaskOptions,
  TaskRecord,
  TaskStatus,
  TaskStore,
  TaskSupport,
  TaskWorkFunction,
  TaskWorkOptions,
  ToolArgs,
  ToolConfig,
  ToolHandler,
  ToolUpdate,
  UriVariables,
  WorkerCallOptions,
  WorkerRunner,
  WorkerSpec,
} from './server/index.js';
export {
  asTask,
  InMemoryTaskStore,
  McpServer,
  RELATED_TASK_META,
  RegisteredPrompt,
  RegisteredResource,
  RegisteredResourceTemplate,
  RegisteredTool,
  ResourceTemplate,
  ServerSession,
  TASKS_EXTENSION,
  TaskWork,
  UriTemplate,
} from './server/index.js';
export type {
  NotificationHandler,
  OutboundRequestOptions,
  RequestContext,
  RequestFrame,
  RequestHandler,
  SessionOptions,
} from './session/session.js';
export { JsonRpcSession } from './session/session.js';
export type { StdioClientTransportOptions } from './transport/child-process.js';
export { StdioClientTransport } from './transport/child-process.js';
// Streamable HTTP client (src/transport/http/client), both eras, on undici.
export type {
  AuthChallenge,
  HttpClientAuth,
  ResolvedHttpClientOptions,
  StreamableHttpClientOptions,
  StreamableHttpClientTransportOptions,
} from './transport/http/client/index.js';
export { DEFAULT_HTTP_CLIENT_OPTIONS, StreamableHttpClientTransport } from './transport/http/client/index.js';
// Streamable HTTP server (src/transport/http/server, docs/http.md).
export type {
  EventStore,
  HttpAuthHook,
  HttpAuthRequest,
  HttpHandlerOptions,
  HttpScalarOptions,
  HttpServerOptions,
  McpHttpPluginOptions,
  ProtectedResourceMetadataOptions,
  StoredEvent,
} from './transport/http/server/index.js';
export {
  DEFAULT_HTTP_OPTIONS,
  HttpAuthError,
  httpCloseStream,
  httpPrincipal,
  McpHttpHandler,
  McpHttpServer,
  MemoryEventStore,
  mcpHttpPlugin,
  serveHttp,
} from './transport/http/server/index.js';
export { MemoryTransport } from './transport/memory.js';
export type { StdioServerTransportOptions } from './transport/stdio.js';
export { StdioServerTransport } from './transport/stdio.js';
export type { StreamTransportOptions } from './transport/stream-transport.js';
export { DEFAULT_STREAM_TRANSPORT_OPTIONS, StreamTransport } from './transport/stream-transport.js';
// TCP, Unix-socket and TLS transports (src/transport/tcp) and the client pool.
export type {
  ConnectableServer,
  McpClientPoolOptions,
  McpClientPoolStats,
  McpClientPoolTuning,
  McpTcpServerOptions,
  ReconnectOptions,
  SocketOptionName,
  SocketOptionsReport,
  TcpClientOptions,
  TcpClientStats,
  TcpClientTransportOptions,
  TcpConnectionOptions,
  TcpDialTarget,
  TcpListenAddress,
  TcpListenTarget,
  TcpServerOptions,
  TcpServerStats,
} from './transport/tcp/index.js';
export {
  CONNECTION_LIMIT_RPC_CODE,
  DEFAULT_RECONNECT_OPTIONS,
  DEFAULT_TCP_CLIENT_OPTIONS,
  DEFAULT_TCP_CONNECTION_OPTIONS,
  DEFAULT_TCP_SERVER_OPTIONS,
  McpClientPool,
  McpTcpServer,
  TcpClientTransport,
  TcpTransport,
} from './transport/tcp/index.js';
export type { Transport, TransportSink } from './transport/types.js';
