export { type Admission, type BreakerOptions, type BreakerState, CircuitBreaker, type Clock } from './breaker.js';
export { type GatewayStats, McpGateway } from './mcp-gateway.js';
export {
  DEFAULT_GATEWAY_OPTIONS,
  type HttpUpstream,
  type McpGatewayOptions,
  type ReconnectPolicy,
  type StdioUpstream,
  type TcpUpstream,
  type UnixUpstream,
  type UpstreamConfig,
} from './options.js';
export type { UpstreamState, UpstreamStats } from './upstream.js';
